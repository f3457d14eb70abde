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

"""The engine's scheduling, on a fake clock and a fake compute proxy."""

import dataclasses

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

from migrationhelper.cloud import hosts
from migrationhelper.cloud import listings
from migrationhelper import defaults
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import reading
from migrationhelper.moving.tasks import waiting
from migrationhelper.planning import decision
from migrationhelper.planning import plan
from migrationhelper.tests.unit import fake_nova

planned = fake_nova.planned


class TestLanes(fake_nova.EngineTestCase):

    def test_live_migrations_per_source_one_running_one_queued(self):
        rows = self.run_engine([self.live('vm-%d' % i) for i in range(5)])
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        self.assertEqual(2, self.nova.most_in_flight('live', 'src'))
        # Nova ran them back to back: 5 x 3 s, and never idle between.
        self.assertLess(self.clock.now, 5 * 3.0 + 3.0)

    def test_cold_migrations_run_in_a_lane_beside_the_live_ones(self):
        plans = [self.live('live-%d' % i) for i in range(2)] + [
            self.cold('cold-%d' % i) for i in range(5)]
        rows = self.run_engine(plans)
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        cold = defaults.COLD_PER_SOURCE
        self.assertEqual(cold, self.nova.most_in_flight('cold', 'src'))
        self.assertEqual(cold + 2, self.nova.most_in_flight(source='src'))
        self.assertEqual(5, self.nova.calls['confirm_server_resize'])

    def test_hosts_drained_together_progress_in_parallel(self):
        plans = [self.live('a-%d' % i, 'src-a') for i in range(2)] + [
            self.live('b-%d' % i, 'src-b') for i in range(2)]
        self.run_engine(plans)
        self.assertEqual(4, self.nova.most_in_flight('live'))

    def test_two_members_of_one_anti_affinity_group_never_down_at_once(self):
        def down(name, group):
            return dataclasses.replace(
                fake_nova.planned(self.nova.add(name, 'src'),
                                  decision.COLD_MIGRATE),
                decision=decision.Decision(decision.COLD_MIGRATE,
                                           'vTPM: moved cold', True),
                anti_affinity=frozenset({group}))
        plans = [down('db-0', 'db'), down('db-1', 'db'), down('web-0', 'web')]
        rows = self.run_engine(plans)
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        # db-1 waits for db-0; web-0 goes beside it.
        self.assertEqual(2, self.nova.most_in_flight('cold', 'src'))
        self.assertEqual(3, self.nova.calls['confirm_server_resize'])

    def test_max_parallel_caps_everything(self):
        plans = [self.live('live-0')] + [self.cold('cold-%d' % i)
                                         for i in range(3)]
        rows = self.run_engine(plans, max_parallel=1)
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        self.assertEqual(1, self.nova.most_in_flight())


class TestNovasClockAndLanes(fake_nova.EngineTestCase):

    def test_a_live_migrations_deadline_runs_from_when_nova_starts_it(self):
        self.nova.live_seconds = 6.0
        rows = self.run_engine([self.live('vm-%d' % i) for i in range(2)],
                               timeout=8)
        # The second waited 6 s in nova-compute's queue, then ran 6 s.
        self.assertEqual([outcomes.MOVED] * 2, [r.result for r in rows])
        self.assertEqual(0, self.nova.calls['abort_server_migration'])

    def test_a_migration_queued_past_the_timeout_is_aborted(self):
        self.nova.live_seconds = 20.0
        # Nova takes a moment to cancel it.
        self.nova.abort_seconds = 2.0
        rows = self.run_engine([self.live('vm-%d' % i) for i in range(2)],
                               timeout=8)
        results = sorted(r.result for r in rows)
        self.assertEqual([outcomes.FAILED, outcomes.FAILED], results)
        self.assertEqual(2, self.nova.calls['abort_server_migration'])

    def test_no_wait_sends_within_the_lanes_and_max_parallel(self):
        rows = self.run_engine([self.cold('cold-%d' % i) for i in range(6)],
                               wait=False, max_parallel=2)
        self.assertEqual(6, self.nova.calls['migrate_server'])
        self.assertEqual(2, self.nova.most_in_flight('cold'))
        # It returned once the last was sent, not when it ended.
        self.assertIn(outcomes.IN_PROGRESS, {r.result for r in rows})
        self.assertLess(self.clock.now, 3 * 3.0 + 3.0)

    def test_vms_waiting_for_a_task_hold_no_lane(self):
        busy = [planned(self.nova.add('busy-%d' % i, 'src',
                                      task_state='image_uploading'),
                        decision.WAIT) for i in range(4)]
        real_get = self.nova.get_server

        def get_server(server_id):
            if self.clock() >= 100.0:
                for server in self.nova.servers_by_id.values():
                    if server.task_state == 'image_uploading':
                        server.task_state = None
                        self.nova._touch(server)
            return real_get(server_id)
        self.nova.get_server = get_server
        cold = [self.cold('cold-%d' % i) for i in range(4)]
        rows = self.run_engine(busy + cold)
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        cold_ends = [end for start, end, kind, _s in self.nova.moves
                     if kind == 'cold']
        # The cold moves did not wait for the snapshots to end.
        self.assertLess(max(cold_ends), 100.0)
        self.assertEqual(4, self.nova.calls['live_migrate_server'])


