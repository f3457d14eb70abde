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

"""Guests as their hypervisor reports them, and moves Nova dropped.

The fake hypervisor reports paused and suspended guests as libvirt does
(base.model_guest_power_states): a VM a failed move left in ERROR still
shows the power state of its guest, and nothing may be sent to a guest
that is not running (no stop, reset, unpause or forced completion). A
move nova-conductor dropped before writing its migration record is seen
at once and retried; another operator's move of a VM is never aborted.
"""

import threading
import time
from unittest import mock

from nova.compute import power_state
from nova import context as nova_context
from nova import objects

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS
POWER_STATE = 'OS-EXT-STS:power_state'
DROPPED = 'injected: conductor lost the request'


def live_migrate_body(host=None):
    return {'os-migrateLive': {'host': host, 'block_migration': 'auto'}}


class GuestStatesTestCase(cases.DrainTestCase):

    def setUp(self):
        super().setUp()
        self.model_guest_power_states()

    def power_state(self, server):
        return self.nova_server(server['id'])[POWER_STATE]

    def migrations_of(self, server):
        """The VM's migration records, oldest first."""
        return sorted(self.admin_api.api_get(
            '/os-migrations?instance_uuid=%s' % server['id']
        ).body['migrations'], key=lambda m: m['id'])

    def action_events(self, server, action):
        """The events of the VM's instance actions called ``action``."""
        events = []
        for found in self.admin_api.get_instance_actions(server['id']):
            if found['action'] == action:
                events.extend(self.admin_api.get_instance_action_details(
                    server['id'], found['request_id'])['events'])
        return events

    def requests_about(self, seen, server, method=None):
        """The recorded requests about one VM that change something."""
        return [(m, path, body) for m, path, body in seen
                if server['id'] in path and m != 'GET' and
                (method is None or m == method)]

    def assertState(self, server, status, host, power):
        nova = self.nova_server(server['id'])
        self.assertEqual(
            (status, host, power, None),
            (nova['status'], nova['OS-EXT-SRV-ATTR:host'], nova[POWER_STATE],
             nova['OS-EXT-STS:task_state']), nova)
        return nova

    def fail_live_migration(self, server):
        """The operator's live migration fails in nova-conductor.

        Nova leaves the VM in ERROR with a fault, its power state as it
        was, and the live-migration record ``error``.
        """
        with self.live_migration_task_fails() as failures:
            self.admin_api.post_server_action(server['id'],
                                              live_migrate_body())
            server = self._wait_for_state_change(server, 'ERROR')
        self.assertEqual(0, failures['left'])
        self._wait_for_migration_status(server, ['error'])
        return server


class TestTheFakeHypervisor(GuestStatesTestCase):
    """The test cloud's guests report what libvirt's would."""

    def test_paused_and_suspended_guests_report_their_power_state(self):
        paused = self.create_paused('paused', HOST)
        suspended = self.create_suspended('suspended', HOST)
        self.assertEqual(power_state.PAUSED, self.power_state(paused))
        self.assertEqual(power_state.SUSPENDED, self.power_state(suspended))

        self._server_action(paused, 'unpause', 'ACTIVE')
        self.assertEqual(power_state.RUNNING, self.power_state(paused))
        self._server_action(paused, 'pause', 'PAUSED')
        self.assertEqual(power_state.PAUSED, self.power_state(paused))
        self._server_action(suspended, 'resume', 'ACTIVE')
        self.assertEqual(power_state.RUNNING, self.power_state(suspended))

    def test_a_paused_guest_stays_paused_when_it_moves_live(self):
        paused = self.create_paused('paused', HOST)

        self.admin_api.post_server_action(paused['id'], live_migrate_body())
        self._wait_for_migration_status(paused, ['completed'])
        server = self._wait_for_server_parameter(
            paused, {'status': 'PAUSED', 'OS-EXT-STS:task_state': None})

        self.assertIn(server['OS-EXT-SRV-ATTR:host'], (OTHER, THIRD))
        self.assertEqual(power_state.PAUSED, server[POWER_STATE])

    def test_a_live_migration_failing_in_conductor_keeps_the_guest(self):
        paused = self.create_paused('paused', HOST)

        server = self.fail_live_migration(paused)

        self.assertState(paused, 'ERROR', HOST, power_state.PAUSED)
        self.assertIn('injected', server['fault']['message'])
        [migration] = self.migrations_of(paused)
        self.assertEqual('error', migration['status'])


