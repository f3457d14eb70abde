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

"""Will the VMs to move fit on the hosts that can take them?

Pure arithmetic over placement's numbers: a host's usable amount of a
resource class is (total - reserved) * allocation_ratio, as placement
computes it; a single VM may not ask more than ``max_unit``. The check
places the VMs first-fit, largest first, so that fragmentation and
``max_unit`` are caught, not only totals.
"""

import dataclasses

from migrationhelper.i18n import _

VCPU = 'VCPU'
MEMORY_MB = 'MEMORY_MB'
DISK_GB = 'DISK_GB'
RESOURCE_CLASSES = (VCPU, MEMORY_MB, DISK_GB)
UNITS = {VCPU: 'vCPU', MEMORY_MB: 'MB of RAM', DISK_GB: 'GB of disk'}


@dataclasses.dataclass
class Resource:
    """One resource class of one host, as placement sees it."""

    used: int = 0
    capacity: int = 0
    max_unit: int | None = None

    @property
    def free(self):
        return self.capacity - self.used


def usable(total, reserved, allocation_ratio):
    return int((total - reserved) * allocation_ratio)


def flavor_demand(flavor, boot_from_volume=False):
    """What placement allocates for a VM of this (embedded) flavor."""
    flavor = flavor or {}
    swap_mb = flavor.get('swap') or 0
    disk = (flavor.get('ephemeral') or 0) + -(-int(swap_mb) // 1024)
    if not boot_from_volume:
        disk += flavor.get('disk') or 0
    return {VCPU: flavor.get('vcpus') or 0,
            MEMORY_MB: flavor.get('ram') or 0,
            DISK_GB: disk}


@dataclasses.dataclass(frozen=True)
class Shortfall:
    message: str


def check_fit(demands, receivers):
    """Place every demand on a receiver, or say what is short.

    :param demands: list of (name, {resource class: amount}).
    :param receivers: {host name: {resource class: Resource}}.
    :returns: a list of :class:`Shortfall`; empty when everything fits.
    """
    free = {host: {rc: r.free for rc, r in resources.items()}
            for host, resources in receivers.items()}
    unplaced = []
    for name, demand in sorted(demands, key=lambda d: _size(d[1]),
                               reverse=True):
        host = next((h for h in sorted(free)
                     if _fits(demand, free[h], receivers[h])), None)
        if host is None:
            unplaced.append((name, demand))
            continue
        for rc, amount in demand.items():
            free[host][rc] = free[host].get(rc, 0) - amount
    if not unplaced:
        return []
    return _totals_short(demands, receivers) or [
        _no_single_host(name, demand, receivers)
        for name, demand in unplaced]


def _size(demand):
    # Memory dominates real packing; vCPUs and disk break ties.
    return (demand.get(MEMORY_MB, 0), demand.get(VCPU, 0),
            demand.get(DISK_GB, 0))


def _fits(demand, free, resources):
    for rc, amount in demand.items():
        if not amount:
            continue
        resource = resources.get(rc)
        if resource is None or amount > free.get(rc, 0):
            return False
        if resource.max_unit is not None and amount > resource.max_unit:
            return False
    return True


def _totals_short(demands, receivers):
    shortfalls = []
    for rc in RESOURCE_CLASSES:
        needed = sum(d.get(rc, 0) for _name, d in demands)
        available = sum(max(0, r[rc].free) for r in receivers.values()
                        if rc in r)
        if needed > available:
            shortfalls.append(Shortfall(_(
                '%(rc)s is short by %(short)d %(unit)s: the VMs to move need '
                '%(needed)d, the %(hosts)d host(s) that can take them have '
                '%(free)d free') % {
                'rc': rc, 'short': needed - available, 'unit': UNITS[rc],
                'needed': needed, 'hosts': len(receivers),
                'free': available}))
    return shortfalls


def _no_single_host(name, demand, receivers):
    biggest = {rc: max([min(r[rc].free, r[rc].max_unit or r[rc].free)
                        for r in receivers.values() if rc in r] or [0])
               for rc in RESOURCE_CLASSES}
    short = [rc for rc in RESOURCE_CLASSES
             if demand.get(rc, 0) > biggest[rc]]
    detail = ', '.join(
        _('%(rc)s %(need)d (largest free on one host: %(have)d)') % {
            'rc': rc, 'need': demand[rc], 'have': biggest[rc]}
        for rc in short) or _('no host has all of it free at once')
    return Shortfall(_('%(name)s fits on no single host: %(detail)s') % {
        'name': name, 'detail': detail})
