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

"""What a VM asks of placement, built as Nova's scheduler builds it.

Follows ``ResourceRequest.from_request_spec`` (nova/scheduler/utils.py)
over the flavor the server embeds (compute API 2.47+) and its image's
properties: ``resources*:`` and ``trait*:`` extra specs; dedicated and
mixed CPU policies as PCPU; hyperthreading traits; then VCPU, MEMORY_MB
and DISK_GB from the flavor where no extra spec names them; memory
encryption, persistent memory, vTPM, secure boot, PCI NUMA affinity,
address space and stateless firmware. Request groups are merged, as
placement counts them on one host. Pure: no API calls.
"""

import dataclasses

from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _

HYPERTHREADING = 'HW_CPU_HYPERTHREADING'

# Memory encryption models (nova.objects.fields.MemEncryptionModel) and
# the CPU trait each requires; AMD SEV is the default.
MEM_ENCRYPTION_TRAITS = {
    'amd-sev': 'HW_CPU_X86_AMD_SEV',
    'amd-sev-es': 'HW_CPU_X86_AMD_SEV_ES',
    'amd-sev-snp': 'HW_CPU_X86_AMD_SEV_SNP',
    'intel-tdx': 'HW_CPU_X86_INTEL_TDX',
}
ADDRESS_SPACE_TRAITS = {
    'passthrough': 'COMPUTE_ADDRESS_SPACE_PASSTHROUGH',
    'emulate': 'COMPUTE_ADDRESS_SPACE_EMULATED',
}

# What decides where a VM fits beyond placement's counts, which the plan
# cannot evaluate from the API (flavor extra spec or image property
# prefixes, with what they concern). A VM asking one of them is placed by
# the scheduler; the model's host is only a hint.
UNSEEN = (
    (('hw:numa_', 'hw_numa_'), _('NUMA topology')),
    (('hw:cpu_policy', 'hw_cpu_policy'),
     _('CPU pinning: which NUMA cell has the free cores')),
    (('hw:mem_page_size', 'hw_mem_page_size'), _('huge pages')),
    (('pci_passthrough:alias',), _('PCI devices')),
    (('aggregate_instance_extra_specs:',), _('aggregate metadata')),
    (('capabilities:',), _('host capabilities')),
)


@dataclasses.dataclass(frozen=True)
class Demand:
    """One VM's request to placement, its groups merged."""

    resources: dict             # {resource class: amount}, no zeros
    # Every trait asked, whichever group asks it (for messages).
    required: frozenset = frozenset()
    forbidden: frozenset = frozenset()
    # (keys, what) the plan cannot judge: see UNSEEN.
    unseen: tuple = ()
    # The traits per request group, as placement judges them: TraitGroup.
    trait_groups: tuple = ()

    @property
    def key(self):
        """Equal for VMs that ask placement the same question."""
        return tuple(sorted(self.resources.items()))


@dataclasses.dataclass(frozen=True)
class TraitGroup:
    """The traits one request group asks, and the classes it asks with.

    Placement satisfies the unsuffixed group's required traits from any
    provider of the host's tree; a suffixed (granular) group's from the
    one provider that serves its resources.
    """

    suffix: str
    resource_classes: frozenset = frozenset()
    required: frozenset = frozenset()
    forbidden: frozenset = frozenset()