class TestGuestsThatAreNotRunning(GuestStatesTestCase):
    """A guest that is not running is never stopped, reset or unpaused."""

    def test_paused_vm_an_operators_failed_move_left_in_error_is_skipped(
            self):
        paused = self.create_paused('paused', HOST)
        self.assertEqual(power_state.PAUSED, self.power_state(paused))
        self.fail_live_migration(paused)
        self.assertState(paused, 'ERROR', HOST, power_state.PAUSED)
        actions = self.instance_actions(paused)
        migrations = self.migrations_of(paused)

        with self.compute_requests() as seen:
            result = self.openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(3, result.exit_code, result)
        [row] = result.json()
        self.assertEqual('skipped', row['Result'], row)
        self.assertIn('paused', row['Message'].lower())
        # Nothing was sent: no reset (which records no instance action),
        # no stop, no unpause, no move.
        self.assertEqual([], self.requests_about(seen, paused))
        self.assertState(paused, 'ERROR', HOST, power_state.PAUSED)
        self.assertEqual(actions, self.instance_actions(paused))
        self.assertNotIn('stop', actions)
        self.assertNotIn('unpause', actions)
        self.assertEqual(migrations, self.migrations_of(paused))

    def test_paused_vm_whose_move_fails_during_the_drain_is_left_alone(self):
        paused = self.create_paused('paused', HOST)
        self.assertEqual(power_state.PAUSED, self.power_state(paused))
        actions = self.instance_actions(paused)

        with self.compute_requests() as seen, \
                self.live_migration_task_fails() as failures:
            result = self.openstack('host', 'drain', HOST, '-f', 'json')

        # The drain's own first live migration was the one that failed.
        self.assertEqual(0, failures['left'])
        self.assertEqual(3, result.exit_code, result)
        [row] = result.json()
        self.assertIn(row['Result'], ('failed', 'skipped'), row)
        self.assertIn('paused', row['Message'].lower())
        self.assertState(paused, 'ERROR', HOST, power_state.PAUSED)
        # One move, the failed one, then nothing: no reset, stop, unpause
        # or second attempt.
        self.assertEqual(['error'],
                         [m['status'] for m in self.migrations_of(paused)])
        sent = self.requests_about(seen, paused)
        self.assertEqual(1, len(sent), sent)
        self.assertIn('os-migrateLive', sent[0][2])
        self.assertEqual(actions + ['live-migration'],
                         self.instance_actions(paused))

    def test_suspended_vm_a_failed_move_left_in_error_is_skipped(self):
        # Nova refuses to move a SUSPENDED VM: this one's hypervisor says
        # its guest is suspended (as after a suspend Nova has not heard of
        # yet) when its live migration fails.
        vm = self.create_active('suspended', HOST)
        self.set_guest_state(vm, HOST, power_state.SUSPENDED)
        self.assertState(vm, 'ACTIVE', HOST, power_state.SUSPENDED)
        self.fail_live_migration(vm)
        self.assertState(vm, 'ERROR', HOST, power_state.SUSPENDED)
        actions = self.instance_actions(vm)
        migrations = self.migrations_of(vm)

        with self.compute_requests() as seen:
            result = self.openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(3, result.exit_code, result)
        [row] = result.json()
        self.assertEqual('skipped', row['Result'], row)
        self.assertIn('suspended', row['Message'].lower())
        self.assertEqual([], self.requests_about(seen, vm))
        self.assertState(vm, 'ERROR', HOST, power_state.SUSPENDED)
        self.assertEqual(actions, self.instance_actions(vm))
        self.assertNotIn('stop', actions)
        self.assertNotIn('resume', actions)
        self.assertEqual(migrations, self.migrations_of(vm))

    def test_a_stalled_copy_of_a_paused_guest_is_aborted_never_forced(self):
        paused = self.create_paused('paused', HOST)
        self.assertEqual(power_state.PAUSED, self.power_state(paused))

        with self.compute_requests() as seen, \
                self.live_copies(cases.stuck_at_40_percent):
            # Nova refuses to force a paused VM's migration (409, its
            # vm_state is not active): --timeout bounds a drain that would
            # try again and again.
            result = self.openstack(
                'host', 'drain', HOST, '--stall-timeout', '4',
                '--on-timeout', 'force-complete', '--timeout', '60',
                '-f', 'json')

        self.assertEqual(3, result.exit_code, result)
        [row] = result.json()
        self.assertEqual('failed', row['Result'], row)
        self.assertIn('not forced', row['Message'])
        self.assertIn('paused', row['Message'].lower())
        forced = [r for r in self.requests_about(seen, paused, 'POST')
                  if 'force_complete' in r[2]]
        self.assertEqual([], forced)
        aborts = self.requests_about(seen, paused, 'DELETE')
        self.assertEqual(1, len(aborts), aborts)
        self.assertEqual(['cancelled'],
                         [m['status'] for m in self.migrations_of(paused)])
        self.assertState(paused, 'PAUSED', HOST, power_state.PAUSED)


