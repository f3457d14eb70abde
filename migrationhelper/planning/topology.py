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
room and traits), and one light server
listing per receiving host only when a VM to move is in a hard server
group. Only a refusal reads more: the room of each host placement offered
nothing, to say what it lacks. Images are read with the plan
(``vm_reads``), each VM's demand built as Nova builds it (``demand``).

What the client cannot see is said, not guessed: see
:data:`migrationhelper.demand.UNSEEN` and the operator guide's "What the
plan knows, and what it cannot".
"""

from openstack.compute.v2 import server as sdk_server
from openstack import utils as sdk_utils

from migrationhelper.cloud import listings
from migrationhelper.cloud import providers
from migrationhelper.planning import placement_model as model

# 2.96 shows the zone a server was pinned to at boot (or by
# default_schedule_zone); older APIs cannot tell it from where it landed.
PINNED_AZ_MICROVERSION = '2.96'


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
        key = demand_key(demand)
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


def demand_key(demand):
    return tuple(sorted((rc, n) for rc, n in demand.items() if n))


def pinned_zone_shown(compute):
    """Whether server listings show the zone each VM is pinned to.

    Both the cloud and the SDK's Server resource must know microversion
    2.96; an older SDK never asks for it.
    """
    return (hasattr(sdk_server.Server, 'pinned_availability_zone') and
            sdk_utils.supports_microversion(compute,
                                            PINNED_AZ_MICROVERSION))


def host_zones(compute, receiving=()):
    """{compute host: availability zone} of enabled hosts and receivers.

    Nova's zone listing shows enabled services only. A disabled receiver
    (the host a restore brings VMs back to) is placed by the aggregates:
    in its availability zone aggregate's zone, or else in the default zone,
    which enabled hosts in no such aggregate show; None if that cannot be
    told, and the scheduler then has the last word.
    """
    zones = {}
    for zone in compute.availability_zones(details=True):
        for host, services in (zone.hosts or {}).items():
            if 'nova-compute' in (services or {}):
                zones[host] = zone.name
    missing = [h.host for h in receiving if h.host not in zones]
    if missing:
        zoned = {}
        for aggregate in compute.aggregates():
            if aggregate.availability_zone:
                zoned.update(dict.fromkeys(aggregate.hosts or (),
                                           aggregate.availability_zone))
        default = {z for h, z in zones.items() if h not in zoned}
        default_zone = default.pop() if len(default) == 1 else None
        for host in missing:
            zones[host] = zoned.get(host, default_zone)
    return zones


def read_groups(compute, moving, receivers):
    """The server groups of the VMs to move, with members per host.

    :returns: ({group ID: model.Group}, {server ID: (group IDs)}).
    """
    moving_ids = {p.server.id for p in moving}
    group_of = {}
    relevant = []
    for group in listings.list_server_groups(compute):
        members = set(group.get('members') or ())
        if not members & moving_ids:
            continue
        for server_id in members & moving_ids:
            group_of.setdefault(server_id, []).append(group['id'])
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
        rules = group.get('rules') or {}
        groups[group['id']] = model.Group(
            id=group['id'], name=group.get('name'), policy=_policy(group),
            members_on={h: len(members & ids) for h, ids in on_host.items()},
            max_per_host=int(rules.get('max_server_per_host', 1)))
    return groups, {k: tuple(v) for k, v in group_of.items()}


def _policy(group):
    # 2.64 turned the "policies" list into one "policy".
    return group.get('policy') or (group.get('policies') or [None])[0]
