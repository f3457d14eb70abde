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

"""When a live migration's copy no longer converges."""

import testtools

from migrationhelper.moving import convergence
from migrationhelper.planning import live_moves

GIB = 1 << 30


class TestConvergence(testtools.TestCase):

    def test_stalled_once_no_new_low_for_the_timeout(self):
        copy = convergence.Convergence(stall_timeout=60)
        copy.observe(0, 4 * GIB, 4 * GIB)
        copy.observe(10, 4 * GIB, 2 * GIB)
        # Dirtied again: above the low, which is what counts.
        copy.observe(40, 4 * GIB, 3 * GIB)
        self.assertIsNone(copy.stalled(69))
        self.assertEqual(60, copy.stalled(70))
        self.assertEqual(25, copy.percent)

    def test_a_new_low_starts_the_count_again(self):
        copy = convergence.Convergence(stall_timeout=60)
        for second in range(0, 600, 50):
            copy.observe(second, 4 * GIB, 4 * GIB - second * 1000)
        self.assertIsNone(copy.stalled(600))

    def test_nothing_reported_is_never_stalled(self):
        copy = convergence.Convergence(stall_timeout=60)
        for total, remaining in ((0, 0), (None, None), (4 * GIB, None)):
            copy.observe(0, total, remaining)
        self.assertIsNone(copy.stalled(10000))
        self.assertIsNone(copy.percent)
        self.assertFalse(copy.report_due(0))

    def test_zero_never_stalls(self):
        copy = convergence.Convergence(stall_timeout=0)
        copy.observe(0, 4 * GIB, 2 * GIB)
        self.assertIsNone(copy.stalled(10000))

    def test_reported_first_then_every_30_seconds(self):
        copy = convergence.Convergence(stall_timeout=60)
        copy.observe(0, 4 * GIB, 4 * GIB)
        self.assertEqual([True, False, True],
                         [copy.report_due(t) for t in (0, 29, 30)])

    def test_sizes_for_people(self):
        self.assertEqual(['1.5 GiB', '300.0 MiB', '2.0 KiB', '12 B'],
                         [convergence.size_text(n) for n in (
                             3 * GIB // 2, 300 << 20, 2048, 12)])


class TestNeverForced(testtools.TestCase):

    def test_pci_and_vgpu_devices_are_never_forced(self):
        why = live_moves.passthrough_devices({'vcpus': 2, 'extra_specs': {
            'pci_passthrough:alias': 'a100:1', 'resources:VGPU': '2'}})
        self.assertIn('PCI devices (a100:1), 2 vGPUs', why)
        self.assertIn('aborted instead', why)

    def test_plain_vms_may_be_forced(self):
        self.assertIsNone(live_moves.passthrough_devices(
            {'vcpus': 2, 'ram': 512, 'extra_specs': {'hw:cpu_policy':
                                                     'dedicated'}}))
