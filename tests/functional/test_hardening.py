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

"""Faults, bad input and secrets: nothing lost, nothing half-done."""

import threading

from tests.functional import base

HOST, OTHER, THIRD = base.HOSTS


def _is_live_migration_request(request):
    return request.method == 'POST' and b'os-migrateLive' in request.body


class HardeningTestCase(base.NovaCloudTestCase):

    def migrations_per_server(self):
        per_server = {}
        for m in self.admin_api.api_get('/os-migrations').body['migrations']:
            per_server.setdefault(m['instance_uuid'], []).append(m['status'])
        return per_server


class TestFaults(HardeningTestCase):

    def test_api_outage_mid_drain_is_ridden_out_without_double_moves(self):
        servers = [self.create_active('active-%d' % i, HOST)
                   for i in range(2)] + [self.create_shutoff('off', HOST)]

        # The outage starts with the first move request, which is refused:
        # its answer is lost, and reads fail for the next 3 seconds.
        with self.api_outage(3, starts_on=_is_live_migration_request) as o:
            result = self.openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertGreater(o['refused'], 1)
        self.assertIn('compute API unavailable', result.stderr)
        self.assertIn('looking at the VM before sending it again',
                      result.stderr)
        self.assertEqual([], self.nova_servers_on(HOST))
        for server in servers:
            nova = self.nova_server(server['id'])
            self.assertIsNone(nova['OS-EXT-STS:task_state'])
        self.assertEqual({'ACTIVE', 'SHUTOFF'}, {
            self.nova_server(s['id'])['status'] for s in servers})
        # Exactly one move per VM: nothing was sent twice.
        moves = self.migrations_per_server()
        self.assertEqual(3, len(moves))
        for statuses in moves.values():
            self.assertEqual(1, len(statuses), moves)

    def test_vm_deleted_while_the_host_drains(self):
        staying = self.create_active('staying', HOST)
        leaving = self.create_active('leaving', HOST)
        with self.live_migration_held(HOST) as release:
            # Live migrations from one host go one at a time: while the
            # first is held, its owner deletes the other.
            first, second = sorted((staying, leaving),
                                   key=lambda s: s['name'])

            queued = []

            def delete_then_release():
                # Once its live migration waits in nova-compute's queue.
                self._wait_for_assert(lambda: queued.extend(
                    self.admin_api.api_get(
                        '/os-migrations?instance_uuid=%s' % second['id']
                    ).body['migrations']) or self.assertTrue(queued),
                    max_retries=200)
                self.admin_api.delete_server(second['id'])
                self._wait_until_deleted(second)
                release.set()
            threading.Timer(1.0, delete_then_release).start()
            result = self.openstack('host', 'drain', HOST, '-f', 'json')

        rows = {r['Name']: r for r in result.json()}
        self.assertEqual('moved', rows[first['name']]['Result'])
        self.assertEqual('skipped', rows[second['name']]['Result'])
        self.assertIn('deleted', rows[second['name']]['Message'])
        self.assertEqual([], self.nova_servers_on(HOST))
        # Nova leaves the source allocation of the deleted VM's queued live
        # migration (its consumer is the migration's UUID) on the host: the
        # drain says so, and exits 3, rather than call the host empty.
        held = [r for r in result.json() if r['Result'] == 'held-in-placement']
        self.assertEqual([queued[0]['uuid']], [r['ID'] for r in held], result)
        self.assertEqual(3, result.exit_code, result)

    def test_two_drains_of_one_host_never_move_a_vm_twice(self):
        servers = [self.create_active('vm-%d' % i, HOST) for i in range(2)]
        other_result = {}
        with self.live_migration_held(HOST) as release:
            def second_drain():
                other_result['r'] = self.openstack(
                    'host', 'drain', HOST, '-f', 'json')
            threading.Timer(0.5, second_drain).start()
            threading.Timer(2.0, release.set).start()
            first = self.openstack('host', 'drain', HOST, '-f', 'json')
        self._wait_for_assert(lambda: self.assertIn('r', other_result),
                              max_retries=60)

        self.assertEqual(0, first.exit_code, first)
        self.assertEqual(0, other_result['r'].exit_code, other_result['r'])
        self.assertEqual([], self.nova_servers_on(HOST))
        moves = self.migrations_per_server()
        self.assertEqual(sorted(s['id'] for s in servers), sorted(moves))
        for statuses in moves.values():
            self.assertEqual(['completed'], statuses, moves)


class TestInputAndSecrets(HardeningTestCase):

    def test_usage_errors_exit_2_and_touch_nothing(self):
        server = self.create_active('active', HOST)
        before = [self.nova_server(server['id'])]
        for argv in (['host', 'drain'],
                     ['host', 'drain', HOST, '--max-parallel', '0'],
                     ['host', 'drain', HOST, '--max-parallel', 'many'],
                     ['host', 'drain', HOST, '--timeout', '-1'],
                     ['host', 'drain', HOST, '--retries', '-2'],
                     ['host', 'drain', HOST, '--on-timeout', 'panic'],
                     ['host', 'vms'],
                     ['server', 'smart-migrate']):
            result = self.openstack(*argv)
            self.assertEqual(2, result.exit_code, result)
        self.assertNothingChanged(before)
        self.assertEqual('enabled', self.admin_api.get_services(
            host=HOST, binary='nova-compute')[0]['status'])

    def test_names_are_printed_as_they_are_and_never_reach_a_shell(self):
        name = 'x"; $(touch /tmp/mh-pwned) `id` <b>bold</b> \'q\' & | ;'
        server = self.create_active(name, HOST)

        [row] = self.openstack_json('host', 'vms', HOST)
        self.assertEqual(name, row['Name'])
        rows = self.openstack_json('server', 'smart-migrate', server['id'])
        self.assertEqual(name, rows[0]['Name'])
        self.assertEqual('moved', rows[0]['Result'])
        table = self.openstack('host', 'vms', rows[0]['Destination'])
        self.assertIn(name, table.stdout)
        self.assertNotEqual(
            HOST, self.nova_server(server['id'])['OS-EXT-SRV-ATTR:host'])

    def test_no_output_shows_the_token_even_with_debug(self):
        self.create_active('active', HOST)
        for argv in (['--debug', 'host', 'vms', HOST, '-f', 'json'],
                     ['--debug', 'host', 'vms', 'no-such-host'],
                     ['--debug', 'host', 'drain', HOST, '--dry-run'],
                     ['host', 'vms', HOST]):
            result = self.openstack(*argv, cloud=base.SECRET_CLOUD)
            self.assertIn(result.exit_code, (0, 1), result)
            self.assertNotIn(base.SECRET_TOKEN, result.stdout)
            self.assertNotIn(base.SECRET_TOKEN, result.stderr)
            self.assertNotIn('do-not-print', result.stderr)