class TestPolling(fake_nova.EngineTestCase):

    def gets_for(self, seconds, unrelated=0):
        self.clock = fake_nova.Clock()
        self.nova = fake_nova.FakeNova(self.clock)
        self.nova.live_seconds = self.nova.cold_seconds = seconds
        plans = [self.cold('cold-%d' % i) for i in range(2)] + [
            self.live('live-0', 'other')]
        for i in range(unrelated):
            self.nova.add('unrelated-%d' % i, 'elsewhere')
        real_servers = self.nova.servers

        def busy_cloud(**query):
            # Unrelated VMs change all the time, elsewhere in the cloud.
            for server in self.nova.servers_by_id.values():
                if server.name.startswith('unrelated'):
                    self.nova._touch(server)
            return real_servers(**query)
        self.nova.servers = busy_cloud
        self.run_engine(plans)
        return (self.nova.calls['get_server'],
                self.nova.calls['migration_listings'])

    def test_moves_in_flight_share_one_listing_per_host_and_cycle(self):
        short_gets, short_lists = self.gets_for(5.0)
        long_gets, long_lists = self.gets_for(120.0)
        # Longer moves mean more poll cycles, served by the shared listing;
        # the GETs per VM stay what acting and verifying take, plus the
        # bounded read every READ_LISTED_EVERY seconds of a move.
        self.assertGreater(long_lists, short_lists)
        self.assertGreater(long_gets, short_gets)
        self.assertLessEqual(long_gets - short_gets,
                             3 * (120.0 / reading.READ_LISTED_EVERY + 1))

    def test_moves_to_many_hosts_are_polled_on_their_source(self):
        hosts = []
        real = self.nova.migrations

        def migrations(server_id=None, host=None, changes_since=None):
            if host is not None:
                hosts.append(host)
            return real(server_id, host, changes_since)
        self.nova.migrations = migrations
        plans = [dataclasses.replace(self.cold('cold-%d' % i),
                                     destination='dest-%d' % i)
                 for i in range(4)]
        rows = self.run_engine(plans)
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        self.assertEqual(4, len({r.destination for r in rows}))
        # One listing of the source per cycle, not one per destination.
        self.assertEqual({'src'}, set(hosts))

    def test_polling_costs_nothing_more_when_the_cloud_is_busy(self):
        quiet = self.gets_for(60.0)
        self.assertEqual(quiet, self.gets_for(60.0, unrelated=1000))
        self.assertEqual(0, self.nova.calls['servers'])

    def test_the_plans_migration_listing_saves_one_read_per_move(self):
        def migration_reads(known):
            self.clock = fake_nova.Clock()
            self.nova = fake_nova.FakeNova(self.clock)
            plans = [dataclasses.replace(self.live('vm-%d' % i),
                                         known_migrations=known)
                     for i in range(3)]
            rows = self.run_engine(plans)
            self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
            return self.nova.calls['migrations']
        self.assertEqual(migration_reads(None) - 3,
                         migration_reads(frozenset()))


