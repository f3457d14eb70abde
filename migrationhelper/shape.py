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

"""The cloud's shape, read for the placement model before anything moves.

What an admin client can read of where VMs may go: availability zones,
server groups, traits and room in placement, and what each VM asks (its
flavor's resources and traits, its image's traits, its pinned zone, its
groups). The requests are per receiving host, per server group listing and
per distinct image, never per VM: one zone listing, one server group
listing, four placement reads per receiving host, one light server listing
per receiving host only when a VM to move is in a hard server group, and
one image read per distinct image.

What the client cannot see is said, not guessed: see :data:`UNSEEN_SPECS`
and the operator guide's "What the plan knows, and what it cannot".
"""

import dataclasses

from openstack import exceptions as sdk_exceptions
from openstack import utils as sdk_utils

from migrationhelper import capacity
from migrationhelper import decision
from migrationhelper.i18n import _
from migrationhelper import placement_model as model
from migrationhelper import providers

# 2.96 shows the zone a server was pinned to at boot (or by
# default_schedule_zone); older APIs cannot tell it from where it landed.
PINNED_AZ_MICROVERSION = '2.96'
# Nova's deprecated image proxy, the one image read an admin of any cloud
# has through the compute API; it answers only up to 2.35.
IMAGE_PROXY_MICROVERSION = '2.35'

# Flavor extra specs checked by scheduler filters or the compute host that
# the plan cannot evaluate from the API, with what they concern.
UNSEEN_SPECS = (
    ('hw:numa_', _('NUMA topology')),
    ('hw:cpu_policy', _('CPU pinning')),
    ('hw:mem_page_size', _('huge pages')),
    ('pci_passthrough:alias', _('PCI devices')),
    ('aggregate_instance_extra_specs:', _('aggregate metadata')),
    ('capabilities:', _('host capabilities')),
)


@dataclasses.dataclass
class Verdicts:
    """The plan with each move's destination, and what the model noted."""

    planned: list
    warnings: list
    # When VMs are blocked: the resource classes short in total.
    shortfalls: list = dataclasses.field(default_factory=list)

    @property
    def blocked(self):
        return [p for p in self.planned if p.blocked]


def place_plan(compute, placement, planned, receiving, only_hosts=None):
    """Give every planned move that needs room a host, or block it.

    :param planned: plan.PlannedServer list.
    :param receiving: hosts.ComputeHost list of the hosts that may receive.
    :param only_hosts: {source host: (host names, why)} restricting the
        receivers of VMs from that source (``--same-version``).
    :returns: :class:`Verdicts`; a blocked VM's decision is SKIP with the
        reason, and ``blocked`` is set.
    """
    moving = [p for p in planned if needs_room(p)]
    if not moving:
        return Verdicts(list(planned), [])
    warnings = []
    receivers = read_receivers(compute, placement, receiving)
    groups, group_of = read_groups(compute, moving, receivers)
    image_traits = read_image_traits(compute, moving, warnings)
    known_classes = set().union(*(r.resources for r in receivers)) or set(
        capacity.RESOURCE_CLASSES)
    pinned_known = sdk_utils.supports_microversion(
        compute, PINNED_AZ_MICROVERSION)
    if not pinned_known and len({r.zone for r in receivers}) > 1:
        warnings.append(_(
            'The compute API is older than %s and cannot tell which VMs '
            'were pinned to an availability zone: every VM is assumed to be '
            'pinned to the zone it is in.') % PINNED_AZ_MICROVERSION)
    needs = [vm_needs(p, group_of, image_traits, known_classes, pinned_known,
                      only_hosts or {}, warnings) for p in moving]
    placements = model.place(needs, receivers, groups)
    shortfalls = []
    if any(p.host is None for p in placements.values()):
        shortfalls = capacity.totals_short(
            [n.demand for n in needs], [r.resources for r in receivers])
    result = []
    for p in planned:
        placement = placements.get(p.server.id)
        if placement is None:
            result.append(p)
        elif placement.host is None:
            result.append(dataclasses.replace(
                p, blocked=True, decision=decision.Decision(
                    decision.SKIP, '%s; %s' % (placement.reason,
                                               p.facts.owner))))
        else:
            result.append(dataclasses.replace(p,
                                              destination=placement.host))
    return Verdicts(result, _unique(warnings), shortfalls)


def needs_room(planned):
    """A move that takes room on another host, from the host it is on.

    A resize awaiting confirmation elsewhere already holds its room there.
    """
    return (planned.decision.action in decision.NEEDS_ROOM and
            planned.source is not None and
            planned.server.compute_host == planned.source.host)


def read_receivers(compute, placement, receiving):
    zones = host_zones(compute)
    receivers = []
    for host in receiving:
        traits, resources = providers.host_traits_and_resources(
            placement, host)
        receivers.append(model.Receiver(
            host.host, zones.get(host.host), traits, resources))
    return receivers


def host_zones(compute):
    """{compute host: availability zone}, for enabled services."""
    zones = {}
    for zone in compute.availability_zones(details=True):
        for host, services in (zone.hosts or {}).items():
            if 'nova-compute' in (services or {}):
                zones[host] = zone.name
    return zones