def build(flavor, image_properties=None, boot_from_volume=False):
    """The :class:`Demand` of a VM of ``flavor`` booted from its image.

    :param flavor: the flavor the server embeds (vcpus, ram, disk,
        ephemeral, swap, extra_specs).
    :param image_properties: the image's properties, if they were read.
    """
    flavor = flavor or {}
    specs = flavor.get('extra_specs') or {}
    image = image_properties or {}
    request = _Request()
    for key, value in specs.items():
        prefix, _sep, name = key.partition(':')
        if prefix.startswith('resources') and name:
            request.add_resource(prefix, name, value)
        elif prefix.startswith('trait') and name:
            request.add_trait(name, value, prefix[len('trait'):])
    for key, value in image.items():
        # Glance spells required traits as image properties.
        prefix, _sep, name = key.partition(':')
        if prefix == 'trait' and name and value == 'required':
            request.add_trait(name, value)
    _translate_pinning(request, flavor, specs, image)
    merged = request.merged()
    if vocabulary.VCPU not in merged and vocabulary.PCPU not in merged:
        request.add_amount(vocabulary.VCPU, flavor.get('vcpus') or 0)
    if vocabulary.MEMORY_MB not in merged:
        request.add_amount(vocabulary.MEMORY_MB, flavor.get('ram') or 0)
    if vocabulary.DISK_GB not in merged:
        disk = (flavor.get('ephemeral') or 0) + _ceil_gb(flavor.get('swap'))
        if not boot_from_volume:
            disk += flavor.get('disk') or 0
        request.add_amount(vocabulary.DISK_GB, disk)
    _translate_features(request, specs, image)
    return Demand(
        resources={rc: n for rc, n in request.merged().items() if n},
        required=frozenset(request.required),
        forbidden=frozenset(request.forbidden),
        unseen=_unseen(specs, image),
        trait_groups=request.trait_groups())


class _Request:
    """Request groups as Nova adds to them, merged as placement counts."""

    def __init__(self):
        self.groups = {}            # {group suffix: {rc: amount}}
        self.required = set()
        self.forbidden = set()
        # {group suffix: (required, forbidden)}
        self.traits = {}

    def add_resource(self, prefix, rc, value):
        try:
            amount = int(value)
        except (TypeError, ValueError):
            return
        if amount < 0:
            return      # Nova ignores it too
        group = prefix[len('resources'):]
        self.groups.setdefault(group, {})[rc] = amount

    def add_amount(self, rc, amount):
        """Into the unsuffixed group, replacing its amount, as Nova does."""
        self.groups.setdefault('', {})[rc] = int(amount)

    def add_trait(self, name, value, group=''):
        required, forbidden = self.traits.setdefault(group, (set(), set()))
        if value == 'required':
            self.required.add(name)
            required.add(name)
        elif value == 'forbidden':
            self.forbidden.add(name)
            forbidden.add(name)

    def trait_groups(self):
        return tuple(TraitGroup(
            suffix, frozenset(rc for rc, n in self.groups.get(
                suffix, {}).items() if n),
            frozenset(required), frozenset(forbidden))
            for suffix, (required, forbidden) in sorted(self.traits.items())
            if required or forbidden)

    def merged(self):
        total = {}
        for resources in self.groups.values():
            for rc, amount in resources.items():
                total[rc] = total.get(rc, 0) + amount
        return total


def _flavor_or_image(specs, image, key, prefix='hw'):
    """The flavor's ``prefix:key`` extra spec, else the image's property."""
    return specs.get('%s:%s' % (prefix, key)) or image.get(
        '%s_%s' % (prefix, key))


def _cpu_policy(specs, image):
    # The flavor's policy wins; an image may choose only where the flavor
    # says nothing (Nova refuses the conflicting ones at boot).
    return specs.get('hw:cpu_policy') or image.get('hw_cpu_policy')


def _translate_pinning(request, flavor, specs, image):
    vcpus = flavor.get('vcpus') or 0
    policy = _cpu_policy(specs, image)
    pcpus = 0
    if policy == 'dedicated':
        pcpus = vcpus
    elif policy == 'mixed':
        dedicated = _dedicated_cpus(specs, image, vcpus)
        pcpus = len(dedicated)
        request.add_amount(vocabulary.VCPU, vcpus - pcpus)
    if policy in ('dedicated', 'mixed'):
        if specs.get('hw:emulator_threads_policy') == 'isolate':
            pcpus += 1
        request.add_amount(vocabulary.PCPU, pcpus)
    # A flavor that requires or isolates threads wins over its image.
    thread_policy = specs.get('hw:cpu_thread_policy')
    if thread_policy in (None, 'prefer'):
        thread_policy = thread_policy or image.get('hw_cpu_thread_policy')
    if thread_policy == 'isolate':
        request.add_trait(HYPERTHREADING, 'forbidden')
    elif thread_policy == 'require':
        request.add_trait(HYPERTHREADING, 'required')