class TestFewerReads(fake_nova.EngineTestCase):
    """What the engine need not ask Nova, and what it sends first."""

    def test_live_migrations_are_sent_before_cold_moves(self):
        plans = [self.cold('cold-%d' % i) for i in range(3)] + [
            self.live('live-%d' % i) for i in range(2)]
        sent = []
        for call in ('live_migrate_server', 'migrate_server'):
            def send(server, *args, call=call, real=getattr(self.nova, call),
                     **kwargs):
                sent.append(server.name)
                return real(server, *args, **kwargs)
            setattr(self.nova, call, send)
        rows = self.run_engine(plans)
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        # nova-compute runs live migrations one at a time: the longest
        # chain starts first, the cold moves beside it.
        self.assertEqual(['live-0', 'live-1', 'cold-0', 'cold-1', 'cold-2'],
                         sent)
        self.assertEqual(['cold-0', 'cold-1', 'cold-2', 'live-0', 'live-1'],
                         [r.name for r in rows])

    def test_moves_starting_together_read_their_vms_in_one_listing(self):
        plans = [self.live('live-%d' % i) for i in range(2)] + [
            self.cold('cold-%d' % i) for i in range(4)]
        # Moved by someone else since the plan: not on the source's
        # listing, so its task reads it, and sends nothing.
        self.nova.start_move(plans[2].server.id, 'cold', 'elsewhere')
        rows = self.run_engine(plans)
        self.assertEqual(1, self.nova.calls['servers'])
        by_name = {r.name: r for r in rows}
        self.assertTrue(by_name['cold-0'].message.startswith(
            'moved by another request'), by_name['cold-0'])
        self.assertEqual(3, self.nova.calls['migrate_server'])
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})

    def test_moves_starting_together_later_read_their_vms_in_one_listing(
            self):
        plans = [self.cold('cold-%d' % i) for i in range(6)]
        # Moved by someone else since the plan: not on the source's
        # listing when its wave starts, so its task reads it, and sends
        # nothing.
        self.nova.start_move(plans[4].server.id, 'cold', 'elsewhere')
        rows = self.run_engine(plans, max_parallel=3)
        # Each wave of three started together: one listing of the source.
        self.assertEqual(2, self.nova.calls['servers'])
        by_name = {r.name: r for r in rows}
        self.assertTrue(by_name['cold-4'].message.startswith(
            'moved by another request'), by_name['cold-4'])
        self.assertEqual(5, self.nova.calls['migrate_server'])
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})

    def test_a_move_not_listed_yet_is_not_read(self):
        def gets(listed_after):
            self.clock = fake_nova.Clock()
            self.nova = fake_nova.FakeNova(self.clock)
            real = self.nova.migrations

            def migrations(server_id=None, host=None, changes_since=None):
                # Nova lists a record by its updated_at, set from its first
                # update on: a new record is missing for a while.
                records = real(server_id, host, changes_since)
                if host is None:
                    return records
                return [r for r in records
                        if self.clock() - float(r.created_at) >= listed_after]
            self.nova.migrations = migrations
            rows = self.run_engine([self.cold('cold-%d' % i)
                                    for i in range(2)])
            self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
            return self.nova.calls['get_server']
        # What we sent is under way: no GET until a listed step is over.
        self.assertEqual(gets(0.0), gets(1.0))

    def test_a_few_moves_starting_together_read_their_vms_each(self):
        rows = self.run_engine([self.live('live-0'), self.cold('cold-0')])
        self.assertEqual({outcomes.MOVED}, {r.result for r in rows})
        self.assertEqual(0, self.nova.calls['servers'])


