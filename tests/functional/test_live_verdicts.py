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

"""Pinned CPUs, vTPM and SR-IOV ports on a real Nova.

What the plan asks of placement, what moves live, and what the drain does
instead.
"""

import os

import fixtures
from nova.tests.functional.api import client as api_client
from nova.virt import fake
import yaml

from tests.functional import base
from tests.functional import cases
from tests.functional import network_api

HOST, OTHER, THIRD = base.HOSTS
PCPUS_PER_HOST = 4
# What libvirt reports of a host that offers vTPM with both secret
# security policies the flavors ask for.
TPM_TRAITS = ('COMPUTE_SECURITY_TPM_2_0', 'COMPUTE_SECURITY_TPM_TIS',
              'COMPUTE_SECURITY_TPM_SECRET_SECURITY_USER',
              'COMPUTE_SECURITY_TPM_SECRET_SECURITY_HOST')
_REAL_UPDATE_PROVIDER_TREE = fake.FakeDriver.update_provider_tree


def with_dedicated_cpus(driver, provider_tree, nodename, allocations=None):
    """The fake hypervisor's inventory, with dedicated CPUs as well.

    As ``[compute] cpu_dedicated_set`` makes libvirt report them.
    """
    _REAL_UPDATE_PROVIDER_TREE(driver, provider_tree, nodename, allocations)
    inventory = provider_tree.data(nodename).inventory
    inventory['PCPU'] = {
        'total': PCPUS_PER_HOST, 'min_unit': 1, 'max_unit': PCPUS_PER_HOST,
        'step_size': 1, 'allocation_ratio': 1.0, 'reserved': 0}
    provider_tree.update_inventory(nodename, inventory)


class VerdictTestCase(cases.DrainTestCase):

    def host_vms(self, host=HOST):
        result = self.openstack('host', 'vms', host, '-f', 'json')
        self.assertEqual(0, result.exit_code, result)
        return {row['Name']: row for row in result.json()}

    def allocated(self, server):
        """{resource class: amount} placement holds for the VM."""
        allocations = self.placement.get(
            '/allocations/%s' % server['id']).body['allocations']
        [held] = allocations.values()
        return held['resources']


class TestPinnedCPUs(VerdictTestCase):
    """The fake hypervisors report PCPU; the scheduler asks for it."""

    def setUp(self):
        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.fake.FakeDriver.update_provider_tree',
            with_dedicated_cpus))
        # The fake hypervisor has no NUMA topology to pin to: the one
        # filter that needs it is left out, placement still counts PCPU.
        self.flags(enabled_filters=[
            'ComputeFilter', 'ComputeCapabilitiesFilter',
            'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter',
            'ServerGroupAffinityFilter'], group='filter_scheduler')
        super().setUp()
        self.flavor = self.create_flavor_with(
            'pinned.2', {'hw:cpu_policy': 'dedicated'}, vcpus=2)

    def test_no_shared_cpu_left_does_not_stop_pinned_vms(self):
        pinned = self.create_active('pinned', HOST, flavor=self.flavor)
        self.assertEqual(2, self.allocated(pinned).get('PCPU'))
        self.assertNotIn('VCPU', self.allocated(pinned))
        # Not one shared CPU free anywhere: only dedicated ones.
        for host in (OTHER, THIRD):
            self.leave_free(host, 'VCPU', 0)

        rows = self.drain(HOST)

        self.assertEqual('moved', rows['pinned']['Result'])
        self.assertNotEqual(HOST, self.host_of(pinned))
        self.assertEqual(2, self.allocated(pinned).get('PCPU'))

    def test_no_dedicated_cpu_left_is_refused_before_anything_changes(self):
        pinned = self.create_active('pinned', HOST, flavor=self.flavor)
        shared = self.create_active('shared', HOST)
        for host in (OTHER, THIRD):
            self.leave_free(host, 'PCPU', 1)

        result = self.openstack('host', 'drain', HOST)

        self.assertEqual(1, result.exit_code, result)
        self.assertIn('nothing was changed', result.stderr)
        self.assertIn('pinned (%s)' % pinned['id'], result.stderr)
        self.assertIn('1 dedicated CPU', result.stderr)
        self.assertNotIn('shared (', result.stderr)
        self.assertEqual('enabled', self.service(HOST)['status'])
        self.assertEqual([], self.migrations())
        for server in (pinned, shared):
            self.assertEqual(HOST, self.host_of(server))


