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

"""Whether a VM can move live on this cloud, judged before anything moves.

From what an admin reads of the VM (its flavor's extra specs, its image's
properties, its ports' ``binding:vnic_type``) and the compute API's
newest microversion, which tells the release. Two kinds of limit:

- it cannot move live (Nova refuses, or the move is known to fail): a
  drain moves it cold only when the operator accepts the downtime;
- it moves live, but its network is cut for the move (SR-IOV and vDPA
  ports are unplugged and plugged again): also only with that consent.

Where the API cannot show what decides it (a live-migratable PCI alias,
the hosts' vGPU support), the VM is judged unable: a drain never sends a
live migration it cannot tell will work. The operator guide's device
table gives the rules by release. Pure: no API calls.
"""

import dataclasses

from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _
from migrationhelper.planning import demand

# The first compute API microversion of the releases that changed what
# moves live (the newest microversion a cloud offers tells its release).
RELEASE_2024_1 = '2.96'     # vGPU live migration
RELEASE_2025_1 = '2.97'     # live-migratable PCI devices
RELEASE_2026_1 = '2.101'    # vTPM live migration (secret security "host")

# Port vnic types passed through to the guest, which Nova unplugs for the
# move and plugs again at the destination (nova.network.model's
# VNIC_TYPES_DIRECT_PASSTHROUGH): the VM keeps running, its network on
# them is cut. A macvtap port is moved with the VM.
UNPLUGGED_VNIC_TYPES = frozenset((
    'direct', 'direct-physical', 'vdpa', 'remote-managed',
))
# Cyborg accelerator ports, which Nova does not move live at all.
ACCELERATOR_VNIC_TYPES = frozenset((
    'accelerator-direct', 'accelerator-direct-physical',
))


@dataclasses.dataclass(frozen=True)
class Limit:
    """Why a live move of the VM is not a clean one (None: it is)."""

    # Why it cannot move live at all.
    no_live_move: str | None = None
    # Why its live move cuts its network.
    interrupts: str | None = None
    # Why Nova refuses to migrate it at all, live or cold (downtime cannot
    # help), and why it refuses (or may refuse) to evacuate it.
    no_move: str | None = None
    no_evacuation: str | None = None

    @property
    def verdict(self):
        if self.no_live_move:
            return 'no'
        if self.interrupts:
            return 'interrupted'
        return 'yes'


def judge(flavor, image_properties, vnic_types, supports):
    """The :class:`Limit` of one VM's live move.

    :param flavor: the flavor the server embeds.
    :param image_properties: its image's properties ({} when booted from a
        volume or not read).
    :param vnic_types: {port ID: vnic type} of its ports (empty when the
        cloud has no network API).
    :param supports: supports(microversion) says whether the compute API
        offers it.
    """
    specs = (flavor or {}).get('extra_specs') or {}
    image = image_properties or {}
    accelerators = _accelerators(specs, vnic_types)
    reasons = [why for why in (
        _vtpm(specs, image, supports),
        _pci_alias(specs, supports),
        _vgpu(flavor, supports),
        _memory_encryption(flavor, image),
        accelerators,
    ) if why]
    unplugged = sorted(p for p, t in vnic_types.items()
                       if t in UNPLUGGED_VNIC_TYPES)
    interrupts = None
    if unplugged:
        values = {
            'ports': ', '.join(unplugged),
            'types': ', '.join(sorted({vnic_types[p] for p in unplugged}))}
        interrupts = (_(
            'port %(ports)s (%(types)s) is unplugged for a live move: its '
            'network on it is cut until it runs on the new host') if
            len(unplugged) == 1 else _(
            'ports %(ports)s (%(types)s) are unplugged for a live move: its '
            'network on them is cut until it runs on the new host')) % values
    return Limit('; '.join(reasons) or None, interrupts,
                 no_move=accelerators and _(
                     '%s, nor cold (compute/api.py: block_accelerators)')
                 % accelerators,
                 no_evacuation=_no_evacuation(specs, image, vnic_types))


