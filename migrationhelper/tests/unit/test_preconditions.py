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

"""Every attempt starts from Nova's word: the preconditions of a move.

On the fake clock and the fake compute proxy: a VM off its source is never
sent a move, a refusal because someone else is moving it is waited for and
reported, a lost answer is matched only by a move from the source, a VM
without a migration record is not reset for minutes, and only a migration
this run started is aborted.
"""

import dataclasses

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions
import testtools

from migrationhelper import errors
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import recheck
from migrationhelper.tests.unit import fake_nova


class TestPreconditions(fake_nova.EngineTestCase):

    def test_a_vm_another_actor_moves_first_is_never_sent_a_move(self):
        plan = self.live('vm')
        # An operator's live migration starts after the plan was made.
        self.nova.start_move('id-vm', host='elsewhere')
        [row] = self.run_engine([plan])
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertEqual('moved by another request', row.message)
        self.assertEqual('elsewhere', row.destination)
        self.assertEqual(0, self.nova.calls['live_migrate_server'])

    def test_another_actors_cold_move_is_left_to_it_to_confirm(self):
        plan = self.cold('vm')
        self.nova.start_move('id-vm', kind='cold', host='elsewhere')
        server = self.nova.servers_by_id['id-vm']
        real_get = self.nova.get_server

        mover = []

        def get_server(server_id):
            # The other drain confirms a few seconds after the copy ends.
            found = real_get(server_id)
            if server.status == 'VERIFY_RESIZE' and self.clock() >= 8.0:
                self.nova.confirm_server_resize(server)
                mover.append('confirmed')
                found = real_get(server_id)
            return found
        self.nova.get_server = get_server
        [row] = self.run_engine([plan])
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertEqual('moved by another request', row.message)
        # Only the mover confirmed: two at once fail in Nova.
        self.assertEqual(['confirmed'], mover)
        self.assertEqual(1, self.nova.calls['confirm_server_resize'])
        self.assertEqual('SHUTOFF', server.status)

    def test_a_refusal_because_another_actor_won_the_race_is_waited_for(
            self):
        self.nova.live_migrate_server = fake_nova.busy_refusal(self.nova,
                                                               'id-vm')
        [row] = self.run_engine([self.live('vm')])
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertEqual('moved by another request', row.message)
        # Ours was refused; the other actor's is the only move.
        self.assertEqual(1, len(self.nova.moves))

    def test_only_a_migration_this_run_started_is_aborted(self):
        self.nova.live_seconds = 100.0
        self.nova.live_migrate_server = fake_nova.busy_refusal(self.nova,
                                                               'id-vm')
        [row] = self.run_engine([self.live('vm')], timeout=30)
        self.assertEqual(outcomes.IN_PROGRESS, row.result, row)
        self.assertIn('not started by this run', row.message)
        self.assertEqual(0, self.nova.calls['abort_server_migration'])

    def test_our_own_migration_is_aborted_at_the_timeout(self):
        self.nova.live_seconds = 100.0
        [row] = self.run_engine([self.live('vm')], timeout=30)
        self.assertEqual(1, self.nova.calls['abort_server_migration'])
        self.assertEqual(outcomes.FAILED, row.result, row)
        self.assertIn('aborted, the VM is still ACTIVE on src', row.message)

    def test_a_lost_answer_is_matched_only_by_a_move_from_the_source(self):
        # Before it came to this host, the VM moved between two others:
        # the host's migration listing, read by the plan, does not show it.
        plan = dataclasses.replace(self.live('vm'),
                                   known_migrations=frozenset())
        self.nova.add_migration('id-vm', 'a', 'b', 'completed')
        real = self.nova.live_migrate_server
        lost = {'left': 1}

        def no_answer(server, host=None, block_migration=None):
            if lost['left']:
                lost['left'] -= 1
                self.nova.calls['live_migrate_server'] += 1
                raise ks_exceptions.ConnectFailure('no route')
            return real(server, host, block_migration)
        self.nova.live_migrate_server = no_answer
        [row] = self.run_engine([plan])
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertNotIn('attempt', row.message)
        self.assertEqual(2, self.nova.calls['live_migrate_server'])
        self.assertEqual(1, len(self.nova.moves))

    def test_a_failed_move_that_left_the_source_is_never_retried(self):
        plan = self.cold('vm')
        real_advance = self.nova._advance

        def ends_in_error():
            real_advance()
            for record in self.nova.records:
                server = self.nova.servers_by_id[record.server_id]
                if record.status == 'finished':
                    # finish_migration failed on the destination.
                    self.nova._set_status(record, 'error')
                    server.status = 'ERROR'
        self.nova._advance = ends_in_error
        [row] = self.run_engine([plan], retries=3)
        self.assertEqual(outcomes.LEFT_UNHEALTHY, row.result, row)
        self.assertIn('reset its state to active', row.message)
        self.assertEqual(1, self.nova.calls['migrate_server'])
        self.assertEqual(0, self.nova.calls['reset_server_state'])

    def test_no_migration_record_for_minutes_is_not_stuck(self):
        plan = self.live('vm')
        server = self.nova.servers_by_id['id-vm']
        # Nova took an operator's request; no conductor has it yet.
        server.status, server.task_state = 'MIGRATING', 'migrating'
        real_get = self.nova.get_server
        picked_up_at = 4 * 60.0

        def get_server(server_id):
            if self.clock() >= picked_up_at and not self.nova.records:
                server.status, server.task_state = 'ACTIVE', None
                self.nova.start_move('id-vm')
            return real_get(server_id)
        self.nova.get_server = get_server
        self.assertGreater(recheck.STUCK_GRACE, picked_up_at)
        [row] = self.run_engine([plan])
        self.assertEqual(outcomes.MOVED, row.result, row)
        self.assertEqual('moved by another request', row.message)
        self.assertEqual(0, self.nova.calls['reset_server_state'])
        self.assertEqual(0, self.nova.calls['live_migrate_server'])

    def test_past_the_grace_without_the_conductors_word_nothing_is_reset(
            self):
        plan = self.live('vm')
        server = self.nova.servers_by_id['id-vm']
        server.status, server.task_state = 'MIGRATING', 'migrating'
        [row] = self.run_engine([plan], timeout=2 * recheck.STUCK_GRACE)
        self.assertEqual(outcomes.IN_PROGRESS, row.result, row)
        self.assertEqual(0, self.nova.calls['reset_server_state'])
        self.assertEqual(0, self.nova.calls['live_migrate_server'])


class TestRefusals(testtools.TestCase):

    def error(self, status, details):
        return sdk_exceptions.HttpException(
            'refused', details=details, http_status=status)

    def test_a_race_with_another_task_or_the_deletion_is_a_refusal(self):
        for race in ('UnexpectedTaskStateError',
                     'UnexpectedDeletingTaskStateError'):
            self.assertTrue(errors.is_refusal(self.error(
                500, "<class 'nova.exception.%s'>" % race)), race)

    def test_other_server_errors_are_not(self):
        self.assertFalse(errors.is_refusal(self.error(
            500, 'Unexpected API Error')))
        self.assertTrue(errors.is_refusal(sdk_exceptions.ConflictException(
            'busy', http_status=409)))
