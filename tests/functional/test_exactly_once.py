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

"""Exactly once, and in the state it had: moves under failures and actors.

Faults are injected into the fake hypervisors and Nova's own services; the
other actors are Nova API calls made while the drain runs, or a second
``openstack host drain`` process. Every test asserts on Nova's records:
no VM moved twice, no move sent for a VM already off the host, each VM in
the power state it had, and rows that agree with Nova.
"""

import contextlib
import threading
import time
from unittest import mock

from nova.compute import api as compute_api
from nova.conductor import manager as conductor_manager

from tests.functional import base

HOST, OTHER, THIRD = base.HOSTS


def _fail(*args, **kwargs):
    raise Exception('injected: the hypervisor failed this step')


class ExactlyOnceTestCase(base.NovaCloudTestCase):

    def drain(self, *args, expect=0):
        result = self.openstack('host', 'drain', HOST, *args, '-f', 'json')
        self.assertEqual(expect, result.exit_code, result)
        return {row['Name']: row for row in result.json()}, result

    def migrations_of(self, server):
        return [m for m in self.admin_api.api_get(
            '/os-migrations').body['migrations']
            if m['instance_uuid'] == server['id']]

    def successful_moves(self, server):
        return [m for m in self.migrations_of(server)
                if m['status'] in ('completed', 'confirmed')]

    @contextlib.contextmanager
    def step_fails(self, hosts, step, times=1):
        """The fake driver's ``step`` raises on ``hosts``, ``times`` times."""
        left = {'n': times}
        patches = contextlib.ExitStack()
        for host in hosts:
            driver = self.computes[host].manager.driver
            real = getattr(driver, step)

            def step_or_fail(*args, _real=real, **kwargs):
                if left['n'] > 0:
                    left['n'] -= 1
                    _fail()
                return _real(*args, **kwargs)
            patches.enter_context(mock.patch.object(driver, step,
                                                    step_or_fail))
        with patches:
            yield left

    def stopped_vm_with_failed_cold_migration(self, name):
        """A VM its owner shut down, left in ERROR by a cold migration."""
        server = self.create_shutoff(name, HOST)
        with self.step_fails([HOST], 'migrate_disk_and_power_off'):
            self.admin_api.post_server_action(server['id'],
                                              {'migrate': None})
            server = self._wait_for_state_change(server, 'ERROR')
        self._wait_for_migration_status(server, ['error'])
        return server


