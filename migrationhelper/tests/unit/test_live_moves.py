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

"""Live-move verdicts by release, without a cloud."""

import testtools

from migrationhelper.planning import live_moves as lm


def release(newest):
    """supports() of a compute API whose newest microversion is newest."""
    def version(text):
        return tuple(int(p) for p in text.split('.'))

    def supports(microversion):
        return version(microversion) <= version(newest)
    return supports


R2023_2, R2024_1, R2025_1, R2026_1 = (release(v) for v in (
    '2.95', '2.96', '2.97', '2.104'))


def judge(specs=None, image=None, ports=None, cloud=R2026_1):
    return lm.judge({'extra_specs': specs or {}}, image or {}, ports or {},
                    cloud)


class TestVerdicts(testtools.TestCase):

    def test_a_plain_vm_moves_live(self):
        limit = judge({'hw:cpu_policy': 'dedicated'},
                      ports={'p1': 'normal', 'p2': 'macvtap'})
        self.assertEqual(('yes', None, None),
                         (limit.verdict, limit.no_live_move,
                          limit.interrupts))

    def test_vtpm_by_release_and_secret_security(self):
        self.assertIn('2026.1', judge({'hw:tpm_version': '2.0'},
                                      cloud=R2025_1).no_live_move)
        self.assertIn('"user"', judge(
            image={'hw_tpm_version': '2.0'}).no_live_move)
        self.assertIn('"deployment"', judge(
            {'hw:tpm_version': '2.0',
             'hw:tpm_secret_security': 'deployment'}).no_live_move)
        self.assertEqual('yes', judge(
            {'hw:tpm_version': '2.0',
             'hw:tpm_secret_security': 'host'}).verdict)

    def test_pci_alias_never_moves_live_blind(self):
        self.assertIn('before 2025.1', judge(
            {'pci_passthrough:alias': 'a1:1'}, cloud=R2024_1).no_live_move)
        self.assertIn('cannot show', judge(
            {'pci_passthrough:alias': 'a1:1'}).no_live_move)

    def test_vgpu_by_release(self):
        self.assertIn('before 2024.1', judge(
            {'resources:VGPU': '1'}, cloud=R2023_2).no_live_move)
        self.assertIn('cannot show', judge(
            {'resources1:VGPU': '1'}).no_live_move)
        self.assertEqual('yes', judge({'resources:VGPU': '0'}).verdict)

    def test_passthrough_ports_cut_the_network(self):
        limit = judge(ports={'p2': 'vdpa', 'p1': 'direct', 'p3': 'normal'})
        self.assertEqual('interrupted', limit.verdict)
        self.assertIn('p1, p2 (direct, vdpa)', limit.interrupts)

    def test_accelerators_cannot_move_live(self):
        self.assertIn('Cyborg', judge(
            ports={'p1': 'accelerator-direct'}).no_live_move)
        self.assertIn('Cyborg', judge(
            {'accel:device_profile': 'fpga'}).no_live_move)

    def test_every_reason_is_named(self):
        limit = judge({'hw:tpm_version': '2.0', 'resources:VGPU': '1'},
                      ports={'p1': 'direct'})
        self.assertEqual('no', limit.verdict)
        self.assertIn('vTPM', limit.no_live_move)
        self.assertIn('vGPU', limit.no_live_move)
        self.assertIn('p1', limit.interrupts)


class TestWhatNovasApiRefuses(testtools.TestCase):
    """Refusals of compute/api.py the plan gives before Nova would."""

    def test_memory_encryption_never_moves_live(self):
        for specs, image in (({'hw:mem_encryption': 'true'}, {}),
                             ({}, {'hw_mem_encryption': 'True'}),
                             ({'hw:mem_encryption': 'yes',
                               'hw:mem_encryption_model': 'amd-sev-es'},
                              {})):
            limit = judge(specs, image)
            self.assertIn('memory encryption', limit.no_live_move)
            self.assertIsNone(limit.no_move)

    def test_accelerators_move_neither_live_nor_cold(self):
        for limit in (judge({'accel:device_profile': 'fpga-1'}),
                      judge(ports={'p1': 'accelerator-direct'})):
            self.assertIn('Cyborg accelerators', limit.no_live_move)
            self.assertIn('nor cold', limit.no_move)
            self.assertIsNotNone(limit.no_evacuation)

    def test_vtpm_is_never_evacuated_whatever_the_release(self):
        for cloud in (R2023_2, R2026_1):
            limit = judge({'hw:tpm_version': '2.0',
                           'hw:tpm_secret_security': 'host'}, cloud=cloud)
            self.assertIn('never evacuates vTPM', limit.no_evacuation)

    def test_accelerator_evacuation_is_unknown_not_guessed(self):
        limit = judge({'accel:device_profile': 'fpga-1'})
        self.assertIn('which the API cannot show', limit.no_evacuation)

    def test_a_plain_vm_can_be_evacuated_and_migrated(self):
        limit = judge({'hw:cpu_policy': 'dedicated'})
        self.assertEqual((None, None), (limit.no_move, limit.no_evacuation))
