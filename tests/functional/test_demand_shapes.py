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

"""What VMs ask of placement, and what holds placement, as real clouds have.

A device on a nested provider with its own trait; a volume whose image
asks for a trait; a move stuck before it started that still holds its
allocation; a VM still being built when the host is read.
"""

import datetime
import time
from unittest import mock
import uuid

import eventlet
from nova import context as nova_context
from nova import objects
from oslo_utils import timeutils
import requests

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS
FPGA = 'CUSTOM_FPGA'
FPGA_XL = 'CUSTOM_FPGA_XL'
NOWHERE = 'CUSTOM_NOWHERE'
# What ``host status`` must never advise for an allocation Nova still
# explains: deleting it.
AUDIT_DELETE = 'audit --delete'
HEALTHY = ('vm', 'move-from', 'move-to', 'evacuated')


class TestNestedDevice(cases.PlacementTestCase):
    """HOST and OTHER each have an FPGA on a child provider; THIRD none."""

    def add_device(self, host):
        """A child provider of the host's: 2 FPGAs, the trait on it only."""
        root = self._get_provider_uuid_by_host(host)
        response = self.placement.put('/resource_classes/%s' % FPGA, None,
                                      version='1.7')
        self.assertIn(response.status, (201, 204), response.body)
        child = self.placement.post('/resource_providers', {
            'name': '%s_fpga' % host, 'parent_provider_uuid': root},
            version='1.20').body['uuid']
        response = self.placement.put(
            '/resource_providers/%s/inventories' % child,
            {'resource_provider_generation': self._provider_generation(
                child), 'inventories': {FPGA: {'total': 2}}},
            version='1.26')
        self.assertEqual(200, response.status, response.body)
        self._create_trait(FPGA_XL)
        self._set_provider_traits(child, [FPGA_XL])
        return root, child

    def tree(self, root):
        """{provider: (parent, inventory totals, traits)} of the tree."""
        providers = self.placement.get(
            '/resource_providers?in_tree=%s' % root,
            version='1.14').body['resource_providers']
        return {p['uuid']: (
            p['parent_provider_uuid'],
            {rc: inv['total'] for rc, inv in self._get_provider_inventory(
                p['uuid']).items()},
            set(self._get_provider_traits(p['uuid']))) for p in providers}

    def assertDeviceThere(self, root, child):
        tree = self.tree(root)
        self.assertEqual({root, child}, set(tree))
        parent, inventory, traits = tree[child]
        self.assertEqual((root, {FPGA: 2}, {FPGA_XL}),
                         (parent, inventory, traits))
        self.assertNotIn(FPGA_XL, tree[root][2])
        self.assertNotIn(FPGA, tree[root][1])

    def test_a_device_vm_goes_to_the_other_host_with_the_device(self):
        devices = {host: self.add_device(host) for host in (HOST, OTHER)}
        flavor = self.create_flavor_with('fpga.xl', {
            'resources1:%s' % FPGA: '1',
            'trait1:%s' % FPGA_XL: 'required'})
        fpga = self.create_active('fpga', HOST, flavor=flavor)
        # Nova put the FPGA on the child, the rest on the host.
        root, child = devices[HOST]
        allocations = self._get_allocations_by_server_uuid(fpga['id'])
        self.assertEqual({root, child}, set(allocations))
        self.assertEqual({FPGA: 1}, allocations[child]['resources'])
        # The devices survive Nova's periodic update of the hosts' trees.
        self._run_periodics()
        for root_child in devices.values():
            self.assertDeviceThere(*root_child)
        before = [self.nova_server(fpga['id'])]

        planned = self.openstack('host', 'drain', HOST, '--dry-run',
                                 '-f', 'json')

        self.assertEqual(0, planned.exit_code, planned)
        [row] = planned.json()
        self.assertEqual((fpga['id'], 'planned', OTHER),
                         (row['ID'], row['Result'], row['Destination']))
        self.assertNothingChanged(before)
        self.assertEqual('enabled', self.service(HOST)['status'])

        rows, result = self.drain_rows(HOST)

        self.assertEqual('moved', rows[fpga['id']]['Result'], result)
        nova = self.nova_server(fpga['id'])
        self.assertEqual((OTHER, 'ACTIVE', None), (
            nova['OS-EXT-SRV-ATTR:host'], nova['status'],
            nova['OS-EXT-STS:task_state']))
        root, child = devices[OTHER]
        allocations = self._get_allocations_by_server_uuid(fpga['id'])
        self.assertEqual({root, child}, set(allocations))
        self.assertEqual({FPGA: 1}, allocations[child]['resources'])
        self.assertEqual({}, self.allocations(HOST))