class TestOutcomes(fake_nova.EngineTestCase):

    def test_ctrl_c_accounts_for_every_vm(self):
        plans = [self.live('vm-%d' % i) for i in range(4)]
        real_sleep = self.clock.sleep
        sleeps = {'n': 0}

        def sleep(seconds):
            sleeps['n'] += 1
            if sleeps['n'] == 3:
                raise KeyboardInterrupt()
            real_sleep(seconds)
        self.engine = engine.Engine(self.nova, engine.Options(),
                                    clock=self.clock, sleep=sleep)
        rows = self.engine.run(plans)
        self.assertEqual(engine.INTERRUPTED, self.engine.stopped.kind)
        self.assertEqual(4, len(rows))
        by_name = {r.name: r for r in rows}
        self.assertEqual(outcomes.IN_PROGRESS, by_name['vm-0'].result)
        self.assertEqual(outcomes.SKIPPED, by_name['vm-3'].result)
        self.assertEqual('interrupted before it was started',
                         by_name['vm-3'].message)

    def test_credentials_refused_mid_run_stop_it_with_every_vm_accounted(
            self):
        plans = [self.live('vm-%d' % i) for i in range(4)]
        real_get = self.nova.get_server

        def get_server(server_id):
            # The token expires once the first move is under way.
            if self.nova.calls['live_migrate_server']:
                raise ks_exceptions.NotFound('Failed to validate token')
            return real_get(server_id)
        self.nova.get_server = get_server
        self.nova.servers = get_server
        rows = self.run_engine(plans)
        self.assertEqual(engine.CREDENTIALS_REFUSED,
                         self.engine.stopped.kind)
        self.assertEqual(4, len(rows))
        by_name = {r.name: r for r in rows}
        self.assertEqual(outcomes.IN_PROGRESS, by_name['vm-0'].result)
        self.assertIn('credentials stopped working', by_name['vm-0'].message)
        self.assertEqual(outcomes.SKIPPED, by_name['vm-3'].result)
        self.assertIn('not started', by_name['vm-3'].message)
        # Nothing was sent once the cloud refused the credentials.
        self.assertLessEqual(self.nova.calls['live_migrate_server'], 2)

    def test_a_shared_listing_refused_by_keystone_stops_the_run(self):
        # Authenticating again fails at the first listing of the source:
        # the run stops there, nothing sent, rather than each task reading
        # its VM one request later.
        plans = [self.cold('vm-%d' % i) for i in range(4)]

        def servers(**query):
            raise ks_exceptions.AuthorizationFailure('token revoked')
        self.nova.servers = servers
        rows = self.run_engine(plans)
        self.assertEqual(engine.CREDENTIALS_REFUSED,
                         self.engine.stopped.kind)
        self.assertEqual([outcomes.SKIPPED] * 4, [r.result for r in rows])
        self.assertEqual(0, self.nova.calls['migrate_server'])

    def test_action_column_says_what_was_done_after_a_re_decision(self):
        plans = [self.live('was-running')]
        self.nova.servers_by_id['id-was-running'].status = 'SHUTOFF'
        [row] = self.run_engine(plans)
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertEqual(decision.COLD_MIGRATE, row.action)
        self.assertEqual(1, self.nova.calls['migrate_server'])

    def test_no_wait_reports_in_progress(self):
        [row] = self.run_engine([self.live('vm')], wait=False)
        self.assertEqual(outcomes.IN_PROGRESS, row.result)
        self.assertIn('not waiting', row.message)
        # Still on its source as far as we know: no destination to show.
        self.assertIsNone(row.destination)

    def test_lost_answers_are_waited_for_no_longer_than_the_timeout(self):
        def no_answer(*args, **kwargs):
            self.nova.calls['live_migrate_server'] += 1
            raise ks_exceptions.ConnectFailure('no route')
        self.nova.live_migrate_server = no_answer
        [row] = self.run_engine([self.live('vm')], timeout=30)
        self.assertEqual(outcomes.IN_PROGRESS, row.result)
        self.assertIn('no end after 30s', row.message)
        self.assertLess(self.clock.now, 40.0)
        # Nova never acted, so the request was sent again, never twice at
        # once.
        self.assertGreater(self.nova.calls['live_migrate_server'], 1)
        self.assertEqual([], self.nova.moves)


