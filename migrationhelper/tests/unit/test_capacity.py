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

from migrationhelper.cloud import vocabulary
from migrationhelper.planning import capacity as c


def host(vcpu_free, ram_free, disk_free=100, max_vcpu=None, max_ram=None):
    return {vocabulary.VCPU: c.Resource(0, vcpu_free, max_vcpu),
            vocabulary.MEMORY_MB: c.Resource(0, ram_free, max_ram),
            vocabulary.DISK_GB: c.Resource(0, disk_free)}


def vm(vcpu, ram, disk=1):
    return {vocabulary.VCPU: vcpu, vocabulary.MEMORY_MB: ram,
            vocabulary.DISK_GB: disk}


class TestUsable(testtools.TestCase):

    def test_reserved_then_ratio(self):
        self.assertEqual(40, c.usable(10, 0, 4.0))
        self.assertEqual(7680, c.usable(8192, 512, 1.0))
        self.assertEqual(10752, c.usable(8192, 1024, 1.5))

    def test_free_is_capacity_less_used(self):
        self.assertEqual(30, c.Resource(used=10, capacity=40).free)


class TestTotalsShort(testtools.TestCase):

    def test_total_shortage_names_the_resource_and_amount(self):
        [short] = c.totals_short(
            [vm(1, 4096), vm(1, 4096)], [host(10, 3000), host(10, 3000)])
        self.assertIn('MEMORY_MB is short by 2192 MB of RAM', short)
        self.assertIn('need 8192', short)
        self.assertIn('the 2 hosts that can take them have 6000 free', short)
        self.assertIn('6000 free', short)

    def test_no_receiver_at_all_is_short_of_everything(self):
        shortfalls = c.totals_short([vm(1, 512, 2)], [])
        self.assertEqual(3, len(shortfalls))
        self.assertTrue(shortfalls[0].startswith('VCPU is short by 1 '))

    def test_enough_in_total_says_nothing(self):
        self.assertEqual([], c.totals_short([vm(1, 512)], [host(2, 1024)]))
