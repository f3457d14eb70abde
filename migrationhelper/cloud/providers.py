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
calls, some of which older releases lack. A host's root providers are its
compute nodes: their UUIDs are the hypervisor IDs (compute API 2.53 and
later), and their names the hypervisor hostnames.
"""

from urllib import parse
import uuid as uuid_lib

from openstack import exceptions as sdk_exceptions

from migrationhelper.planning import capacity

# 1.6 added provider traits; 1.14 provider trees. Everything read here is
# the same from 1.14 on.
PLACEMENT_MICROVERSION = '1.14'
# Allocation candidates whose summaries carry traits (1.17) and each
# provider's root (1.29).
CANDIDATES_MICROVERSION = '1.29'


def get(placement, path, microversion=PLACEMENT_MICROVERSION):
    """GET ``path`` from placement; an error answer raises the SDK's error."""
    response = placement.get(path, microversion=microversion,
                             raise_exc=False)
    sdk_exceptions.raise_from_response(response)
    return response.json()


def root_providers(placement, host):
    """The UUIDs of the host's compute nodes' providers."""
    uuids = [i for i in host.hypervisor_ids if _is_uuid(i)]
    if uuids:
        return uuids
    # Compute APIs older than 2.53 number their hypervisors.
    for name in host.hypervisor_hostnames:
        found = get(placement, '/resource_providers?%s' % parse.urlencode(
            {'name': name}))
        uuids.extend(p['uuid'] for p in found.get('resource_providers', []))
    return uuids


def _is_uuid(text):
    try:
        uuid_lib.UUID(str(text))
    except ValueError:
        return False
    return True


def candidates(placement, demand):
    """What placement offers one VM asking ``demand``, as the scheduler asks.

    :returns: (root provider UUIDs that can take one such VM,
        {root provider UUID: (traits, {resource class: Resource}, tree)})
        from the provider summaries, ``tree`` (traits, resource classes,
        is root) of every summarised provider of the root's tree, root first;
        ``max_unit`` is not in them, but every offered root honours it.
    """
    resources = ','.join('%s:%d' % (rc, amount)
                         for rc, amount in sorted(demand.items()) if amount)
    body = get(placement, '/allocation_candidates?%s' % parse.urlencode(
        {'resources': resources}), CANDIDATES_MICROVERSION)
    summaries = body.get('provider_summaries', {})
    offered = set()
    for request in body.get('allocation_requests', []):
        for uuid in request.get('allocations', {}):
            offered.add(summaries.get(uuid, {}).get('root_provider_uuid',
                                                    uuid))
    roots, trees = {}, {}
    for uuid, summary in summaries.items():
        root = summary.get('root_provider_uuid', uuid)
        trees.setdefault(root, []).append((
            frozenset(summary.get('traits', ())),
            frozenset(summary.get('resources', {})), root == uuid))
        if root != uuid:
            continue
        roots[uuid] = (frozenset(summary.get('traits', ())), {
            rc: capacity.Resource(used=r.get('used', 0),
                                  capacity=r.get('capacity', 0))
            for rc, r in summary.get('resources', {}).items()})
    return offered, {
        uuid: facts + (_roots_first(trees.get(uuid, ())),)
        for uuid, facts in roots.items()}


def _roots_first(providers):
    return tuple(sorted(providers, key=lambda p: not p[2]))


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
    """(traits, resources, tree) of the host's providers, for the model.

    The roots' traits and resources, and every provider of their trees as
    (traits, resource classes, is root), roots first.
    """
    tree = []
    traits, totals = _read_host(placement, host, with_traits=True,
                                tree=tree)
    return traits, totals, _roots_first(tree)


def _read_host(placement, host, with_traits, tree=None):
    traits = set()
    totals = {rc: capacity.Resource() for rc in capacity.RESOURCE_CLASSES}
    for uuid in root_providers(placement, host):
        if with_traits:
            traits.update(_traits_of(placement, uuid))
            tree.extend(_tree(placement, uuid))
        provider_resources(placement, uuid, totals)
    return frozenset(traits), totals


def _traits_of(placement, uuid):
    return frozenset(get(placement, '/resource_providers/%s/traits'
                         % uuid).get('traits', []))


def _tree(placement, root):
    """(traits, resource classes, is root) of each provider of the tree."""
    listed = get(placement, '/resource_providers?%s' % parse.urlencode(
        {'in_tree': root})).get('resource_providers', [])
    return [(
        _traits_of(placement, p['uuid']),
        frozenset(get(placement, '/resource_providers/%s/inventories'
                      % p['uuid']).get('inventories', {})),
        p['uuid'] == root) for p in listed]


def tree_allocations(placement, host):
    """Every allocation on the host's providers, nested ones included.

    One listing of each compute node's provider tree, then one of each
    provider's allocations: a constant number of requests per host,
    however many VMs it holds.

    :returns: {provider UUID: {consumer: {resource class: amount}}}.
    """
    allocations = {}
    for root in root_providers(placement, host):
        tree = get(placement, '/resource_providers?%s' % parse.urlencode(
            {'in_tree': root})).get('resource_providers', [])
        for provider in tree:
            held = get(placement, '/resource_providers/%s/allocations'
                       % provider['uuid']).get('allocations', {})
            allocations[provider['uuid']] = {
                consumer: dict(allocation.get('resources', {}))
                for consumer, allocation in held.items()}
    return allocations