class TestDroppedMoves(GuestStatesTestCase):
    """A cold migration nova-conductor dropped before its record."""

    def assertDropped(self, server):
        """Nova recorded why: one failed event, and the VM's fault."""
        failed = [e for e in self.action_events(server, 'migrate')
                  if e['event'] == 'conductor_migrate_server' and
                  e['result'] == 'Error']
        self.assertEqual(1, len(failed), failed)
        self.assertIn(DROPPED, failed[0]['details'])
        # The API shows a fault only on an ERROR VM; Nova keeps it anyway.
        fault = objects.InstanceFault.get_latest_for_instance(
            nova_context.get_admin_context(), server['id'])
        self.assertIn(DROPPED, fault.message)

    def test_a_dropped_cold_migration_is_seen_at_once_and_retried(self):
        off = self.create_shutoff('off', HOST)

        with self.cold_migration_dropped(error=DROPPED) as failures:
            result = self.openstack('host', 'drain', HOST, '--timeout', '600',
                                    '-f', 'json')

        self.assertEqual(0, failures['left'])
        self.assertDropped(off)
        self.assertEqual(0, result.exit_code, result)
        [row] = result.json()
        self.assertEqual('moved', row['Result'], row)
        self.assertIn('attempt 1 failed', row['Message'])
        self.assertLess(row['Duration'], 60)
        server = self.nova_server(off['id'])
        self.assertEqual(('SHUTOFF', None, power_state.SHUTDOWN), (
            server['status'], server['OS-EXT-STS:task_state'],
            server[POWER_STATE]))
        self.assertIn(server['OS-EXT-SRV-ATTR:host'], (OTHER, THIRD))
        # The dropped attempt wrote no record: one migration, the retry.
        self.assertEqual(['confirmed'],
                         [m['status'] for m in self.migrations_of(off)])

    def test_without_retries_the_row_gives_novas_reason_at_once(self):
        off = self.create_shutoff('off', HOST)

        with self.cold_migration_dropped(error=DROPPED) as failures:
            result = self.openstack('host', 'drain', HOST, '--timeout', '600',
                                    '--retries', '0', '-f', 'json')

        self.assertEqual(0, failures['left'])
        self.assertDropped(off)
        self.assertEqual(3, result.exit_code, result)
        [row] = result.json()
        self.assertEqual('failed', row['Result'], row)
        self.assertIn(DROPPED, row['Message'])
        self.assertLess(row['Duration'], 60)
        self.assertState(off, 'SHUTOFF', HOST, power_state.SHUTDOWN)
        self.assertEqual([], self.migrations_of(off))


