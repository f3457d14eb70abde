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
groups). Never a request per VM: one zone listing, one server group
listing, one placement allocation-candidates request per distinct flavor
(the scheduler's own question, whose provider summaries carry each host's
room and traits), one image read per distinct image, and one light server
listing per receiving host only when a VM to move is in a hard server
group. Only a refusal reads more: the room of each host placement offered
nothing, to say what it lacks.

What the client cannot see is said, not guessed: see :data:`UNSEEN_SPECS`
and the operator guide's "What the plan knows, and what it cannot".
"""

import dataclasses

from openstack.compute.v2 import server as sdk_server
from openstack import exceptions as sdk_exceptions
from openstack import utils as sdk_utils
from osc_lib import exceptions

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
    demands = {p.server.id: capacity.flavor_demand(
        p.server.flavor, boot_from_volume=not p.server.image)
        for p in moving}
    offers, summaries = offered_room(placement, receiving, demands.values())
    zones = host_zones(compute)
    receivers = [model.Receiver(h.host, zones.get(h.host),
                                *summaries.get(h.host, (frozenset(), {})))
                 for h in receiving]
    groups, group_of = read_groups(compute, moving, receivers)
    image_traits = read_image_traits(compute, moving, warnings)
    known_classes = set().union(*(r.resources for r in receivers)) or set(
        capacity.RESOURCE_CLASSES)
    pinned_known = pinned_zone_shown(compute)
    if not pinned_known and len({r.zone for r in receivers}) > 1:
        warnings.append(_(
            'The compute API is older than %s and cannot tell which VMs '
            'were pinned to an availability zone: every VM is assumed to be '
            'pinned to the zone it is in.') % PINNED_AZ_MICROVERSION)
    needs = [vm_needs(p, dict(demands[p.server.id]),
                      offers[_demand_key(demands[p.server.id])], group_of,
                      image_traits, known_classes, pinned_known,
                      only_hosts or {}, warnings) for p in moving]
    placements = model.place(needs, receivers, groups)
    if any(p.host is None for p in placements.values()) and \
            len(summaries) < len(receiving):
        # A refusal names what each host lacks: read the hosts placement
        # offered nothing, then place again with every host's numbers.
        receivers = [
            r if r.host in summaries else dataclasses.replace(
                r, **dict(zip(('traits', 'resources'),
                              providers.host_traits_and_resources(
                                  placement, host))))
            for r, host in zip(receivers, receiving)]
        placements = model.place(needs, receivers, groups)
    shortfalls = []
    if any(p.host is None for p in placements.values()):
        shortfalls = capacity.totals_short(
            [n.demand for n in needs], [r.resources for r in receivers])
    return Verdicts(_with_placements(planned, placements),
                    _unique(warnings), shortfalls)


def _with_placements(planned, placements):
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
    return result


def offered_room(placement, receiving, demands):
    """Placement's answer for each distinct demand, about the receivers.

    One allocation-candidates request per distinct demand (flavor), never
    per VM or per host.

    :returns: ({demand key: receiving host names placement offers},
        {host: (traits, resources)} of the receivers it summarised).
    """
    host_of = {uuid: h.host for h in receiving
               for uuid in providers.root_providers(placement, h)}
    offers, summaries = {}, {}
    for demand in demands:
        key = _demand_key(demand)
        if key in offers:
            continue
        if not key:
            offers[key] = None      # asks nothing of placement
            continue
        offered, roots = providers.candidates(placement, demand)
        offers[key] = frozenset(host_of[u] for u in offered if u in host_of)
        for uuid, facts in roots.items():
            if uuid in host_of:
                summaries.setdefault(host_of[uuid], facts)
    return offers, summaries


def _demand_key(demand):
    return tuple(sorted((rc, n) for rc, n in demand.items() if n))


def pinned_zone_shown(compute):
    """Whether server listings show the zone each VM is pinned to.

    Both the cloud and the SDK's Server resource must know microversion
    2.96; an older SDK never asks for it.
    """
    return (hasattr(sdk_server.Server, 'pinned_availability_zone') and
            sdk_utils.supports_microversion(compute,
                                            PINNED_AZ_MICROVERSION))


def needs_room(planned):
    """A move that takes room on another host, from the host it is on.

    A resize awaiting confirmation elsewhere already holds its room there.
    """
    return (planned.decision.action in decision.NEEDS_ROOM and
            planned.source is not None and
            planned.server.compute_host == planned.source.host)


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


def vm_needs(planned, demand, offered, group_of, image_traits, known_classes,
             pinned_known, only_hosts, warnings):
    """The model's Needs of one VM.

    :param demand: what it asks of placement.
    :param offered: the receivers placement offers one VM asking that.
    """
    server = planned.server
    flavor = server.flavor or {}
    extra_specs = flavor.get('extra_specs') or {}
    for rc in sorted(set(demand) - known_classes):
        if demand.pop(rc):
            warnings.append(_(
                'Flavor %(flavor)s asks for %(rc)s, which no receiving host '
                'has on its own provider: placement says where one such VM '
                'fits, the plan does not count how many do.') % {
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
        offered=offered,
        only_hosts=frozenset(only) if only is not None else None,
        only_hosts_why=why)


def place_or_refuse(compute, placement, planned, receiving, warn,
                    refuse=True, dry_run=False, only_hosts=None):
    """The plan with destinations; refuse if a VM has nowhere to go.

    :param warn: called with each thing the plan cannot check.
    :param refuse: false with --skip-capacity-check: the VMs with nowhere
        to go are skipped, never attempted.
    :raises CommandError: naming each VM with nowhere to go, before
        anything changed. A dry run shows them as skipped rows instead.
    """
    verdicts = place_plan(compute, placement, planned, receiving,
                          only_hosts)
    for warning in verdicts.warnings:
        warn(warning)
    if verdicts.blocked and refuse:
        if not dry_run:
            raise exceptions.CommandError(refusal(verdicts))
        warn(_('%d VM(s) have nowhere to go (skipped rows): without '
               '--skip-capacity-check the command refuses to start.')
             % len(verdicts.blocked))
    return verdicts.planned


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
