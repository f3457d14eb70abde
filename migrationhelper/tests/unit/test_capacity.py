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

"""Capacity arithmetic, without a cloud."""

import testtools

from migrationhelper import capacity as c


def host(vcpu_free, ram_free, disk_free=100, max_vcpu=None, max_ram=None):
    return {c.VCPU: c.Resource(0, vcpu_free, max_vcpu),
            c.MEMORY_MB: c.Resource(0, ram_free, max_ram),
            c.DISK_GB: c.Resource(0, disk_free)}


def vm(vcpu, ram, disk=1):
    return {c.VCPU: vcpu, c.MEMORY_MB: ram, c.DISK_GB: disk}


class TestUsable(testtools.TestCase):

    def test_reserved_then_ratio(self):
        self.assertEqual(40, c.usable(10, 0, 4.0))
        self.assertEqual(7680, c.usable(8192, 512, 1.0))
        self.assertEqual(10752, c.usable(8192, 1024, 1.5))

    def test_free_is_capacity_less_used(self):
        self.assertEqual(30, c.Resource(used=10, capacity=40).free)


class TestFlavorDemand(testtools.TestCase):

    def test_disk_counts_root_ephemeral_and_swap(self):
        flavor = {'vcpus': 2, 'ram': 2048, 'disk': 20, 'ephemeral': 5,
                  'swap': 1500}
        self.assertEqual({c.VCPU: 2, c.MEMORY_MB: 2048, c.DISK_GB: 27},
                         c.flavor_demand(flavor))

    def test_boot_from_volume_has_no_root_disk_in_placement(self):
        flavor = {'vcpus': 1, 'ram': 512, 'disk': 20, 'ephemeral': 0,
                  'swap': 0}
        self.assertEqual(0, c.flavor_demand(flavor, True)[c.DISK_GB])

    def test_missing_values_count_as_zero(self):
        self.assertEqual({c.VCPU: 0, c.MEMORY_MB: 0, c.DISK_GB: 0},
                         c.flavor_demand(None))


class TestCheckFit(testtools.TestCase):

    def test_everything_fits(self):
        self.assertEqual([], c.check_fit(
            [('a', vm(2, 2048)), ('b', vm(2, 2048))],
            {'h1': host(4, 4096)}))

    def test_nothing_to_move_fits_anywhere(self):
        self.assertEqual([], c.check_fit([], {}))

    def test_total_shortage_names_the_resource_and_amount(self):
        [short] = c.check_fit(
            [('a', vm(1, 4096)), ('b', vm(1, 4096))],
            {'h1': host(10, 3000), 'h2': host(10, 3000)})
        self.assertIn('MEMORY_MB is short by 2192 MB of RAM', short.message)
        self.assertIn('need 8192', short.message)
        self.assertIn('2 host(s)', short.message)
        self.assertIn('6000 free', short.message)

    def test_no_receiver_at_all_is_short_of_everything(self):
        shortfalls = c.check_fit([('a', vm(1, 512, 2))], {})
        self.assertEqual(
            ['VCPU is short by 1', 'MEMORY_MB is short by 512',
             'DISK_GB is short by 2'],
            [s.message.split(' vCPU')[0].split(' MB')[0].split(' GB')[0]
             for s in shortfalls])

    def test_fragmentation_names_the_vm_that_fits_nowhere(self):
        # 4096 MB free in total, but never 3000 on one host.
        [short] = c.check_fit(
            [('big', vm(1, 3000))],
            {'h1': host(10, 2048), 'h2': host(10, 2048)})
        self.assertIn('big fits on no single host', short.message)
        self.assertIn('MEMORY_MB 3000 (largest free on one host: 2048)',
                      short.message)

    def test_max_unit_is_respected(self):
        [short] = c.check_fit(
            [('wide', vm(8, 1024))], {'h1': host(40, 8192, max_vcpu=4)})
        self.assertIn('wide fits on no single host', short.message)
        self.assertIn('VCPU 8 (largest free on one host: 4)', short.message)

    def test_largest_first_packs_what_first_come_would_not(self):
        # First come, first served would put the small VM on h1 and leave
        # no room for the large one; largest first places both.
        demands = [('small', vm(1, 1024)), ('large', vm(1, 3072))]
        receivers = {'h1': host(10, 3072), 'h2': host(10, 1024)}
        self.assertEqual([], c.check_fit(demands, receivers))

    def test_used_resources_are_not_free(self):
        receivers = {'h1': {c.VCPU: c.Resource(38, 40),
                            c.MEMORY_MB: c.Resource(0, 8192),
                            c.DISK_GB: c.Resource(0, 100)}}
        [short] = c.check_fit([('a', vm(4, 512))], receivers)
        self.assertIn('VCPU is short by 2', short.message)