class TestSomeoneElsesMove(GuestStatesTestCase):

    def test_an_operators_live_migration_after_our_failed_one_is_kept(self):
        busy = self.create_active('busy', HOST)
        driver = self.computes[HOST].manager.driver
        real = driver.live_migration
        calls, operator = [], {}
        release, aborted = threading.Event(), threading.Event()
        self.addCleanup(release.set)

        def live_migration(context, instance, dest, post_method,
                           recover_method, block_migration=False,
                           migrate_data=None):
            calls.append(instance.uuid)
            if len(calls) == 1:
                # The drain's attempt fails and rolls back; as soon as the
                # VM is idle again another operator live-migrates it.
                recover_method(context, instance, dest, migrate_data)
                try:
                    self.admin_api.post_server_action(
                        busy['id'], live_migrate_body())
                    operator['sent'] = True
                except Exception as e:
                    operator['refused'] = e
                return
            # The operator's: a long copy, until released or aborted.
            while not (release.is_set() or aborted.is_set()):
                time.sleep(0.05)
            if aborted.is_set():
                return recover_method(context, instance, dest, migrate_data,
                                      migration_status='cancelled')
            return real(context, instance, dest, post_method,
                        recover_method, block_migration, migrate_data)

        with self.compute_requests() as seen, \
                mock.patch.object(driver, 'live_migration',
                                  live_migration), \
                mock.patch.object(driver, 'live_migration_abort',
                                  lambda instance: aborted.set()):
            result = self.openstack(
                'host', 'drain', HOST, '--timeout', '5', '--on-timeout',
                'abort', '-f', 'json')
            migrations = self.migrations_of(busy)
            server = self.nova_server(busy['id'])

            # The operator's move started right after the drain's failed.
            self.assertEqual({'sent': True}, operator)
            self.assertEqual(2, len(migrations), migrations)
            self.assertEqual('failed', migrations[0]['status'])
            self.assertEqual('running', migrations[1]['status'],
                             "the operator's migration was not left running")
            self.assertEqual(('MIGRATING', HOST), (
                server['status'], server['OS-EXT-SRV-ATTR:host']))
            self.assertEqual(3, result.exit_code, result)
            [row] = result.json()
            self.assertNotEqual('moved', row['Result'], row)
            self.assertTrue(
                'not started by this run' in row['Message'] or
                'left running' in row['Message'], row)
            # Never aborted: no abort request, no abort reached the host.
            self.assertEqual([], self.requests_about(seen, busy, 'DELETE'))
            self.assertFalse(aborted.is_set())
            moves = [r for r in self.requests_about(seen, busy, 'POST')
                     if 'os-migrateLive' in r[2]]
            # The drain's and the operator's: the drain sent no other.
            self.assertEqual(2, len(moves), moves)

            release.set()
            self._wait_for_migration_status(busy, ['completed'])
            server = self._wait_for_server_parameter(
                busy, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None})
        self.assertIn(server['OS-EXT-SRV-ATTR:host'], (OTHER, THIRD))


class TestFailedEvacuation(GuestStatesTestCase):

    def test_a_failed_evacuation_is_evacuated_again_power_kept(self):
        running = self.create_active('running', HOST)
        stopped = self.create_shutoff('stopped', HOST)
        self.mark_host_down(HOST, forced=True)

        with self.compute_requests() as seen, \
                self.scheduler_refuses(times=1) as refusals:
            result = self.openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, refusals['left'])
        self.assertEqual(0, result.exit_code, result)
        rows = {r['Name']: r for r in result.json()}
        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        retried = [name for name, row in rows.items()
                   if 'attempt 1 failed' in row['Message']]
        self.assertEqual(1, len(retried), rows)
        server = {'running': running, 'stopped': stopped}[retried[0]]
        # Evacuated twice, never reset or migrated off the dead host.
        bodies = [body for _m, _p, body in
                  self.requests_about(seen, server, 'POST')]
        self.assertEqual(2, sum('evacuate' in b for b in bodies), bodies)
        for never in ('os-migrateLive', 'os-resetState', '"migrate"'):
            self.assertNotIn(never, ' '.join(bodies))
        self.assertState(running, 'ACTIVE',
                         self.nova_server(running['id'])[
                             'OS-EXT-SRV-ATTR:host'], power_state.RUNNING)
        self.assertState(stopped, 'SHUTOFF',
                         self.nova_server(stopped['id'])[
                             'OS-EXT-SRV-ATTR:host'], power_state.SHUTDOWN)
        self.assertEqual([], self.nova_servers_on(HOST))