class TestConvergence(fake_nova.EngineTestCase):
    """Live migrations that stop converging, on the fake clock."""

    def test_a_copy_stuck_at_40_percent_is_aborted_at_the_stall_timeout(self):
        plan = self.live('busy-db')
        self.nova.never_converges(plan.server.id, left=0.6, after=5.0)
        [row], reports = self.run_reported([plan], stall_timeout=60)

        self.assertEqual(outcomes.FAILED, row.result)
        self.assertIn('no progress for 6', row.message)
        self.assertIn('stuck at 40%, 2.4 GiB of 4.0 GiB left', row.message)
        self.assertIn('aborted, the VM is still ACTIVE on src', row.message)
        self.assertEqual(1, self.nova.calls['abort_server_migration'])
        # Stopped at the stall timeout (plus a poll), not the hour's.
        self.assertLess(self.clock.now, 5.0 + 60 + 10)
        progress = [text for _t, _n, text in reports
                    if text.startswith('live-migrating ')]
        self.assertIn('live-migrating 40% (2.4 GiB left)', progress)

    def test_a_slow_copy_that_keeps_converging_is_never_stalled(self):
        self.nova.live_seconds = 600.0
        [row], reports = self.run_reported([self.live('big')],
                                           stall_timeout=30)
        self.assertEqual(outcomes.MOVED, row.result)
        self.assertEqual(0, self.nova.calls['abort_server_migration'])
        # A line every 30 s at most, off a terminal as on one.
        times = [t for t, _n, text in reports
                 if text.startswith('live-migrating ') and '%' in text]
        self.assertGreater(len(times), 10)
        self.assertTrue(all(b - a >= 30 for a, b in zip(times, times[1:])),
                        times)

    def test_force_complete_finishes_a_stalled_copy(self):
        plan = self.live('busy-db')
        self.nova.never_converges(plan.server.id)
        [row], _reports = self.run_reported(
            [plan], stall_timeout=60, on_timeout=defaults.FORCE_COMPLETE)
        self.assertEqual(outcomes.MOVED, row.result)
        self.assertIn('forced to complete', row.message)
        self.assertEqual(1, self.nova.calls['force_complete_server_migration'])

    def test_a_vm_with_passthrough_devices_is_never_forced(self):
        plan = self.live('gpu-vm')
        self.nova.servers_by_id[plan.server.id].flavor = {
            'vcpus': 4, 'extra_specs': {'resources:VGPU': '1'}}
        self.nova.never_converges(plan.server.id)
        [row], _reports = self.run_reported(
            [plan], stall_timeout=60, on_timeout=defaults.FORCE_COMPLETE)
        self.assertEqual(outcomes.FAILED, row.result)
        self.assertIn('not forced to complete: 1 vGPU,', row.message)
        self.assertEqual(0, self.nova.calls['force_complete_server_migration'])
        self.assertEqual(1, self.nova.calls['abort_server_migration'])

    def test_zero_turns_the_stall_timeout_off(self):
        plan = self.live('busy-db')
        self.nova.never_converges(plan.server.id)
        [row], _reports = self.run_reported([plan], stall_timeout=0,
                                            timeout=900)
        self.assertEqual(outcomes.FAILED, row.result)
        self.assertIn('no end after 900s', row.message)

    def test_a_short_copy_is_never_read_and_its_start_is_listed(self):
        self.nova.live_seconds = 2.0
        rows, reports = self.run_reported(
            [self.live('vm-%d' % i) for i in range(2)])
        self.assertEqual([outcomes.MOVED] * 2, [r.result for r in rows])
        # The second waited behind the first; the shared listing showed
        # when Nova started it, and neither copy lasted a progress read.
        started = [text for _t, name, text in reports
                   if name == 'vm-1' and text.startswith('Nova started it')]
        self.assertEqual(1, len(started), reports)
        self.assertEqual(0, self.nova.calls['server_migrations'])

    def test_a_long_copy_is_read_every_few_seconds(self):
        self.nova.live_seconds = 120.0
        [row], _reports = self.run_reported([self.live('vm')],
                                            stall_timeout=300)
        self.assertEqual(outcomes.MOVED, row.result)
        reads = self.nova.calls['server_migrations']
        # Every 5 s or the next poll after, not at each poll.
        self.assertGreaterEqual(reads, 120 / waiting.COPY_READ_INTERVAL / 2)
        self.assertLessEqual(reads, 120 / waiting.COPY_READ_INTERVAL + 1)

    def test_a_refused_progress_read_never_fails_the_move(self):
        def refused(server):
            # Nova's response schema refusing a record libvirt wrote.
            self.nova.calls['refused'] += 1
            raise sdk_exceptions.BadRequestException('memory_processed_bytes')
        self.nova.server_migrations = refused
        # Long enough for its copy to be read.
        self.nova.live_seconds = 30.0
        [row], _reports = self.run_reported([self.live('vm')])
        self.assertEqual(outcomes.MOVED, row.result)
        self.assertGreater(self.nova.calls['refused'], 0)


