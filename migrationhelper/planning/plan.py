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

"""Plan VMs: each one with its source host and the table's decision."""

import dataclasses

from openstack import utils as sdk_utils

from migrationhelper.cloud import listings
from migrationhelper.cloud import vm_reads
from migrationhelper.planning import decision
from migrationhelper.planning import live_moves
from migrationhelper.planning import vm_facts


@dataclasses.dataclass(frozen=True)
class PlannedServer:
    server: object          # openstack.compute.v2.server.Server
    source: object          # hosts.ComputeHost the server is on
    facts: decision.ServerFacts
    decision: decision.Decision
    # The host the placement model chose for it, if any.
    destination: str | None = None
    # Skipped because the model found nowhere for it to go.
    blocked: bool = False
    # The migrations Nova had recorded when the plan was made ({UUID:
    # status}), so that a move finds its own record without listing them
    # first (None: not read).
    known_migrations: dict | None = None
    # Its image's properties, or for a VM booted from a volume its boot
    # volume's image metadata: read for VMs that move (None: not read, or
    # unreadable).
    image_properties: dict | None = None
    # Its ports that ask placement for resources (QoS minimum bandwidth or
    # packet rate), which the plan does not count.
    port_requests: tuple = ()
    # What limits its live move (live_moves.Limit).
    live: live_moves.Limit = live_moves.Limit()
    # Its anti-affinity server groups, hard or soft: no two members move
    # with downtime at once.
    anti_affinity: frozenset = frozenset()


@dataclasses.dataclass(frozen=True)
class Reads:
    """What the plan reads beyond the listings.

    :param network: the SDK's network proxy, or None: ports are then not
        judged.
    :param volumes: the SDK's block-storage proxy, or None: what the boot
        volume of a VM booted from a volume asks is then not read, and
        the plan does not judge where it can go.
    :param identity: the SDK's identity proxy, or None: owners are then
        named by their project IDs.
    """

    network: object = None
    volumes: object = None
    identity: object = None
    # Project names, listed once per run however many hosts it plans.
    _names: dict = dataclasses.field(default_factory=dict, compare=False,
                                     repr=False)

    def project_names(self):
        if 'read' not in self._names:
            self._names['read'] = vm_reads.project_names(self.identity)
        return self._names['read']


def plan_host(compute, host, consent=decision.Consent(), migrations=None,
              reads=Reads()):
    """List ``host``'s servers and decide the move each one needs.

    :param migrations: the host's migrations, when the caller read them
        (a drain does, once per host); otherwise they are read only when an
        ERROR server needs them.
    :param reads: :class:`Reads`; its ports are listed once for the host.
    """
    servers = listings.list_host_servers(compute, host)
    if migrations is None and any(s.status == 'ERROR' for s in servers):
        migrations = listings.list_host_migrations(compute, host)
    planned = _plan(compute, servers, {host.host: host},
                    listings.latest_migrations(migrations or []),
                    consent, reads, binding_host_id=host.host)
    if migrations is None:
        return planned
    known = listings.known_migrations(migrations)
    return [dataclasses.replace(p, known_migrations=known) for p in planned]


def plan_servers(compute, servers, compute_hosts,
                 consent=decision.Consent(), reads=Reads()):
    """Decide the move of each of ``servers``, wherever they are.

    :param reads: :class:`Reads`; ports are listed per VM.
    """
    latest = {}
    for server in servers:
        if server.status == 'ERROR':
            latest.update(listings.latest_migrations(
                compute.migrations(server_id=server.id)))
    return _plan(compute, servers, {h.host: h for h in compute_hosts},
                 latest, consent, reads)


def _plan(compute, servers, hosts_by_name, latest, consent, reads,
          **port_query):
    """Decide twice: what each VM's state asks, then its live limits.

    Images are read only for the VMs that move, ports for those that move
    live.
    """
    first = []
    names = reads.project_names() if servers else {}
    for server in servers:
        source = hosts_by_name.get(server.compute_host)
        facts = dataclasses.replace(
            vm_facts.of_server(compute, server, latest.get(server.id)),
            project_name=names.get(server.project_id))
        first.append((server, source, facts, decision.decide(
            facts, vm_facts.of_host(source), consent.evacuate)))
    # A VM waited for is decided again when its task ends: it may move.
    moving = [s for s, _h, _f, d in first
              if d.action in decision.NEEDS_ROOM | {decision.WAIT}]
    images = vm_reads.image_properties(compute, moving) if moving else {}
    from_volume = [s for s in moving if vm_reads.image_id(s) is None]
    volumes = (vm_reads.boot_volume_properties(reads.volumes, from_volume)
               if from_volume else {})
    ports = vm_reads.Ports({}, {})
    if moving and reads.network is not None:
        if port_query:
            ports = vm_reads.ports(reads.network, **port_query)
        else:
            for server in moving:
                found = vm_reads.ports(reads.network, device_id=server.id)
                ports.vnics.update(found.vnics)
                ports.asking.update(found.asking)

    def supports(microversion):
        return sdk_utils.supports_microversion(compute, microversion)

    planned = []
    for server, source, facts, _first in first:
        image = vm_reads.image_id(server)
        properties = (images.get(image) if image
                      else volumes.get(server.id))
        limit = live_moves.judge(server.flavor, properties,
                                 ports.vnics.get(server.id, {}), supports)
        facts = dataclasses.replace(
            facts, no_live_move=limit.no_live_move,
            live_interrupts=limit.interrupts, no_move=limit.no_move,
            no_evacuation=limit.no_evacuation)
        planned.append(PlannedServer(
            server, source, facts,
            decision.decide(facts, vm_facts.of_host(source),
                            consent.evacuate, consent.downtime),
            image_properties=properties,
            port_requests=ports.asking.get(server.id, ()), live=limit))
    return sorted(planned, key=lambda p: (p.server.name or '', p.server.id))
