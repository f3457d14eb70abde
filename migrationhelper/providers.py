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

"""What placement reports of a compute host's resource providers.

Plain REST reads through the SDK's placement proxy (a keystoneauth
adapter), which every openstacksdk release has, rather than its typed
calls, some of which older releases lack. A host's providers are found by
its hypervisor hostnames: Nova names each compute node's root provider
after it.
"""

from urllib import parse

from openstack import exceptions as sdk_exceptions

from migrationhelper import capacity

# 1.6 added provider traits; 1.14 provider trees. Everything read here is
# the same from 1.14 on.
PLACEMENT_MICROVERSION = '1.14'


def get(placement, path):
    """GET ``path`` from placement; an error answer raises the SDK's error."""
    response = placement.get(path, microversion=PLACEMENT_MICROVERSION,
                             raise_exc=False)
    sdk_exceptions.raise_from_response(response)
    return response.json()


def root_providers(placement, host):
    """The UUIDs of the providers named after the host's hypervisors."""
    uuids = []
    for name in host.hypervisor_hostnames:
        found = get(placement, '/resource_providers?%s' % parse.urlencode(
            {'name': name}))
        uuids.extend(p['uuid'] for p in found.get('resource_providers', []))
    return uuids


def provider_resources(placement, uuid, totals):
    """Add one provider's inventories and usages into ``totals``.

    :param totals: {resource class: capacity.Resource}, updated in place;
        capacity is what placement lets allocations use:
        (total - reserved) * allocation_ratio.
    """
    inventories = get(placement, '/resource_providers/%s/inventories'
                      % uuid).get('inventories', {})
    for rc, inventory in inventories.items():
        resource = totals.setdefault(rc, capacity.Resource())
        resource.capacity += capacity.usable(
            inventory['total'], inventory.get('reserved', 0),
            inventory.get('allocation_ratio', 1.0))
        resource.max_unit = max(resource.max_unit or 0,
                                inventory.get('max_unit') or 0)
    usages = get(placement, '/resource_providers/%s/usages'
                 % uuid).get('usages', {})
    for rc, used in usages.items():
        totals.setdefault(rc, capacity.Resource()).used += used


def host_resources(placement, host):
    """Every resource class of the host's providers, VCPU, RAM, disk first.

    :returns: {resource class: capacity.Resource}.
    """
    return _read_host(placement, host, with_traits=False)[1]


def host_traits_and_resources(placement, host):
    """(traits, resources) of the host's providers, as the model needs."""
    return _read_host(placement, host, with_traits=True)


def _read_host(placement, host, with_traits):
    traits = set()
    totals = {rc: capacity.Resource() for rc in capacity.RESOURCE_CLASSES}
    for uuid in root_providers(placement, host):
        if with_traits:
            traits.update(get(placement, '/resource_providers/%s/traits'
                              % uuid).get('traits', []))
        provider_resources(placement, uuid, totals)
    return frozenset(traits), totals