class TestVolumeImageTraits(cases.PlacementTestCase):
    """The cloud serves the CinderFixture's volumes over HTTP too."""

    def setUp(self):
        super().setUp()
        self.serve_block_storage()

    def bootable_volume(self, image_metadata):
        """A volume made from an image whose properties are given."""
        volume_id = str(uuid.uuid4())
        self.cinder.volumes[volume_id] = {
            'id': volume_id, 'display_name': 'root-disk', 'size': 1,
            'status': 'available', 'attach_status': 'detached',
            'multiattach': False, 'availability_zone': 'nova',
            'bootable': True, 'volume_image_metadata': dict(
                image_metadata, image_id=base.IMAGE_ID)}
        return volume_id

    def create_on_volume(self, name, host, volume_id):
        server = self.admin_api.post_server({'server': {
            'name': name, 'flavorRef': base.FLAVOR_ID, 'networks': 'none',
            'host': host, 'block_device_mapping_v2': [{
                'boot_index': 0, 'source_type': 'volume',
                'destination_type': 'volume', 'uuid': volume_id}]}})
        return self._wait_for_state_change(server, 'ACTIVE')

    def test_a_trait_its_volume_image_asks_that_no_receiver_has(self):
        # The VM's host has the trait (Nova would not boot it elsewhere);
        # no other host has it.
        self.add_traits(HOST, NOWHERE)
        volume_id = self.bootable_volume({'trait:%s' % NOWHERE: 'required'})
        picky = self.create_on_volume('picky', HOST, volume_id)
        plain = self.create_active('plain', HOST)
        for host in (OTHER, THIRD):
            self.assertNotIn(NOWHERE, self._get_provider_traits(
                self._get_provider_uuid_by_host(host)))
        # Nova shows a VM booted from a volume, no image.
        nova = self.nova_server(picky['id'])
        self.assertEqual('', nova['image'])
        self.assertEqual([volume_id], [
            v['id'] for v in nova['os-extended-volumes:volumes_attached']])
        # The block storage API, as the plugin reads it, shows the trait.
        served = requests.get(self.volumes.endpoint + 'volumes/' + volume_id,
                              headers={'X-Auth-Token': base.ADMIN_TOKEN})
        volume = served.json()['volume']
        self.assertEqual('required', volume['volume_image_metadata'][
            'trait:%s' % NOWHERE])
        self.assertEqual([picky['id']],
                         [a['server_id'] for a in volume['attachments']])
        before = [self.nova_server(s['id']) for s in (picky, plain)]

        # The dry run refuses as the real run does (same exit status, same
        # words), and neither changes anything.
        for dry_run in (('--dry-run',), ()):
            result = self.openstack('host', 'drain', HOST, *dry_run)

            # Refused up front, the VM named: nothing changed.
            self.assertEqual(1, result.exit_code, result)
            self.assertEqual('', result.stdout)
            for named in (picky['id'], 'picky', NOWHERE):
                self.assertIn(named, result.stderr)
            self.assertIn('nothing was changed', result.stderr)
            self.assertNothingChanged(before)
            self.assertEqual('enabled', self.service(HOST)['status'])
            self.assertEqual([], self.migrations())

        # The plan of what can move, the refused VM left out, is the dry
        # run with --skip-capacity-check.
        planned = self.openstack('host', 'drain', HOST, '--dry-run',
                                 '--skip-capacity-check', '-f', 'json')
        self.assertEqual(3, planned.exit_code, planned)
        rows = {r['ID']: r for r in planned.json()}
        self.assertEqual(('skip', 'skipped'), (
            rows[picky['id']]['Action'], rows[picky['id']]['Result']))
        self.assertIn(NOWHERE, rows[picky['id']]['Message'])
        self.assertEqual('planned', rows[plain['id']]['Result'])
        self.assertNothingChanged(before)


