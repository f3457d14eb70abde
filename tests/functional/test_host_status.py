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

"""`openstack host status` against a real Nova and Placement."""

from tests.functional import base

HOST, OTHER, THIRD = base.HOSTS
FIELDS = [
    'Host', 'Hypervisor Hostnames', 'Service ID', 'Service Status',
    'Service State', 'Disabled Reason', 'Forced Down', 'Hypervisor Type',
    'Hypervisor Version', 'vCPUs Used', 'vCPUs Capacity', 'RAM Used (MB)',
    'RAM Capacity (MB)', 'Disk Used (GB)', 'Disk Capacity (GB)', 'VMs',
    'VMs By Status', 'Migrations In Progress', 'Allocations',
    'Placement Empty',
]


class TestHostStatus(base.NovaCloudTestCase):

    def provider_of(self, host):
        return self._get_provider_uuid_by_host(host)

    def test_service_hypervisor_resources_vms_and_migrations(self):
        active = self.create_active('active', HOST)
        shutoff = self.create_shutoff('shutoff', HOST,
                                      api=self.project_b_api)
        resized = self.create_verify_resize('resized', HOST)
        servers = (active, shutoff, resized)
        self.admin_api.put_service(self.service_id(HOST), {
            'status': 'disabled', 'disabled_reason': 'disk replacement'})

        status = self.openstack_json('host', 'status', 'cld-nl-01')

        self.assertEqual(FIELDS, list(status))
        service = self.admin_api.get_services(
            host=HOST, binary='nova-compute')[0]
        self.assertEqual(HOST, status['Host'])
        self.assertEqual([HOST], status['Hypervisor Hostnames'])
        self.assertEqual(service['id'], status['Service ID'])
        self.assertEqual('disabled', status['Service Status'])
        self.assertEqual('up', status['Service State'])
        self.assertEqual('disk replacement', status['Disabled Reason'])
        self.assertFalse(status['Forced Down'])
        hypervisor = self.admin_api.api_get(
            '/os-hypervisors/detail').body['hypervisors']
        hypervisor = next(h for h in hypervisor
                          if h['hypervisor_hostname'] == HOST)
        self.assertEqual(hypervisor['hypervisor_type'],
                         status['Hypervisor Type'])
        self.assertEqual(hypervisor['hypervisor_version'],
                         status['Hypervisor Version'])

        # What placement holds for the host: the resize keeps the source's
        # allocation too, so usage comes from placement, not from flavors.
        usages = self._get_provider_usages(self.provider_of(HOST))
        self.assertEqual(usages['VCPU'], status['vCPUs Used'])
        self.assertEqual(usages['MEMORY_MB'], status['RAM Used (MB)'])
        self.assertEqual(usages['DISK_GB'], status['Disk Used (GB)'])
        self.assertEqual(3, status['vCPUs Used'])
        # MediumFakeDriver: 10 vCPUs at nova's initial ratio 4.0, 8192 MB
        # less 512 MB reserved for the host, 1028 GB at ratio 1.0.
        self.assertEqual(40, status['vCPUs Capacity'])
        self.assertEqual(7680, status['RAM Capacity (MB)'])
        self.assertEqual(1028, status['Disk Capacity (GB)'])

        self.assertEqual(3, status['VMs'])
        self.assertEqual({'ACTIVE': 1, 'SHUTOFF': 1, 'VERIFY_RESIZE': 1},
                         status['VMs By Status'])
        [moving] = status['Migrations In Progress']
        self.assertEqual(resized['id'], moving['server'])
        self.assertEqual('migration', moving['type'])
        self.assertEqual(OTHER, moving['source'])
        self.assertEqual(HOST, moving['dest'])
        # Every allocation here is a VM's on the host; the resize's source
        # part is held by its migration on OTHER.
        self.assertEqual(
            {(s['id'], 'vm') for s in servers},
            {(a['consumer'], a['kind']) for a in status['Allocations']})
        self.assertFalse(status['Placement Empty'])
        self.assertEqual('finished', moving['status'])

    def test_reserved_and_allocation_ratio_are_applied(self):
        provider = self.provider_of(HOST)
        inventory = self._get_provider_inventory(provider)
        inventory['VCPU'].update(reserved=2, allocation_ratio=2.0)
        inventory['MEMORY_MB'].update(reserved=1024, allocation_ratio=1.5)
        self._update_inventory(provider, {
            'resource_provider_generation': self.placement.get(
                '/resource_providers/%s' % provider,
                version='1.14').body['generation'],
            'inventories': inventory})

        status = self.openstack_json('host', 'status', HOST)

        self.assertEqual((10 - 2) * 2, status['vCPUs Capacity'])
        self.assertEqual(int((8192 - 1024) * 1.5),
                         status['RAM Capacity (MB)'])

    def test_forced_down_host_and_running_live_migration(self):
        server = self.create_active('moving', HOST)
        with self.live_migration_held(HOST):
            self.admin_api.post_server_action(server['id'], {
                'os-migrateLive': {'host': OTHER, 'block_migration': 'auto'}})
            self._wait_for_server_parameter(
                server, {'OS-EXT-STS:task_state': 'migrating'})
            self._wait_for_migration_status(server, ['running'])
            status = self.openstack_json('host', 'status', OTHER)
        [moving] = status['Migrations In Progress']
        self.assertEqual('live-migration', moving['type'])
        self.assertEqual('running', moving['status'])
        self.assertEqual(HOST, moving['source'])
        self._wait_for_server_parameter(
            server, {'OS-EXT-SRV-ATTR:host': OTHER, 'status': 'ACTIVE'})

        self.mark_host_down(THIRD, forced=True)
        status = self.openstack_json('host', 'status', THIRD)
        self.assertEqual('down', status['Service State'])
        self.assertTrue(status['Forced Down'])
        self.assertEqual(0, status['VMs'])
        self.assertEqual({}, status['VMs By Status'])
