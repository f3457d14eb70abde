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

"""What the plan reads of a VM beyond its listing: boot volumes, ports."""

from unittest import mock

from openstack import exceptions as sdk_exceptions
import testtools

from migrationhelper.cloud import hosts
from migrationhelper.cloud import vm_reads
from migrationhelper.planning import destinations
from migrationhelper.planning import plan
from migrationhelper.tests.unit import fake_nova

Record = fake_nova.Record


def server(sid, volumes=(), root='/dev/vda', image=None):
    return Record(id=sid, name=sid, image=image, root_device_name=root,
                  attached_volumes=[{'id': v} for v in volumes],
                  flavor={})


def volume(vid, server_id, device, metadata=None, bootable='true'):
    return Record(id=vid, is_bootable=bootable,
                  volume_image_metadata=metadata,
                  attachments=[{'server_id': server_id, 'device': device}])


class Volumes:
    def __init__(self, *volumes):
        self.volumes = {v.id: v for v in volumes}

    def get_volume(self, vid):
        if vid not in self.volumes:
            raise sdk_exceptions.NotFoundException('no volume %s' % vid)
        return self.volumes[vid]


class Network:
    def __init__(self, *ports):
        self.listed = ports

    def ports(self, **query):
        return self.listed


class TestBootVolumes(testtools.TestCase):

    def test_the_boot_volumes_image_metadata_is_what_nova_schedules_with(
            self):
        vm = server('vm', volumes=('data', 'boot'))
        found = vm_reads.boot_volume_properties(Volumes(
            volume('data', 'vm', '/dev/vdb', {'trait:CUSTOM_X': 'required'}),
            volume('boot', 'vm', '/dev/vda',
                   {'trait:CUSTOM_NOWHERE': 'required'})), [vm])
        self.assertEqual({'vm': {'trait:CUSTOM_NOWHERE': 'required'}}, found)

    def test_unread_without_a_block_storage_api_or_the_volume(self):
        vm = server('vm', volumes=('boot',))
        self.assertEqual({'vm': None},
                         vm_reads.boot_volume_properties(None, [vm]))
        self.assertEqual({'vm': None},
                         vm_reads.boot_volume_properties(Volumes(), [vm]))

    def test_the_one_bootable_volume_when_no_device_matches(self):
        vm = server('vm', volumes=('a', 'b'), root=None)
        found = vm_reads.boot_volume_properties(Volumes(
            volume('a', 'vm', '/dev/vdb', {'x': '1'}, bootable='false'),
            volume('b', 'vm', '/dev/vdc', {'hw_tpm_version': '2.0'})), [vm])
        self.assertEqual({'vm': {'hw_tpm_version': '2.0'}}, found)


class TestPorts(testtools.TestCase):

    def test_ports_asking_placement_for_resources_are_named(self):
        found = vm_reads.ports(Network(
            Record(id='p1', device_id='vm', binding_vnic_type='normal',
                   resource_request={'resources': {
                       'NET_BW_EGR_KILOBIT_PER_SEC': 1000}}),
            Record(id='p2', device_id='vm', binding_vnic_type='direct',
                   resource_request=None)))
        self.assertEqual({'vm': {'p1': 'normal', 'p2': 'direct'}},
                         found.vnics)
        self.assertEqual({'vm': ('p1',)}, found.asking)


class TestNeverUnderCounted(testtools.TestCase):

    def planned(self, vm, **kwargs):
        return plan.PlannedServer(vm, hosts.ComputeHost('src'), None, None,
                                  **kwargs)

    def test_a_volume_booted_vm_whose_volume_was_not_read_is_unjudged(self):
        said = list(destinations._unread_demand(self.planned(
            server('vm', volumes=('boot',)))))
        self.assertEqual(1, len(said))
        self.assertIn('boots from a volume', said[0])
        self.assertEqual([], list(destinations._unread_demand(self.planned(
            server('vm', volumes=('boot',)), image_properties={}))))

    def test_ports_asking_for_bandwidth_leave_the_vm_unjudged(self):
        said = list(destinations._unread_demand(self.planned(
            server('vm', image={'id': 'img'}), port_requests=('p1',))))
        self.assertEqual(1, len(said))
        self.assertIn('p1: QoS minimum bandwidth', said[0])


class TestProjectNames(testtools.TestCase):

    def test_listed_once_per_run_whatever_it_plans(self):
        listings = []

        class Identity:
            def projects(self):
                listings.append(1)
                return [mock.Mock(id='p1', spec=['id', 'name']),
                        mock.Mock(id='p2', spec=['id', 'name'])]
        reads = plan.Reads(identity=Identity())
        for _host in range(3):
            names = reads.project_names()
        self.assertEqual({'p1', 'p2'}, set(names))
        self.assertEqual(1, len(listings))

    def test_no_identity_api_names_nothing(self):
        self.assertEqual({}, plan.Reads().project_names())