class TestNovasWordDecides(fake_nova.EngineTestCase):
    """What Nova shows ends a wait, whatever the shared listing says."""

    def test_a_move_nova_drops_before_its_record_is_seen_within_seconds(
            self):
        plan = self.cold('off')
        self.nova.drops.add(plan.server.id)
        [row] = self.run_engine([plan], retries=0)
        self.assertEqual(outcomes.FAILED, row.result)
        self.assertIn('Nova recorded no migration', row.message)
        # Seen at the next bounded read, not at the hour's timeout.
        self.assertLess(row.duration, reading.READ_UNLISTED_EVERY + 5.0)

    def test_a_dropped_move_is_sent_again_within_retries(self):
        plan = self.cold('off')
        self.nova.drops.add(plan.server.id)
        [row] = self.run_engine([plan], retries=1)
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertIn('attempt 1 failed', row.message)
        self.assertEqual(2, self.nova.calls['migrate_server'])

    def test_a_vm_deleted_while_its_move_waits_in_the_queue_is_seen(self):
        self.nova.live_seconds = 200.0
        first, second = self.live('first'), self.live('second')
        real_get = self.nova.get_server
        deleted = []

        def get_server(server_id):
            # Its owner deletes the second while it waits in the queue.
            if self.clock() >= 10.0 and not deleted:
                deleted.append(self.clock())
                self.nova.delete(second.server.id)
            return real_get(server_id)
        self.nova.get_server = get_server
        self.nova.migrations_listed = 0
        rows, reports = self.run_reported([first, second])
        self.assertEqual([outcomes.MOVED, outcomes.SKIPPED],
                         [r.result for r in rows])
        self.assertIn('deleted', rows[1].message)
        ended = [t for t, name, text in reports
                 if name == 'second' and text.startswith('skipped')]
        self.assertLessEqual(ended[0] - deleted[0],
                             reading.READ_LISTED_EVERY + 5.0)

    def test_only_the_attempts_own_migration_is_ever_aborted(self):
        plan = self.live('vm')

        def then_an_operator_moves_it():
            # Right after our first attempt failed, someone else starts a
            # live migration of the VM, which outlasts our timeout.
            self.nova.live_seconds = 500.0
            self.nova.start_move(plan.server.id)
        self.nova.failures[plan.server.id] = then_an_operator_moves_it
        [row] = self.run_engine([plan], timeout=20, retries=1)
        self.assertEqual(0, self.nova.calls['abort_server_migration'])
        self.assertEqual(1, self.nova.calls['live_migrate_server'])
        self.assertEqual(outcomes.IN_PROGRESS, row.result)
        self.assertIn('not started by this run', row.message)

    def test_a_record_nova_reuses_is_our_moves(self):
        plan = planned(self.nova.add('off', 'src', 'SHUTOFF'),
                       decision.COLD_MIGRATE)
        # A dead conductor's record, which nova's next one takes over.
        stale = self.nova.add_migration(plan.server.id, 'src', None,
                                        'pre-migrating')
        stale.migration_type = 'migration'
        [row] = self.run_engine([plan])
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertEqual('', row.message)
        self.assertEqual(['confirmed'],
                         [r.status for r in self.nova.records])

    def test_post_copy_is_neither_stalled_nor_aborted(self):
        plan = self.live('busy-db')
        self.nova.never_converges(plan.server.id, left=0.6, after=2.0)
        self.nova.post_copy[plan.server.id] = 6.0
        [row], reports = self.run_reported([plan], stall_timeout=20)
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertIn('finished in post-copy', row.message)
        self.assertEqual(0, self.nova.calls['abort_server_migration'])
        self.assertIn('switched to post-copy', ' '.join(
            text for _t, _n, text in reports))

    def test_post_copy_past_the_timeout_is_left_to_finish(self):
        plan = self.live('busy-db')
        self.nova.never_converges(plan.server.id, left=0.6, after=2.0)
        self.nova.post_copy[plan.server.id] = 3.0
        self.nova.live_seconds = 500.0
        real_advance = self.nova._advance

        def slow_post_copy():
            real_advance()
            for record in self.nova.records:
                if record.status == fake_nova.POST_COPY:
                    record.end = max(record.end, 400.0)
        self.nova._advance = slow_post_copy
        [row] = self.run_engine([plan], timeout=30, stall_timeout=10)
        self.assertEqual(outcomes.IN_PROGRESS, row.result, row)
        self.assertIn('post-copy, which cannot be aborted', row.message)
        self.assertEqual(0, self.nova.calls['abort_server_migration'])

    def test_a_block_migrations_disk_copy_never_counts_as_a_stall(self):
        plan = self.live('big-disk')
        self.nova.disks[plan.server.id] = 40.0
        self.nova.never_converges(plan.server.id, left=0.6, after=5.0)
        [row], reports = self.run_reported([plan], stall_timeout=10)
        self.assertEqual(outcomes.FAILED, row.result)
        self.assertEqual(1, self.nova.calls['abort_server_migration'])
        # The memory copy began after 40 s of disks, and stalled 5 s in.
        aborted = [t for t, _n, text in reports if 'aborting' in text]
        self.assertGreaterEqual(aborted[0], 40.0 + 5.0 + 10.0)
        self.assertTrue(any(text.startswith('copying disks ')
                            for _t, _n, text in reports), reports)

    def test_a_paused_guest_is_never_forced_to_complete(self):
        plan = planned(self.nova.add('paused', 'src', 'PAUSED'),
                       decision.LIVE_MIGRATE)
        self.nova.servers_by_id[plan.server.id].power_state = \
            decision.PAUSED
        self.nova.never_converges(plan.server.id)
        [row] = self.run_engine([plan], stall_timeout=30,
                                on_timeout=defaults.FORCE_COMPLETE)
        self.assertEqual(0, self.nova.calls['force_complete_server_migration'])
        self.assertEqual(1, self.nova.calls['abort_server_migration'])
        self.assertIn('not forced to complete: its guest is paused',
                      row.message)


