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

"""The demand builder against the examples of nova's own scheduler tests
(nova/tests/unit/scheduler/test_utils.py, ResourceRequest)."""

import testtools

from migrationhelper.planning import demand


def flavor(vcpus=1, ram=1024, disk=15, ephemeral=0, swap=0, **specs):
    return {'vcpus': vcpus, 'ram': ram, 'disk': disk,
            'ephemeral': ephemeral, 'swap': swap, 'extra_specs': specs}


def spec(**kwargs):
    """Extra specs whose keys have colons: hw__cpu_policy -> hw:cpu_policy."""
    return {k.replace('__', ':'): v for k, v in kwargs.items()}


class TestStandardResources(testtools.TestCase):

    def test_flavor_only(self):
        self.assertEqual(
            {'VCPU': 1, 'MEMORY_MB': 1024, 'DISK_GB': 20},
            demand.build(flavor(ephemeral=5)).resources)

    def test_swap_rounds_up_to_gigabytes(self):
        self.assertEqual(
            27, demand.build(flavor(disk=20, ephemeral=5, swap=1500))
            .resources['DISK_GB'])

    def test_boot_from_volume_asks_no_root_disk(self):
        self.assertNotIn('DISK_GB', demand.build(
            flavor(), boot_from_volume=True).resources)

    def test_missing_flavor_asks_nothing(self):
        self.assertEqual({}, demand.build(None).resources)

    def test_unsuffixed_resources_replace_the_flavor_amount(self):
        asked = demand.build(flavor(vcpus=4, **spec(
            resources__VCPU='0', resources__PCPU='4')))
        self.assertNotIn('VCPU', asked.resources)
        self.assertEqual(4, asked.resources['PCPU'])

    def test_granular_groups_merge_and_garbage_is_ignored(self):
        asked = demand.build(flavor(**spec(
            resources1__CUSTOM_GPU='1', resources2__CUSTOM_GPU='1',
            resources__CUSTOM_X='lots')))
        self.assertEqual(2, asked.resources['CUSTOM_GPU'])
        self.assertNotIn('CUSTOM_X', asked.resources)

    def test_negative_amounts_are_ignored_as_nova_does(self):
        asked = demand.build(flavor(vcpus=2, **spec(resources__VCPU='-1')))
        self.assertEqual(2, asked.resources['VCPU'])

    def test_a_feature_replaces_an_unsuffixed_amount(self):
        # Nova's RequestGroup.add_resource replaces; groups still add up.
        asked = demand.build(flavor(**spec(
            hw__mem_encryption='yes', resources__MEM_ENCRYPTION_CONTEXT='3',
            resources1__MEM_ENCRYPTION_CONTEXT='1')))
        self.assertEqual(2, asked.resources['MEM_ENCRYPTION_CONTEXT'])

    def test_a_granular_vcpu_replaces_the_flavor_vcpus(self):
        # merged_resources() holds VCPU, so Nova adds no flavor VCPU.
        asked = demand.build(flavor(vcpus=8, **spec(resources1__VCPU='2')))
        self.assertEqual(2, asked.resources['VCPU'])

    def test_flavor_and_image_traits(self):
        asked = demand.build(
            flavor(**spec(trait__HW_CPU_X86_AVX2='required',
                          trait1__CUSTOM_SLOW='forbidden')),
            {'trait:CUSTOM_IMAGE_TRAIT': 'required'})
        self.assertEqual({'HW_CPU_X86_AVX2', 'CUSTOM_IMAGE_TRAIT'},
                         asked.required)
        self.assertEqual({'CUSTOM_SLOW'}, asked.forbidden)

    def test_traits_are_kept_per_request_group(self):
        # Nova's vGPU setup: the GPU's trait asked with its VGPU, in one
        # granular group, which placement serves from one provider.
        asked = demand.build(
            flavor(**spec(resources1__VGPU='1',
                          trait1__CUSTOM_NVIDIA_11='required',
                          trait__HW_CPU_X86_AVX2='required')),
            {'trait:CUSTOM_IMAGE_TRAIT': 'required'})
        unsuffixed = demand.TraitGroup(
            '', frozenset(['VCPU', 'MEMORY_MB', 'DISK_GB']),
            frozenset(['HW_CPU_X86_AVX2', 'CUSTOM_IMAGE_TRAIT']))
        gpu = demand.TraitGroup('1', frozenset(['VGPU']),
                                frozenset(['CUSTOM_NVIDIA_11']))
        self.assertEqual((unsuffixed, gpu), asked.trait_groups)


