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

"""Room arithmetic over placement's numbers.

A host's usable amount of a resource class is (total - reserved) *
allocation_ratio, as placement computes it; a single VM may not ask more
than ``max_unit``. Where each VM fits is the placement model's question
(``placement_model``); this module only counts.
"""

import dataclasses

from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _

RESOURCE_CLASSES = (vocabulary.VCPU, vocabulary.MEMORY_MB,
                    vocabulary.DISK_GB)
UNITS = {vocabulary.VCPU: 'vCPU', vocabulary.PCPU: 'dedicated CPU',
         vocabulary.MEMORY_MB: 'MB of RAM', vocabulary.DISK_GB: 'GB of disk'}


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


def totals_short(demands, receivers):
    """The resource classes of which the receivers lack more than they have.

    :param demands: list of {resource class: amount}.
    :param receivers: list of {resource class: Resource}.
    :returns: one sentence per short resource class.
    """
    shortfalls = []
    for rc in RESOURCE_CLASSES + (vocabulary.PCPU,):
        needed = sum(d.get(rc, 0) for d in demands)
        available = sum(max(0, r[rc].free) for r in receivers if rc in r)
        if needed > available:
            shortfalls.append(_(
                '%(rc)s is short by %(short)d %(unit)s: the VMs to move need '
                '%(needed)d, %(hosts)s %(free)d free') % {
                'rc': rc, 'short': needed - available, 'unit': UNITS[rc],
                'needed': needed, 'free': available,
                'hosts': (_('the one host that can take them has')
                          if len(receivers) == 1 else
                          _('the %d hosts that can take them have')
                          % len(receivers))})
    return shortfalls
