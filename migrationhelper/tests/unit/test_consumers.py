# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Whose each allocation on a host is: the consumer classification."""

import testtools

from migrationhelper.planning import consumers

from migrationhelper.cloud import hosts
from migrationhelper.cloud import records
from migrationhelper.moving import outcomes
from migrationhelper.planning import decision
from migrationhelper.workflows import emptiness

HOST = 'cld-nl-01'
OTHER = 'cld-nl-02'
ROOT = 'root-rp'
CHILD = 'vf-rp'
SMALL = {'VCPU': 1, 'MEMORY_MB': 512}


def migration(uuid, server, status, source=HOST, dest=OTHER,
              kind='migration'):
    return records.Migration(uuid, server, source, dest, status, kind)


class TestByConsumer(testtools.TestCase):

    def test_nested_providers_add_up_into_the_consumer(self):
        held = consumers.by_consumer({
            ROOT: {'vm-1': dict(SMALL), 'vm-2': {'VCPU': 2}},
            CHILD: {'vm-1': {'SRIOV_NET_VF': 1}},
        })
        self.assertEqual(
            ({'VCPU': 1, 'MEMORY_MB': 512, 'SRIOV_NET_VF': 1},
             (ROOT, CHILD)), held['vm-1'])
        self.assertEqual(({'VCPU': 2}, (ROOT,)), held['vm-2'])

    def test_a_provider_without_allocations_adds_nothing(self):
        self.assertEqual({}, consumers.by_consumer({ROOT: {}, CHILD: {}}))