class TestVTPM(VerdictTestCase):
    """vTPM VMs move live only with secret security "host" (2026.1)."""

    def setUp(self):
        super().setUp()
        for host in base.HOSTS:
            self.add_traits(host, *TPM_TRAITS)
        sealed_flavor = self.create_flavor_with(
            'vtpm.user', {'hw:tpm_version': '2.0'})
        self.sealed = self.create_active('sealed', HOST,
                                         flavor=sealed_flavor)
        # Stopped, it moves cold as every stopped VM: no downtime to accept.
        self.stopped = self.create_shutoff('sealed-off', HOST,
                                           flavor=sealed_flavor)
        self.portable = self.create_active('portable', HOST, flavor=(
            self.create_flavor_with('vtpm.host', {
                'hw:tpm_version': '2.0', 'hw:tpm_secret_security': 'host'})))

    def test_nova_refuses_what_the_verdict_says(self):
        # The verdict is Nova's own rule: its API refuses the live move.
        error = self.assertRaises(
            api_client.OpenStackApiException,
            self.admin_api.post_server_action, self.sealed['id'],
            {'os-migrateLive': {'host': None, 'block_migration': 'auto'}})
        self.assertEqual(400, error.response.status_code)
        self.assertIn('vTPM', error.response.text)

        rows = self.host_vms()

        self.assertTrue(rows['sealed']['Live Move'].startswith(
            'no: vTPM with secret security "user"'), rows['sealed'])
        self.assertEqual('skip', rows['sealed']['Action'])
        self.assertIn('--allow-downtime moves it cold',
                      rows['sealed']['Reason'])
        self.assertEqual(('yes', 'live-migrate'),
                         (rows['portable']['Live Move'],
                          rows['portable']['Action']))
        self.assertEqual('cold-migrate', rows['sealed-off']['Action'])
        self.assertTrue(rows['sealed-off']['Live Move'].startswith('no: '))

    def test_skipped_without_consent_moved_cold_with_it(self):
        rows = self.drain(HOST, expect=3)

        self.assertEqual('skipped', rows['sealed']['Result'])
        self.assertIn('hw:tpm_secret_security=host',
                      rows['sealed']['Message'])
        self.assertEqual(HOST, self.host_of(self.sealed))
        self.assertEqual('moved', rows['portable']['Result'])
        self.assertEqual(['live-migration'], [
            m['migration_type'] for m in self.migrations()
            if m['instance_uuid'] == self.portable['id']])
        self.assertEqual('moved', rows['sealed-off']['Result'])
        self.assertNotIn('moved cold', rows['sealed-off']['Message'])
        self.assertFalse(rows['sealed-off']['Message'].startswith(';'))
        self.assertEqual('SHUTOFF', self.nova_server(
            self.stopped['id'])['status'])

        rows = self.drain(HOST, '--allow-downtime')

        self.assertEqual('moved', rows['sealed']['Result'])
        self.assertEqual('cold-migrate', rows['sealed']['Action'])
        self.assertIn('moved cold', rows['sealed']['Message'])
        sealed = self.nova_server(self.sealed['id'])
        self.assertEqual(
            ('ACTIVE', 1),
            (sealed['status'], sealed['OS-EXT-STS:power_state']))
        self.assertNotEqual(HOST, sealed['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(['migration'], [
            m['migration_type'] for m in self.migrations()
            if m['instance_uuid'] == self.sealed['id']])


class TestSRIOVPorts(VerdictTestCase):
    """Ports read through the network API: a direct port is unplugged."""

    def setUp(self):
        super().setUp()
        network = self.useFixture(network_api.NetworkAPIFixture(
            self.neutron))
        path = os.environ['OS_CLIENT_CONFIG_FILE']
        with open(path) as f:
            config = yaml.safe_load(f)
        config['clouds'][base.ADMIN_CLOUD][
            'network_endpoint_override'] = network.endpoint
        with open(path, 'w') as f:
            yaml.safe_dump(config, f)

    def create_with_port(self, name, port):
        server = self.admin_api.post_server({'server': {
            'name': name, 'imageRef': base.IMAGE_ID,
            'flavorRef': base.FLAVOR_ID, 'host': HOST,
            'networks': [{'port': port['id']}]}})
        return self._wait_for_state_change(server, 'ACTIVE')

    def make_direct(self, port):
        # The fake hypervisors have no VFs to boot an SR-IOV port on: the
        # port becomes one after boot, as Neutron would show it.
        self.neutron._ports[port['id']]['binding:vnic_type'] = 'direct'
        for binding in self.neutron._port_bindings.get(
                port['id'], {}).values():
            binding['vnic_type'] = 'direct'

    def test_a_direct_port_needs_consent_to_cut_the_network(self):
        direct = self.neutron.port_1
        sriov = self.create_with_port('sriov', direct)
        plain = self.create_with_port('plain', self.neutron.create_port(
            {'port': {'network_id': self.neutron.network_1['id']}})['port'])
        self.make_direct(direct)

        rows = self.host_vms()

        self.assertTrue(rows['sriov']['Live Move'].startswith(
            'interrupted: port %s (direct) is unplugged' % direct['id']),
            rows['sriov'])
        self.assertEqual('skip', rows['sriov']['Action'])
        self.assertEqual('yes', rows['plain']['Live Move'])

        rows = self.drain(HOST, expect=3)
        self.assertEqual('skipped', rows['sriov']['Result'])
        self.assertEqual(HOST, self.host_of(sriov))
        self.assertEqual('moved', rows['plain']['Result'])

        rows = self.drain(HOST, '--allow-downtime')
        self.assertEqual('moved', rows['sriov']['Result'])
        self.assertEqual('live-migrate', rows['sriov']['Action'])
        self.assertIn('unplugged', rows['sriov']['Message'])
        self.assertNotEqual(HOST, self.host_of(sriov))
        self.assertNotEqual(HOST, self.host_of(plain))