class TestFailuresHalfWay(ExactlyOnceTestCase):

    def test_confirm_failing_on_the_source_is_never_moved_again(self):
        server = self.create_shutoff('stopped', HOST)

        with self.step_fails([HOST], 'confirm_migration'):
            rows, result = self.drain(expect=3)

        row = rows['stopped']
        self.assertEqual('left-unhealthy', row['Result'], result)
        nova = self.nova_server(server['id'])
        self.assertEqual('ERROR', nova['status'])
        self.assertEqual(row['Destination'], nova['OS-EXT-SRV-ATTR:host'])
        self.assertNotEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
        self.assertIn('openstack server set --state active', row['Message'])
        # One move, from the drained host; none from the destination.
        migrations = self.migrations_of(server)
        self.assertEqual([HOST], [m['source_compute'] for m in migrations])
        self.assertEqual([], self.nova_servers_on(HOST))

    def test_failure_after_reaching_the_destination_is_never_moved_again(
            self):
        server = self.create_shutoff('stopped', HOST)

        with self.step_fails([OTHER, THIRD], 'finish_migration'):
            rows, result = self.drain(expect=3)

        self.assertEqual('left-unhealthy', rows['stopped']['Result'], result)
        nova = self.nova_server(server['id'])
        self.assertEqual('ERROR', nova['status'])
        self.assertIn(nova['OS-EXT-SRV-ATTR:host'], (OTHER, THIRD))
        self.assertEqual(1, len(self.migrations_of(server)))

    def test_stopped_vm_left_in_error_is_reset_stopped_and_ends_shutoff(self):
        server = self.stopped_vm_with_failed_cold_migration('stopped')

        rows, result = self.drain()

        row = rows['stopped']
        self.assertEqual('moved', row['Result'], result)
        self.assertEqual('reset-state+cold-migrate', row['Action'])
        self.assertIn('stopped again', row['Message'])
        nova = self.nova_server(server['id'])
        self.assertEqual('SHUTOFF', nova['status'])
        self.assertEqual(4, nova['OS-EXT-STS:power_state'])
        self.assertNotEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(1, len(self.successful_moves(server)))

    def test_our_failed_cold_migration_is_retried_from_nova_stopped(self):
        server = self.create_shutoff('stopped', HOST)

        with self.step_fails([HOST], 'migrate_disk_and_power_off'):
            rows, result = self.drain()

        row = rows['stopped']
        self.assertEqual('moved', row['Result'], result)
        self.assertIn('attempt 1 failed', row['Message'])
        self.assertIn('stopped again', row['Message'])
        nova = self.nova_server(server['id'])
        self.assertEqual('SHUTOFF', nova['status'])
        self.assertEqual(row['Destination'], nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(['error', 'confirmed'], [
            m['status'] for m in sorted(self.migrations_of(server),
                                        key=lambda m: m['id'])])

    def test_error_from_a_later_rebuild_is_not_reset(self):
        server = self.create_failed_migration('rebuilt', HOST)
        self.admin_api.post_server_action(
            server['id'], {'os-resetState': {'state': 'active'}})
        self._wait_for_state_change(server, 'ACTIVE')
        with self.step_fails([HOST], 'spawn'):
            self.admin_api.post_server_action(server['id'], {'rebuild': {
                'imageRef': base.IMAGE_ID}})
            self._wait_for_state_change(server, 'ERROR')

        [row] = self.openstack_json('host', 'vms', HOST)

        # Skipped with its fault, not taken for the older failed move.
        self.assertEqual('skip', row['Action'])
        self.assertTrue(row['Reason'].startswith('error: '), row)
        self.assertNotIn('migrat', row['Reason'])
        rows, result = self.drain(expect=3)
        self.assertEqual('skipped', rows['rebuilt']['Result'], result)
        self.assertEqual('ERROR', self.nova_server(server['id'])['status'])
        self.assertEqual(1, len(self.migrations_of(server)))


class TestOtherActors(ExactlyOnceTestCase):

    def test_a_conductor_slow_to_pick_up_a_live_migration_is_waited_for(
            self):
        server = self.create_active('busy', HOST)
        real = conductor_manager.ComputeTaskManager._live_migrate

        def slow(manager, *args, **kwargs):
            # A backed-up message bus: well past the old 10 s grace.
            time.sleep(15)
            return real(manager, *args, **kwargs)
        with mock.patch.object(conductor_manager.ComputeTaskManager,
                               '_live_migrate', slow):
            # An operator's live migration, sent before the drain.
            self.admin_api.post_server_action(
                server['id'], {'os-migrateLive': {
                    'host': None, 'block_migration': 'auto'}})
            rows, result = self.drain()

        row = rows['busy']
        self.assertEqual('moved', row['Result'], result)
        self.assertIn('moved by another request', row['Message'])
        self.assertNotIn('reset', result.stderr)
        self.assertEqual(1, len(self.migrations_of(server)))
        self.assertEqual('ACTIVE', self.nova_server(server['id'])['status'])

    def test_the_owner_confirming_first_is_success(self):
        server = self.create_shutoff('stopped', HOST, api=self.project_b_api)
        real = compute_api.API.confirm_resize
        owner = {'confirmed': False}

        def owner_first(api, context, instance, migration=None):
            if not owner['confirmed']:
                # The owner's confirmation reaches Nova just before ours.
                owner['confirmed'] = True
                self.project_b_api.post_server_action(
                    server['id'], {'confirmResize': None})
                self._wait_for_state_change(server, 'SHUTOFF')
            return real(api, context, instance, migration)
        with mock.patch.object(compute_api.API, 'confirm_resize',
                               owner_first):
            rows, result = self.drain()

        self.assertTrue(owner['confirmed'])
        row = rows['stopped']
        self.assertEqual('moved', row['Result'], result)
        self.assertIn('already done by another request', result.stderr)
        nova = self.nova_server(server['id'])
        self.assertEqual('SHUTOFF', nova['status'])
        self.assertNotEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(['confirmed'], [
            m['status'] for m in self.migrations_of(server)])

    def test_a_vm_moved_by_an_operator_is_never_moved_again(self):
        moved = self.create_active('moved', HOST)
        staying = self.create_active('staying', HOST)
        with self.live_migration_held(HOST) as release:
            # The drain is held on its first live migration while an
            # operator moves the other VM by hand.
            second = max((moved, staying), key=lambda s: s['name'])

            def operator():
                self.admin_api.post_server_action(
                    second['id'], {'os-migrateLive': {
                        'host': THIRD, 'block_migration': 'auto'}})
                operator_sent.append(True)
                release.set()
            operator_sent = []
            threading.Timer(1.0, operator).start()
            rows, result = self.drain('--max-parallel', '1')

        self.assertEqual([True], operator_sent)
        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        self.assertIn('moved by another request',
                      rows[second['name']]['Message'])
        for server in (moved, staying):
            self.assertEqual(1, len(self.migrations_of(server)))
        self.assertEqual(THIRD, self.nova_server(second['id'])[
            'OS-EXT-SRV-ATTR:host'])


class TestTwoDrainProcesses(base.ProcessTestCase, ExactlyOnceTestCase):

    def test_two_drains_of_one_host_at_once_move_each_vm_once(self):
        servers = {}
        for i in range(3):
            servers['running-%d' % i] = (
                self.create_active('running-%d' % i, HOST), 'ACTIVE')
            servers['stopped-%d' % i] = (
                self.create_shutoff('stopped-%d' % i, HOST), 'SHUTOFF')
        self.clouds_yaml = base.serve_over_http(self, self.directory,
                                                base.PROCESS_CLOUD)

        with self.moves_take(1):
            drains = [self.start_openstack('host', 'drain', HOST, '-f',
                                           'json') for _ in range(2)]
            results = [self.finish(d) for d in drains]

        for result in results:
            self.assertEqual(0, result.exit_code, result)
            rows = self.rows(result)
            self.assertEqual(sorted(servers), sorted(rows))
            self.assertEqual({'moved'}, {r['Result'] for r in rows.values()},
                             result)
            for name, (server, _status) in servers.items():
                self.assertEqual(
                    self.nova_server(server['id'])['OS-EXT-SRV-ATTR:host'],
                    rows[name]['Destination'], name)
        self.assertEqual([], self.nova_servers_on(HOST))
        for name, (server, status) in servers.items():
            nova = self.nova_server(server['id'])
            self.assertEqual(status, nova['status'], name)
            self.assertIsNone(nova['OS-EXT-STS:task_state'], name)
            # Exactly one migration, and it succeeded.
            self.assertEqual(['completed' if status == 'ACTIVE'
                              else 'confirmed'],
                             [m['status'] for m in self.migrations_of(
                                 server)], name)