class TestStatusLine(fake_nova.EngineTestCase):

    def test_the_counts_say_what_they_count_with_each_event(self):
        seen = []

        class Report:
            def __call__(_self, task, text):
                seen.append(['event', task.server.name, text])

            def status(_self, counts):
                seen.append(['status', dict(counts)])
        plans = [self.live('a'), self.cold('b'),
                 planned(self.nova.add('c', 'src', 'SUSPENDED'),
                         decision.SKIP)]
        engine.Engine(self.nova, engine.Options(), progress=Report(),
                      clock=self.clock, sleep=self.clock.sleep).run(plans)
        statuses = [s[1] for s in seen if s[0] == 'status']
        # Known from the first: nothing shown blank.
        self.assertEqual({'moved': 0, 'skipped': 0, 'failed': 0,
                          'in flight': 0, 'left': 3}, statuses[0])
        # Each VM in exactly one count, at every moment.
        for counts in statuses:
            self.assertEqual(3, sum(counts.values()), counts)
        # The event of a VM's end comes with the counts that include it.
        for i, entry in enumerate(seen):
            if entry[0] == 'event' and entry[2].startswith('moved'):
                self.assertEqual('status', seen[i + 1][0])
        self.assertEqual({'moved': 2, 'skipped': 1, 'failed': 0,
                          'in flight': 0, 'left': 0}, statuses[-1])


class TestReviewFindings(fake_nova.EngineTestCase):

    def test_a_guest_paused_since_the_plan_is_never_reset(self):
        server = self.nova.add('vm', 'src', 'ERROR')
        plan_ = plan.PlannedServer(
            server, hosts.ComputeHost('src'),
            decision.ServerFacts('ERROR', power_state=decision.RUNNING,
                                 failed_migration='live failed'),
            decision.Decision(decision.RESET_THEN_LIVE_MIGRATE,
                              'live failed'))
        # libvirt paused the guest after the plan read it.
        self.nova.servers_by_id[server.id].power_state = decision.PAUSED
        [row] = self.run_engine([plan_])
        self.assertEqual(0, self.nova.calls['reset_server_state'])
        self.assertEqual(0, self.nova.calls['live_migrate_server'])
        # Decided again on what Nova shows now: this fake records no
        # failed action, so it is an ERROR left alone (with one, the table
        # says its guest is paused).
        self.assertEqual(outcomes.SKIPPED, row.result)

    def test_a_record_known_before_is_never_our_new_one(self):
        def record(status):
            return fake_nova.Record(uuid='u', id=1, status=status)
        self.assertFalse(listings.is_new({'u': 'running'}, record('error')))
        self.assertFalse(listings.is_new({'u': 'finished'},
                                         record('confirmed')))
        self.assertTrue(listings.is_new({'u': 'pre-migrating'},
                                        record('migrating')))
        self.assertTrue(listings.is_new({}, record('queued')))