def read_groups(compute, moving, receivers):
    """The server groups of the VMs to move, with members per host.

    :returns: ({group ID: model.Group}, {server ID: (group IDs)}).
    """
    moving_ids = {p.server.id for p in moving}
    group_of = {}
    relevant = []
    for group in compute.server_groups(all_projects=True):
        members = set(group.member_ids or ())
        if not members & moving_ids:
            continue
        for server_id in members & moving_ids:
            group_of.setdefault(server_id, []).append(group.id)
        relevant.append((group, members))
    hard = [(g, m) for g, m in relevant
            if _policy(g) in (model.AFFINITY, model.ANTI_AFFINITY)]
    on_host = {}
    if hard:
        for receiver in receivers:
            on_host[receiver.host] = {s.id for s in compute.servers(
                details=False, all_projects=True,
                compute_host=receiver.host)}
    groups = {}
    for group, members in relevant:
        rules = group.rules or {}
        groups[group.id] = model.Group(
            id=group.id, name=group.name, policy=_policy(group),
            members_on={h: len(members & ids) for h, ids in on_host.items()},
            max_per_host=int(rules.get('max_server_per_host', 1)))
    return groups, {k: tuple(v) for k, v in group_of.items()}


def _policy(group):
    # 2.64 turned the "policies" list into one "policy".
    return group.policy or (group.policies or [None])[0]


def read_image_traits(compute, moving, warnings):
    """{image ID: (required, forbidden)} for the images of the VMs."""
    image_ids = sorted({(p.server.image or {}).get('id') for p in moving} -
                       {None})
    traits = {}
    for image_id in image_ids:
        try:
            response = compute.get('/images/%s' % image_id,
                                   microversion=IMAGE_PROXY_MICROVERSION,
                                   raise_exc=False)
            sdk_exceptions.raise_from_response(response)
        except sdk_exceptions.SDKException:
            # Deleted images and clouds without the proxy: Nova kept the
            # properties in the request spec, which no API shows.
            warnings.append(_(
                'Image %s could not be read: traits it may require are not '
                'checked.') % image_id)
            continue
        properties = response.json().get('image', {}).get('metadata', {})
        traits[image_id] = required_and_forbidden(properties, 'trait:')
    return traits


def required_and_forbidden(specs, prefix):
    """The traits ``trait[<group>]:NAME=required|forbidden`` of specs."""
    required, forbidden = set(), set()
    for key, value in (specs or {}).items():
        # Granular request groups add a suffix: trait1:NAME.
        if not key.startswith(prefix.rstrip(':')) or ':' not in key:
            continue
        name = key.split(':', 1)[1]
        if value == 'required':
            required.add(name)
        elif value == 'forbidden':
            forbidden.add(name)
    return frozenset(required), frozenset(forbidden)


def vm_needs(planned, group_of, image_traits, known_classes, pinned_known,
             only_hosts, warnings):
    server = planned.server
    flavor = server.flavor or {}
    extra_specs = flavor.get('extra_specs') or {}
    demand = capacity.flavor_demand(flavor, boot_from_volume=not server.image)
    for rc in sorted(set(demand) - known_classes):
        if demand.pop(rc):
            warnings.append(_(
                'Flavor %(flavor)s asks for %(rc)s, which no receiving host '
                'has on its own provider (nested providers are not read): '
                'Nova alone decides where it fits.') % {
                'flavor': flavor.get('original_name'), 'rc': rc})
    for prefix, what in UNSEEN_SPECS:
        keys = sorted(k for k in extra_specs if k.startswith(prefix))
        if keys:
            warnings.append(_(
                'Flavor %(flavor)s sets %(keys)s (%(what)s), which the plan '
                'cannot check: Nova may still refuse a host the plan '
                'chose.') % {'flavor': flavor.get('original_name'),
                             'keys': ', '.join(keys), 'what': what})
    required, forbidden = required_and_forbidden(extra_specs, 'trait:')
    image_required, image_forbidden = image_traits.get(
        (server.image or {}).get('id'), (frozenset(), frozenset()))
    source = planned.source.host
    only, why = only_hosts.get(source, (None, ''))
    return model.Needs(
        key=server.id,
        label='%s (%s)' % (server.name, server.id),
        source=source,
        demand=demand,
        zone=(server.pinned_availability_zone if pinned_known
              else server.availability_zone),
        required_traits=required | image_required,
        forbidden_traits=forbidden | image_forbidden,
        groups=group_of.get(server.id, ()),
        only_hosts=frozenset(only) if only is not None else None,
        only_hosts_why=why)


def dry_run_warning(verdicts):
    """What a dry run says instead of refusing: the rows show the rest."""
    return _('%d VM(s) have nowhere to go (skipped rows): without '
             '--skip-capacity-check the command refuses to start.') % len(
        verdicts.blocked)


def refusal(verdicts):
    """The error of a plan some VMs cannot leave: one line per VM."""
    lines = ['  %s (%s): %s' % (p.server.name, p.server.id,
                                p.decision.reason) for p in verdicts.blocked]
    lines.extend('  %s' % s for s in verdicts.shortfalls)
    return _(
        'Not every VM has somewhere to go (nothing was changed; '
        '--skip-capacity-check moves the others and leaves these):\n%s'
    ) % '\n'.join(lines)


def _unique(items):
    return list(dict.fromkeys(items))