class TestPinning(testtools.TestCase):

    def test_dedicated_flavor_asks_pcpu_not_vcpu(self):
        asked = demand.build(flavor(vcpus=2, **spec(
            hw__cpu_policy='dedicated')))
        self.assertEqual({'PCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 15},
                         asked.resources)

    def test_dedicated_image_asks_pcpu(self):
        asked = demand.build(flavor(vcpus=2),
                             {'hw_cpu_policy': 'dedicated'})
        self.assertEqual(2, asked.resources['PCPU'])
        self.assertNotIn('VCPU', asked.resources)

    def test_shared_flavor_wins_over_nothing(self):
        asked = demand.build(flavor(vcpus=2, **spec(
            hw__cpu_policy='shared')))
        self.assertEqual(2, asked.resources['VCPU'])
        self.assertEqual((), asked.unseen)

    def test_emulator_threads_isolated_take_one_more_pcpu(self):
        asked = demand.build(flavor(vcpus=2, **spec(
            hw__cpu_policy='dedicated',
            hw__emulator_threads_policy='isolate')))
        self.assertEqual(3, asked.resources['PCPU'])

    def test_mixed_with_a_dedicated_mask(self):
        asked = demand.build(flavor(vcpus=4, **spec(
            hw__cpu_policy='mixed', hw__cpu_dedicated_mask='^0-1')))
        self.assertEqual(2, asked.resources['VCPU'])
        self.assertEqual(2, asked.resources['PCPU'])

    def test_mixed_with_a_realtime_mask(self):
        asked = demand.build(flavor(vcpus=4, **spec(
            hw__cpu_policy='mixed', hw__cpu_realtime='yes',
            hw__cpu_realtime_mask='2-3')))
        self.assertEqual((2, 2), (asked.resources['VCPU'],
                                  asked.resources['PCPU']))

    def test_thread_policies_become_hyperthreading_traits(self):
        isolate = demand.build(flavor(**spec(
            hw__cpu_policy='dedicated', hw__cpu_thread_policy='isolate')))
        require = demand.build(flavor(**spec(
            hw__cpu_policy='dedicated', hw__cpu_thread_policy='require')))
        self.assertEqual({'HW_CPU_HYPERTHREADING'}, isolate.forbidden)
        self.assertEqual({'HW_CPU_HYPERTHREADING'}, require.required)

    def test_flavor_prefer_leaves_the_image_its_thread_policy(self):
        asked = demand.build(
            flavor(**spec(hw__cpu_policy='dedicated',
                          hw__cpu_thread_policy='prefer')),
            {'hw_cpu_thread_policy': 'require'})
        self.assertEqual(frozenset(), asked.required)
        asked = demand.build(flavor(**spec(hw__cpu_policy='dedicated')),
                             {'hw_cpu_thread_policy': 'require'})
        self.assertEqual({'HW_CPU_HYPERTHREADING'}, asked.required)

    def test_pinning_is_a_hint_only(self):
        asked = demand.build(flavor(**spec(hw__cpu_policy='dedicated')))
        [(keys, _what)] = asked.unseen
        self.assertEqual(('hw:cpu_policy',), keys)


class TestDevicesAndSecurity(testtools.TestCase):

    def test_memory_encryption_asks_a_context_and_the_cpu_trait(self):
        asked = demand.build(flavor(**spec(hw__mem_encryption='True')))
        self.assertEqual(1, asked.resources['MEM_ENCRYPTION_CONTEXT'])
        self.assertEqual({'HW_CPU_X86_AMD_SEV'}, asked.required)
        asked = demand.build(flavor(), {'hw_mem_encryption': True,
                                        'hw_mem_encryption_model':
                                            'amd-sev-es'})
        self.assertEqual({'HW_CPU_X86_AMD_SEV_ES'}, asked.required)

    def test_persistent_memory_namespaces_by_label(self):
        asked = demand.build(flavor(**spec(hw__pmem='4GB,4GB, SMALL')))
        self.assertEqual(2, asked.resources['CUSTOM_PMEM_NAMESPACE_4GB'])
        self.assertEqual(1, asked.resources['CUSTOM_PMEM_NAMESPACE_SMALL'])

    def test_vtpm_model_and_version_traits(self):
        asked = demand.build(flavor(**spec(hw__tpm_version='2.0',
                                           hw__tpm_model='tpm-crb')))
        self.assertEqual({'COMPUTE_SECURITY_TPM_2_0',
                          'COMPUTE_SECURITY_TPM_CRB'}, asked.required)
        asked = demand.build(flavor(), {'hw_tpm_version': '1.2'})
        self.assertEqual({'COMPUTE_SECURITY_TPM_1_2',
                          'COMPUTE_SECURITY_TPM_TIS'}, asked.required)

    def test_secure_boot_address_space_and_firmware_traits(self):
        asked = demand.build(
            flavor(**spec(os__secure_boot='required',
                          hw__maxphysaddr_mode='emulate')),
            {'hw_firmware_type': 'uefi', 'hw_firmware_stateless': True,
             'hw_pci_numa_affinity_policy': 'socket'})
        self.assertEqual({'COMPUTE_SECURITY_UEFI_SECURE_BOOT',
                          'COMPUTE_ADDRESS_SPACE_EMULATED',
                          'COMPUTE_SECURITY_STATELESS_FIRMWARE',
                          'COMPUTE_SOCKET_PCI_NUMA_AFFINITY'}, asked.required)

    def test_same_question_same_key(self):
        a = demand.build(flavor(vcpus=2, **spec(hw__cpu_policy='dedicated')))
        b = demand.build(flavor(vcpus=2), {'hw_cpu_policy': 'dedicated'})
        self.assertEqual(a.key, b.key)
        self.assertNotEqual(a.key, demand.build(flavor(vcpus=2)).key)


class TestCpuSpec(testtools.TestCase):

    def test_ranges_and_exclusions(self):
        self.assertEqual({1, 2, 4, 6}, demand.parse_cpu_spec('1-4,^3,6'))
        self.assertEqual({2, 3}, demand.parse_cpu_spec('0-3,^0-1'))