class TestClassify(testtools.TestCase):

    def classify(self, allocations, server_ids=(), migrations=(), seen=None):
        held = consumers.by_consumer({ROOT: allocations})
        asked = consumers.to_look_up(held, HOST, set(server_ids),
                                     migrations)
        seen = seen or {}
        # Nova is asked of exactly the consumers the listings leave out.
        self.assertEqual(sorted(seen), asked)
        return {h.consumer: h for h in consumers.classify(
            held, HOST, set(server_ids), migrations, seen)}

    def test_listed_vm(self):
        holders = self.classify({'vm': SMALL}, server_ids=['vm'])
        self.assertEqual(consumers.VM, holders['vm'].kind)
        self.assertEqual('vm', holders['vm'].server_id)
        self.assertEqual((('MEMORY_MB', 512), ('VCPU', 1)),
                         holders['vm'].resources)

    def test_source_side_of_moves_in_progress(self):
        for status in ('migrating', 'running', 'post-migrating',
                       'finished'):
            move = migration('mig', 'vm', status)
            holders = self.classify({'mig': SMALL}, migrations=[move])
            self.assertEqual(consumers.MOVING_FROM, holders['mig'].kind)
            self.assertEqual('vm', holders['mig'].server_id)
            self.assertIs(move, holders['mig'].migration)

    def test_vm_moving_to_the_host(self):
        move = migration('mig', 'vm', 'running', source=OTHER, dest=HOST)
        holders = self.classify({'vm': SMALL}, migrations=[move])
        self.assertEqual(consumers.MOVING_TO, holders['vm'].kind)

    def test_a_moved_vm_pointed_elsewhere_before_its_record_ends(self):
        move = migration('mig', 'vm', 'post-migrating')
        holders = self.classify({'vm': SMALL}, migrations=[move])
        self.assertEqual(consumers.MOVING_FROM, holders['vm'].kind)

    def test_move_that_ended_left_its_allocation(self):
        for status, soon in (('error', False), ('failed', False),
                             ('confirmed', True), ('completed', True)):
            holders = self.classify(
                {'mig': SMALL}, migrations=[migration('mig', 'vm', status)])
            self.assertEqual(consumers.MOVE_LEFTOVER, holders['mig'].kind)
            self.assertEqual(soon, holders['mig'].may_clear_soon, status)

    def test_a_moves_record_to_another_host_explains_nothing(self):
        move = migration('mig', 'vm', 'running', source=OTHER,
                         dest='cld-nl-03')
        holders = self.classify({'mig': SMALL}, migrations=[move],
                                seen={'mig': records.NOT_FOUND})
        self.assertEqual(consumers.ORPHAN, holders['mig'].kind)

    def test_consumer_unknown_to_nova_is_an_orphan(self):
        holders = self.classify({'gone': SMALL},
                                seen={'gone': records.NOT_FOUND})
        self.assertEqual(consumers.ORPHAN, holders['gone'].kind)
        self.assertIsNone(holders['gone'].server_id)

    def test_nova_cannot_say(self):
        for answer in (records.NO_ANSWER,
                       records.Seen(None, 'UNKNOWN')):
            holders = self.classify({'vm': SMALL}, seen={'vm': answer})
            self.assertEqual(consumers.CELL_NOT_ANSWERING,
                             holders['vm'].kind)

    def test_vm_on_the_host_left_out_of_the_listing(self):
        holders = self.classify({'vm': SMALL},
                                seen={'vm': records.Seen(HOST, 'ACTIVE')})
        self.assertEqual(consumers.UNLISTED, holders['vm'].kind)

    def test_evacuated_vm_still_holding_the_dead_host(self):
        evacuation = migration('mig', 'vm', 'done', kind='evacuation')
        holders = self.classify(
            {'vm': SMALL}, migrations=[evacuation],
            seen={'vm': records.Seen(OTHER, 'ACTIVE')})
        self.assertEqual(consumers.EVACUATED, holders['vm'].kind)

    def test_vm_elsewhere_without_a_move_that_explains_it(self):
        cold = migration('mig', 'vm', 'confirmed')
        holders = self.classify(
            {'vm': SMALL}, migrations=[cold],
            seen={'vm': records.Seen(OTHER, 'ACTIVE')})
        self.assertEqual(consumers.ELSEWHERE, holders['vm'].kind)

    def test_a_vm_elsewhere_is_healed_never_audited_away(self):
        holders = self.classify(
            {'vm': SMALL}, seen={'vm': records.Seen(OTHER, 'ACTIVE')})
        note = consumers.describe(holders['vm'])
        self.assertIn('heal_allocations --instance vm --force', note)
        self.assertNotIn('audit', note)

    def test_a_vm_being_built_or_unshelved_is_never_an_orphan(self):
        for seen in (records.Seen(None, 'BUILD', 'scheduling'),
                     records.Seen(HOST, 'BUILD', 'spawning'),
                     records.Seen(None, 'SHELVED_OFFLOADED', 'unshelving'),
                     records.Seen(OTHER, 'ACTIVE', 'spawning')):
            holders = self.classify({'vm': SMALL}, seen={'vm': seen})
            self.assertEqual(consumers.ARRIVING, holders['vm'].kind, seen)
            self.assertNotIn(consumers.ARRIVING, consumers.TO_CLEAR)
            self.assertNotIn('delete', consumers.describe(holders['vm']))

    def test_a_move_no_conductor_carries_on_is_stuck(self):
        stuck = records.Migration('mig', 'vm', HOST, None, 'pre-migrating',
                                  'migration', '2026-01-01T10:00:00.000000')
        ids = consumers.stuck_moves([stuck], {'vm'}, '2026-01-01T10:05:00')
        self.assertEqual({'mig'}, ids)
        held = consumers.by_consumer({ROOT: {'mig': SMALL, 'vm': SMALL}})
        holders = {h.consumer: h for h in consumers.classify(
            held, HOST, {'vm'}, [stuck], {}, ids)}
        self.assertEqual(consumers.STUCK_MOVE, holders['mig'].kind)
        self.assertIn(consumers.STUCK_MOVE, consumers.TO_CLEAR)
        note = consumers.describe(holders['mig'])
        self.assertIn('still pre-migrating', note)
        self.assertIn('openstack resource provider allocation delete mig',
                      note)

    def test_a_move_is_stuck_only_idle_old_and_in_progress(self):
        def record(status='pre-migrating', at='2026-01-01T10:00:00'):
            return records.Migration('mig', 'vm', HOST, None, status,
                                     'migration', at)
        stale_before = '2026-01-01T10:01:00'
        self.assertEqual({'mig'}, consumers.stuck_moves(
            [record()], {'vm'}, stale_before))
        self.assertEqual(frozenset(), consumers.stuck_moves(
            [record()], set(), stale_before))           # VM busy
        self.assertEqual(frozenset(), consumers.stuck_moves(
            [record(at='2026-01-01T10:02:00')], {'vm'}, stale_before))
        for final_or_awaiting in ('error', 'confirmed', 'finished'):
            self.assertEqual(frozenset(), consumers.stuck_moves(
                [record(final_or_awaiting)], {'vm'}, stale_before))

    def test_vms_first_then_moves_then_what_needs_clearing(self):
        held = consumers.by_consumer({ROOT: {
            'z-orphan': SMALL, 'mig': SMALL, 'a-vm': SMALL}})
        move = migration('mig', 'b-vm', 'running')
        holders = consumers.classify(held, HOST, {'a-vm'}, [move],
                                     {'z-orphan': records.NOT_FOUND})
        self.assertEqual(['a-vm', 'mig', 'z-orphan'],
                         [h.consumer for h in holders])