def _memory_encryption(flavor, image):
    # compute/api.py: reject_mem_enc_instances on live_migrate, whatever
    # the release (AMD SEV, SEV-ES, SEV-SNP, Intel TDX).
    if demand.build(flavor, image).resources.get(
            vocabulary.MEM_ENCRYPTION_CONTEXT):
        return _('memory encryption: Nova never moves such VMs live')
    return None


def _no_evacuation(specs, image, vnic_types):
    """Why Nova refuses, or may refuse, to evacuate the VM."""
    reasons = []
    if specs.get('hw:tpm_version') or image.get('hw_tpm_version'):
        # reject_vtpm_instances(EVACUATE), in every release.
        reasons.append(_('vTPM: Nova never evacuates vTPM VMs'))
    if specs.get('accel:device_profile'):
        # Allowed only once every nova-compute is new enough, which the
        # API cannot show: unknown, never guessed a yes.
        reasons.append(_(
            'Cyborg accelerators: Nova evacuates them only when every '
            'nova-compute supports it, which the API cannot show'))
    if any(t in ACCELERATOR_VNIC_TYPES for t in vnic_types.values()):
        reasons.append(_('accelerator ports: Nova does not evacuate them'))
    return '; '.join(reasons) or None


def _vtpm(specs, image, supports):
    version = specs.get('hw:tpm_version') or image.get('hw_tpm_version')
    if not version:
        return None
    if not supports(RELEASE_2026_1):
        return _('vTPM: Nova moves vTPM VMs live from 2026.1 on only')
    security = specs.get('hw:tpm_secret_security') or 'user'
    if security != 'host':
        return _(
            'vTPM with secret security "%s": Nova moves it live only with '
            'hw:tpm_secret_security=host') % security
    return None


def _pci_alias(specs, supports):
    alias = specs.get('pci_passthrough:alias')
    if not alias:
        return None
    if not supports(RELEASE_2025_1):
        return _('PCI passthrough (%s): no live migration before '
                 '2025.1') % alias
    return _(
        'PCI passthrough (%s): live only with a live-migratable alias and '
        'VFIO variant driver, which the API cannot show') % alias


def _vgpus(flavor):
    """The vGPUs the flavor asks placement for, as Nova's scheduler does."""
    return demand.build(flavor).resources.get('VGPU', 0)


def _vgpu(flavor, supports):
    if not _vgpus(flavor):
        return None
    if not supports(RELEASE_2024_1):
        return _('vGPU: no live migration before 2024.1')
    return _(
        'vGPU: live only where both hosts\' libvirt, QEMU and GPU driver '
        'support it, which the API cannot show')


def _accelerators(specs, vnic_types):
    ports = sorted(p for p, t in vnic_types.items()
                   if t in ACCELERATOR_VNIC_TYPES)
    if specs.get('accel:device_profile') or ports:
        return _('Cyborg accelerators (%s): Nova does not move them '
                 'live') % ', '.join(
            ports or [specs.get('accel:device_profile')])
    return None


def passthrough_devices(flavor):
    """Why a live migration of the VM must not be forced to complete.

    Devices passed through with VFIO (a PCI alias, vGPUs): QEMU refuses to
    post-copy them, and Nova's force-complete pauses or post-copies. None
    when the VM has none. An operator may have moved such a VM live where
    the hosts support it (2025.1 and later); it is then aborted instead.
    """
    specs = (flavor or {}).get('extra_specs') or {}
    devices = []
    if specs.get('pci_passthrough:alias'):
        devices.append(_('PCI devices (%s)') % specs['pci_passthrough:alias'])
    vgpus = _vgpus(flavor)
    if vgpus:
        devices.append(_('1 vGPU') if vgpus == 1 else _('%d vGPUs') % vgpus)
    if not devices:
        return None
    return _('%s, passed through with VFIO, cannot be post-copied or '
             'paused for the copy: aborted instead') % ', '.join(devices)