class TestHeldInPlacement(cases.PlacementTestCase):

    def stuck_migration(self, server, minutes=10):
        """A cold migration Nova left ``pre-migrating`` minutes ago.

        Made through Nova's own objects as nova-conductor makes it before
        it asks the scheduler (no destination yet), with the allocation of
        the source it moves to the migration in placement: what a conductor
        that died there leaves.
        """
        instance = self.nova_instance(server['id'])
        then = timeutils.utcnow() - datetime.timedelta(minutes=minutes)
        migration = objects.Migration(
            context=nova_context.get_admin_context(),
            uuid=str(uuid.uuid4()), instance_uuid=server['id'],
            source_compute=instance.host, source_node=instance.node,
            migration_type='migration', status='pre-migrating',
            old_instance_type_id=instance.flavor.id,
            new_instance_type_id=instance.flavor.id,
            user_id=instance.user_id, project_id=instance.project_id,
            cross_cell_move=False, created_at=then, updated_at=then)
        migration.create()
        response = self.placement.put('/allocations/%s' % migration.uuid, {
            'allocations': {self._get_provider_uuid_by_host(HOST): {
                'resources': {'VCPU': 1, 'MEMORY_MB': 512}}},
            'project_id': instance.project_id, 'user_id': instance.user_id,
            'consumer_generation': None}, version='1.28')
        self.assertEqual(204, response.status, response.body)
        return migration.uuid

    def test_a_move_stuck_before_it_started_is_a_leftover(self):
        idle = self.create_active('idle', HOST)
        stuck = self.stuck_migration(idle)
        # What Nova and placement say: a cold migration still
        # pre-migrating from HOST, 10 minutes old, holding HOST.
        [record] = self.admin_api.api_get(
            '/os-migrations?instance_uuid=%s' % idle['id']
        ).body['migrations']
        self.assertEqual(
            (stuck, 'pre-migrating', HOST, 'migration'),
            (record['uuid'], record['status'], record['source_compute'],
             record['migration_type']))
        age = timeutils.utcnow() - timeutils.parse_isotime(
            record['created_at']).replace(tzinfo=None)
        self.assertGreater(age, datetime.timedelta(minutes=9))
        self.assertEqual({idle['id'], stuck}, set(self.allocations(HOST)))
        nova = self.nova_server(idle['id'])
        self.assertEqual(('ACTIVE', None), (
            nova['status'], nova['OS-EXT-STS:task_state']))

        status = self.openstack_json('host', 'status', HOST)

        held = self.held_by(status)
        self.assertEqual({idle['id'], stuck}, set(held))
        self.assertEqual('vm', held[idle['id']]['kind'])
        # Not a move going on that Nova will end: one to clear.
        self.assertNotIn(held[stuck]['kind'], HEALTHY, held[stuck])
        self.assertEqual(stuck, held[stuck]['migration'])
        self.assertIn(stuck, held[stuck]['note'])
        self.assertIn('pre-migrating', held[stuck]['note'])
        self.assertFalse(status['Placement Empty'])

        rows, result = self.drain_rows(HOST, expect=3)

        self.assertEqual('moved', rows[idle['id']]['Result'], result)
        self.assertNotEqual(HOST, self.host_of(idle))
        # The host is not empty: a row says which move holds it.
        self.assertTrue([r for r in rows.values()
                         if stuck in r['ID'] + (r['Message'] or '')], rows)
        self.assertEqual([stuck], list(self.allocations(HOST)))

    def boot_held(self, host, step):
        """Boot a VM on ``host`` that stays in BUILD until released.

        ``step``: 'claim' holds it before nova-compute claims it (placement
        already holds the scheduler's allocation, Nova does not yet show
        the VM on any host); 'spawn' holds it in the hypervisor's spawn.
        Returns (server, release), release() lets it finish.
        """
        manager = self.computes[host].manager
        held = {'go': False}
        if step == 'claim':
            target, name = manager, 'build_and_run_instance'
        else:
            target, name = manager.driver, 'spawn'
        real = getattr(target, name)

        def wait(*args, **kwargs):
            deadline = time.monotonic() + 60
            while not held['go'] and time.monotonic() < deadline:
                time.sleep(0.05)
            return real(*args, **kwargs)
        patch = mock.patch.object(target, name, wait)
        patch.start()
        self.addCleanup(patch.stop)
        # Nova's casts are calls here: the request returns once built.
        body = {'server': {
            'name': 'building', 'imageRef': base.IMAGE_ID,
            'flavorRef': base.FLAVOR_ID, 'networks': 'none', 'host': host}}
        posting = eventlet.spawn(self.admin_api.post_server, body)

        def let_go():
            held['go'] = True
            posting.wait()
        # Whatever the test asserted, the build ends before the cloud does.
        self.addCleanup(let_go)
        provider = self._get_provider_uuid_by_host(host)
        server = None
        for _ in range(400):
            servers = self.admin_api.get_servers(
                search_opts={'name': 'building'})
            if servers and servers[0]['id'] in \
                    self._get_allocations_by_provider_uuid(provider):
                server = self.nova_server(servers[0]['id'])
                if step == 'claim' or \
                        server['OS-EXT-STS:task_state'] == 'spawning':
                    break
            time.sleep(0.05)
        self.assertIsNotNone(server, 'the VM never reached placement')

        def release():
            let_go()
            patch.stop()
            return self._wait_for_state_change(server, 'ACTIVE')
        return server, release

    def assertStillBuildingNotToClear(self, step, expected_host):
        server, release = self.boot_held(HOST, step)
        self.assertEqual('BUILD', server['status'])
        self.assertEqual(expected_host, server['OS-EXT-SRV-ATTR:host'])

        status = self.openstack_json('host', 'status', HOST)
        server_now = self.nova_server(server['id'])

        self.assertEqual(('BUILD', expected_host), (
            server_now['status'], server_now['OS-EXT-SRV-ATTR:host']))
        held = self.held_by(status)
        self.assertIn(server['id'], held)
        mine = held[server['id']]
        self.assertNotIn(mine['kind'], ('orphan', 'vm-elsewhere'), mine)
        self.assertNotIn(AUDIT_DELETE, mine['note'])
        # Once built, it is a VM on the host like any other.
        self.assertEqual(HOST, release()['OS-EXT-SRV-ATTR:host'])

    def test_a_vm_not_yet_claimed_by_its_host_is_no_orphan(self):
        self.assertStillBuildingNotToClear('claim', None)

    def test_a_vm_spawning_on_the_host_is_no_orphan(self):
        self.assertStillBuildingNotToClear('spawn', HOST)