class TestDescribe(testtools.TestCase):

    def holder(self, kind, **kwargs):
        return consumers.Holder('c-1', kind, (('VCPU', 2),), (ROOT, CHILD),
                                **kwargs)

    def test_what_clears_a_leftover_is_said_with_every_provider(self):
        # What audit deletes: neither a VM on the node nor a move Nova
        # counts in progress.
        for kind in (consumers.MOVE_LEFTOVER, consumers.ORPHAN):
            text = consumers.describe(self.holder(
                kind, server_id='vm', migration=migration('c-1', 'vm',
                                                          'error')))
            for provider in (ROOT, CHILD):
                self.assertIn('nova-manage placement audit '
                              '--resource_provider %s --delete' % provider,
                              text)
            self.assertIn('VCPU=2', text)

    def test_summary_for_json(self):
        summary = consumers.summary(self.holder(consumers.ORPHAN))
        self.assertEqual(
            {'consumer': 'c-1', 'kind': 'orphan', 'server': None,
             'migration': None, 'resources': {'VCPU': 2},
             'providers': [ROOT, CHILD]},
            {k: v for k, v in summary.items() if k != 'note'})
        self.assertIn('unknown to Nova', summary['note'])


class TestLeftoverRows(testtools.TestCase):

    host = hosts.ComputeHost(HOST, service_id='svc')

    def moved(self, server_id):
        return outcomes.Outcome(server_id, 'name-' + server_id,
                                decision.LIVE_MIGRATE, outcomes.MOVED, HOST,
                                OTHER)

    def test_listed_vms_add_no_row(self):
        rows = emptiness.add_leftover_rows(self.host, [consumers.Holder(
            'vm', consumers.VM, (), (ROOT,), 'vm')], [])
        self.assertEqual([], rows)

    def test_evacuated_vm_row_says_so_and_stays_moved(self):
        rows = [self.moved('vm')]
        emptiness.add_leftover_rows(self.host, [consumers.Holder(
            'vm', consumers.EVACUATED, (('VCPU', 1),), (ROOT,), 'vm')], rows)
        [row] = rows
        self.assertEqual(outcomes.MOVED, row.result)
        self.assertIn('nova-compute releases it', row.message)

    def test_leftovers_are_rows_of_their_own(self):
        rows = [self.moved('vm')]
        emptiness.add_leftover_rows(self.host, [
            consumers.Holder('mig', consumers.MOVE_LEFTOVER, (), (ROOT,),
                             'vm', migration('mig', 'vm', 'error')),
            consumers.Holder('orphan', consumers.ORPHAN, (), (ROOT,)),
        ], rows)
        moved, leftover, orphan = rows
        self.assertEqual(outcomes.MOVED, moved.result)
        self.assertEqual(('mig', 'name-vm', outcomes.HELD_IN_PLACEMENT, False),
                         (leftover.server_id, leftover.name,
                          leftover.result, leftover.settled))
        self.assertEqual(('orphan', '', decision.SKIP,
                          outcomes.HELD_IN_PLACEMENT),
                         (orphan.server_id, orphan.name, orphan.action,
                          orphan.result))
        self.assertFalse(orphan.settled)

    def test_evacuated_vm_without_a_row_is_settled(self):
        rows = emptiness.add_leftover_rows(self.host, [consumers.Holder(
            'vm', consumers.EVACUATED, (), (ROOT,), 'vm')], [])
        [row] = rows
        self.assertTrue(row.settled)


class TestRefusedBeforeActing(testtools.TestCase):

    def test_a_host_without_a_compute_node_nova_shows_is_refused(self):
        from osc_lib import exceptions

        from migrationhelper.cloud import hosts
        from migrationhelper.workflows import emptiness
        nodeless = hosts.ComputeHost(HOST, service_id='s-1')
        e = self.assertRaises(exceptions.CommandError,
                              emptiness.refuse_unexplained, [(nodeless, [])])
        self.assertIn('no compute node', str(e))
        self.assertIn('Nothing was changed', str(e))
        emptiness.refuse_unexplained([(hosts.ComputeHost(
            HOST, ('node-1',), service_id='s-1'), [])])
