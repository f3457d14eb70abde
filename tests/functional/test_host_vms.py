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

"""`openstack host vms` against a real Nova: every row of the table."""

from tests.functional import base

HOST, OTHER, THIRD = base.HOSTS
# nova/compute/power_state.py, as OSC shows them.
POWER_STATES = {0: 'NOSTATE', 1: 'Running', 3: 'Paused', 4: 'Shutdown',
                6: 'Crashed', 7: 'Suspended'}
COLUMNS = ['ID', 'Name', 'Status', 'Task State', 'Power State', 'Flavor',
           'Project', 'Action', 'Reason', 'Live Move', 'Project Name']
LONG_COLUMNS = COLUMNS + ['User', 'vCPUs', 'RAM (MB)', 'Disk (GB)', 'Image',
                          'Volumes', 'Created']


class TestHostVMs(base.NovaCloudTestCase):

    def host_vms(self, host, *extra):
        rows = self.openstack_json('host', 'vms', host, *extra)
        return {row['Name']: row for row in rows}

    def test_every_state_on_a_live_host(self):
        b = self.project_b_api
        servers = [
            self.create_active('active-a', HOST),
            self.create_active('active-b', HOST, api=b),
            self.create_paused('paused', HOST),
            self.create_shutoff('shutoff-b', HOST, api=b),
            self.create_verify_resize('resized-running', HOST),
            self.create_verify_resize('resized-stopped', HOST, stopped=True),
            self.create_failed_migration('failed-move', HOST),
            self.create_error('broken', HOST),
            self.create_suspended('suspended-b', HOST, api=b),
            self.create_rescued('rescued', HOST),
            self.create_shelved('shelved', HOST),
        ]
        elsewhere = self.create_active('elsewhere', OTHER)
        before = [self.nova_server(s['id']) for s in servers]

        result = self.openstack('host', 'vms', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        rows = result.json()
        self.assertEqual(COLUMNS, list(rows[0]))
        by_name = {row['Name']: row for row in rows}
        nova_view = self.nova_servers_on(HOST)
        self.assertEqual(sorted(s['id'] for s in nova_view),
                         sorted(row['ID'] for row in rows))
        self.assertNotIn(elsewhere['id'], [row['ID'] for row in rows])
        self.assertEqual(
            {'active-a': 'live-migrate',
             'active-b': 'live-migrate',
             'paused': 'live-migrate',
             'shutoff-b': 'cold-migrate',
             'resized-running': 'confirm-resize+live-migrate',
             'resized-stopped': 'confirm-resize+cold-migrate',
             'failed-move': 'reset-state+live-migrate',
             'broken': 'skip',
             'suspended-b': 'skip',
             'rescued': 'skip',
             'shelved': 'offload'},
            {name: row['Action'] for name, row in by_name.items()})
        # Listing changes nothing.
        self.assertNothingChanged(before)

        for name, row in by_name.items():
            nova = self.nova_server(row['ID'])
            self.assertEqual(nova['status'], row['Status'], name)
            self.assertEqual(nova['tenant_id'], row['Project'], name)
            self.assertEqual(
                POWER_STATES[nova['OS-EXT-STS:power_state']],
                row['Power State'], name)
        self.assertEqual(base.PROJECT_B, by_name['suspended-b']['Project'])
        self.assertEqual('', by_name['active-a']['Reason'])
        self.assertEqual('Shutdown', by_name['shutoff-b']['Power State'])
        self.assertEqual('m1.tiny', by_name['active-a']['Flavor'])
        self.assertIn('stays paused', by_name['paused']['Reason'])
        self.assertIn('migrate failed in compute_resize_instance',
                      by_name['failed-move']['Reason'])
        suspended = by_name['suspended-b']['Reason']
        self.assertIn('resumed', suspended)
        self.assertIn('project %s, user alice' % base.PROJECT_B, suspended)
        self.assertIn('unrescued', by_name['rescued']['Reason'])
        self.assertIn('no fault recorded', by_name['broken']['Reason'])

    def test_error_with_a_fault_is_skipped_with_the_fault(self):
        server = self.create_failed_migration('failed-then-reset', HOST)
        # Another action after the failed move: the VM is no longer in
        # ERROR because of a move, so only its fault explains it.
        self.admin_api.post_server_action(
            server['id'], {'os-resetState': {'state': 'error'}})
        self.admin_api.post_server_action(
            server['id'], {'os-resetState': {'state': 'active'}})
        self.admin_api.post_server_action(
            server['id'], {'os-resetState': {'state': 'error'}})
        nova = self._wait_for_state_change(server, 'ERROR')
        row = self.host_vms(HOST)['failed-then-reset']
        # Its last migration ended in error, but the ERROR came later from
        # an operator: only its fault explains it, and it is not reset.
        self.assertEqual('skip', row['Action'])
        # The fault of the failed move (Nova names the exception class).
        self.assertIn('error: Exception', row['Reason'])
        self.assertNotIn('migrat', row['Reason'])
        self.assertEqual('ERROR', nova['status'])

    def test_move_in_progress_is_waited_for(self):
        server = self.create_active('moving', HOST)
        with self.live_migration_held(HOST):
            self.admin_api.post_server_action(server['id'], {
                'os-migrateLive': {'host': None, 'block_migration': 'auto'}})
            self._wait_for_server_parameter(
                server, {'OS-EXT-STS:task_state': 'migrating'})
            row = self.host_vms(HOST)['moving']
            self.assertEqual('wait', row['Action'])
            self.assertEqual('migrating', row['Task State'])
            self.assertEqual('task in progress: migrating', row['Reason'])
        self._wait_for_server_parameter(
            server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None})
        self.assertNotEqual(
            HOST, self.nova_server(server['id'])['OS-EXT-SRV-ATTR:host'])

    def test_forced_down_host_is_evacuated(self):
        self.create_active('active', HOST)
        self.create_shutoff('shutoff', HOST)
        self.create_paused('paused', HOST)
        self.mark_host_down(HOST, forced=True)

        rows = self.host_vms(HOST)

        self.assertEqual('evacuate', rows['active']['Action'])
        self.assertEqual('evacuate', rows['shutoff']['Action'])
        self.assertEqual('skip', rows['paused']['Action'])
        self.assertIn('cannot be evacuated', rows['paused']['Reason'])

    def test_down_host_not_forced_down_asks_for_fencing(self):
        self.create_active('active', HOST)
        self.mark_host_down(HOST)

        row = self.host_vms(HOST)['active']

        self.assertEqual('skip', row['Action'])
        self.assertIn('not forced down', row['Reason'])
        self.assertIn('--evacuate', row['Reason'])

    def test_long_adds_owner_resources_image_volumes_created(self):
        server = self.create_active('active-b', HOST, api=self.project_b_api)
        result = self.openstack('host', 'vms', HOST, '--long', '-f', 'json')
        self.assertEqual(0, result.exit_code, result)
        row = result.json()[0]
        self.assertEqual(LONG_COLUMNS, list(row))
        nova = self.nova_server(server['id'])
        self.assertEqual('alice', row['User'])
        self.assertEqual(nova['user_id'], row['User'])
        self.assertEqual(nova['flavor']['vcpus'], row['vCPUs'])
        self.assertEqual(nova['flavor']['ram'], row['RAM (MB)'])
        self.assertEqual(nova['flavor']['disk'], row['Disk (GB)'])
        self.assertEqual(base.IMAGE_ID, row['Image'])
        self.assertEqual([], row['Volumes'])
        self.assertEqual(nova['created'], row['Created'])

    def test_empty_host_lists_nothing(self):
        self.create_active('elsewhere', OTHER)
        self.assertEqual([], self.openstack_json('host', 'vms', THIRD))

    def test_value_format_for_scripts(self):
        server = self.create_active('active', HOST)
        result = self.openstack('host', 'vms', HOST, '-f', 'value',
                                '-c', 'ID')
        self.assertEqual(0, result.exit_code, result)
        self.assertEqual(server['id'] + '\n', result.stdout)