def _dedicated_cpus(specs, image, vcpus):
    """The CPUs a mixed policy pins: its dedicated mask, or realtime mask."""
    mask = specs.get('hw:cpu_dedicated_mask')
    if not mask and _true(specs.get('hw:cpu_realtime')):
        mask = image.get('hw_cpu_realtime_mask') or specs.get(
            'hw:cpu_realtime_mask') or '0-%d' % (vcpus - 1)
    if not mask:
        return set()
    if mask.strip().startswith('^'):
        mask = '0-%d,%s' % (vcpus - 1, mask)
    return parse_cpu_spec(mask)


def parse_cpu_spec(spec):
    """CPU numbers of a spec such as ``1-4,^3,6`` (as Nova parses it)."""
    wanted, rejected = set(), set()
    for rule in spec.split(','):
        rule = rule.strip()
        if not rule:
            continue
        into = wanted
        if rule.startswith('^'):
            into, rule = rejected, rule[1:]
        start, _sep, end = rule.partition('-')
        into.update(range(int(start), int(end or start) + 1))
    return wanted - rejected


def _translate_features(request, specs, image):
    encryption = _flavor_or_image(specs, image, 'mem_encryption')
    if _true(encryption):
        request.add_amount(vocabulary.MEM_ENCRYPTION_CONTEXT, 1)
        model = _flavor_or_image(specs, image, 'mem_encryption_model')
        request.add_trait(MEM_ENCRYPTION_TRAITS.get(
            model or 'amd-sev', MEM_ENCRYPTION_TRAITS['amd-sev']), 'required')
    namespaces = {}
    for label in (specs.get('hw:pmem') or '').split(','):
        if label.strip():
            rc = 'CUSTOM_PMEM_NAMESPACE_' + _normalize(label.strip())
            namespaces[rc] = namespaces.get(rc, 0) + 1
    for rc, count in namespaces.items():
        request.add_amount(rc, count)
    tpm_version = _flavor_or_image(specs, image, 'tpm_version')
    if tpm_version:
        model = _flavor_or_image(specs, image, 'tpm_model')
        request.add_trait('COMPUTE_SECURITY_TPM_CRB' if model == 'tpm-crb'
                          else 'COMPUTE_SECURITY_TPM_TIS', 'required')
        request.add_trait('COMPUTE_SECURITY_TPM_2_0' if tpm_version == '2.0'
                          else 'COMPUTE_SECURITY_TPM_1_2', 'required')
    if _flavor_or_image(specs, image, 'pci_numa_affinity_policy') == \
            'socket':
        request.add_trait('COMPUTE_SOCKET_PCI_NUMA_AFFINITY', 'required')
    if _flavor_or_image(specs, image, 'secure_boot', prefix='os') == \
            'required':
        request.add_trait('COMPUTE_SECURITY_UEFI_SECURE_BOOT', 'required')
    mode = _flavor_or_image(specs, image, 'maxphysaddr_mode')
    if mode in ADDRESS_SPACE_TRAITS:
        request.add_trait(ADDRESS_SPACE_TRAITS[mode], 'required')
    if image.get('hw_firmware_type') == 'uefi' and _true(
            image.get('hw_firmware_stateless')):
        request.add_trait('COMPUTE_SECURITY_STATELESS_FIRMWARE', 'required')


def _true(value):
    # oslo's bool_from_string, as Nova reads these specs.
    return str(value).strip().lower() in ('1', 't', 'true', 'on', 'y', 'yes')


def _normalize(name):
    # os_resource_classes.normalize_name: upper case, [A-Z0-9_] only.
    return ''.join(c if c.isalnum() and c.isascii() else '_'
                   for c in name.upper())


def _ceil_gb(swap_mb):
    return -(-int(swap_mb or 0) // 1024)


def _unseen(specs, image):
    asked = {k: v for k, v in list(specs.items()) + list(image.items())
             if not (k in ('hw:cpu_policy', 'hw_cpu_policy') and
                     v == 'shared')}
    found = []
    for prefixes, what in UNSEEN:
        keys = sorted(k for k in asked if k.startswith(prefixes))
        if keys:
            found.append((tuple(keys), what))
    return tuple(found)
