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

"""Where each VM goes: the plan, placed by the model, or refused.

The placement model (``placement_model``) over the cloud's shape
(``shape``): every planned move that needs room gets a host, or the VM is
blocked with the reason. A command refuses before anything changes when a
VM has nowhere to go, unless told to leave those VMs be.
"""

import dataclasses

from osc_lib import exceptions

from migrationhelper.cloud import hosts
from migrationhelper.cloud import providers
from migrationhelper.cloud import vm_reads
from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _
from migrationhelper.planning import capacity
from migrationhelper.planning import decision
from migrationhelper.planning import demand
from migrationhelper.planning import placement_model as model
from migrationhelper.planning import topology


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


def place_plan(compute, placement, planned, receiving, only_hosts=None,
               prefer=frozenset()):
    """Give every planned move that needs room a host, or block it.

    :param planned: plan.PlannedServer list.
    :param receiving: hosts.ComputeHost list of the hosts that may receive.
    :param only_hosts: {source host: (host names, why)} restricting the
        receivers of VMs from that source (``--same-version``).
    :param prefer: hosts the model picks before any other that fits (a
        roll's hosts already maintained).
    :returns: :class:`Verdicts`; a blocked VM's decision is SKIP with the
        reason, and ``blocked`` is set.
    """
    moving = [p for p in planned if needs_room(p)]
    if not moving:
        return Verdicts(list(planned), [])
    needs, receivers, groups, read, summaries = model_inputs(
        compute, placement, moving, receiving, only_hosts)
    warnings = read.warnings
    placements = model.place(needs, receivers, groups, prefer)
    if any(p.host is None for p in placements.values()) and \
            len(summaries) < len(receiving):
        # A refusal names what each host lacks: read the hosts placement
        # offered nothing, then place again with every host's numbers.
        receivers = _read_all(placement, receivers, receiving, summaries)
        placements = model.place(needs, receivers, groups, prefer)
    if read.unjudged:
        warnings.append(_(
            'The plan cannot judge where %s can go: the scheduler picks, '
            'and the drain refuses for them only where no host passes '
            'placement and the filters the plan knows.') % ', '.join(
            '%s (%s)' % (p.server.name, p.server.id) for p in moving
            if p.server.id in read.unjudged))
        for n in needs:
            if n.key in read.unjudged:
                refusal = model.refused_alone(n, receivers, groups)
                placements[n.key] = (model.Placement(None, refusal)
                                     if refusal else None)
    shortfalls = []
    if any(p is not None and p.host is None for p in placements.values()):
        shortfalls = capacity.totals_short(
            [n.demand for n in needs], [r.resources for r in receivers])
    return Verdicts(_with_groups(_with_placements(planned, placements),
                                 groups, read.group_of),
                    _unique(warnings), shortfalls)


def _with_groups(planned, groups, group_of):
    """Each VM with its anti-affinity groups, for the downtime budget."""
    result = []
    for p in planned:
        spread = model.spread_groups(group_of.get(p.server.id, ()), groups)
        result.append(dataclasses.replace(p, anti_affinity=spread)
                      if spread else p)
    return result


def model_inputs(compute, placement, moving, receiving, only_hosts=None,
                 read_all=False):
    """The placement model's view of the moves and of the receivers.

    :param read_all: read every receiver's room, not only those placement
        offers room for one of the VMs (a roll places VMs on hosts that
        are full now and emptied later).
    :returns: (Needs list, Receiver list, {group ID: Group}, what was read,
        {host: placement's summary}).
    """
    warnings = []
    demands = {p.server.id: _demand(p, warnings) for p in moving}
    offers, summaries = topology.offered_room(
        placement, receiving, [d.resources for d in demands.values()])
    zones = topology.host_zones(compute, receiving)
    receivers = [model.Receiver(h.host, zones.get(h.host),
                                *summaries.get(h.host, (frozenset(), {},
                                                        ())))
                 for h in receiving]
    if read_all:
        receivers = _read_all(placement, receivers, receiving, summaries)
    groups, group_of = topology.read_groups(compute, moving, receivers)
    read = _Read(
        offers=offers, group_of=group_of,
        known_classes=set().union(*(r.resources for r in receivers)) or set(
            capacity.RESOURCE_CLASSES + (vocabulary.PCPU,)),
        pinned_known=topology.pinned_zone_shown(compute),
        only_hosts=only_hosts or {}, warnings=warnings)
    if not read.pinned_known and len({r.zone for r in receivers}) > 1:
        warnings.append(_(
            'The compute API is older than %s and cannot tell which VMs '
            'were pinned to an availability zone: every VM is assumed to be '
            'pinned to the zone it is in.') % topology.PINNED_AZ_MICROVERSION)
    needs = [vm_needs(p, demands[p.server.id], read) for p in moving]
    return needs, receivers, groups, read, summaries


def _read_all(placement, receivers, receiving, summaries):
    """Every receiver with its numbers, the unsummarised read one by one."""
    return [r if r.host in summaries else _read_fully(placement, r, host)
            for r, host in zip(receivers, receiving)]


def _read_fully(placement, receiver, host):
    traits, resources, tree = providers.host_traits_and_resources(
        placement, host)
    return dataclasses.replace(receiver, traits=traits, resources=resources,
                               tree=tree)


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


@dataclasses.dataclass
class _Read:
    """What place_plan read of the cloud, for every VM's Needs."""

    offers: dict            # {demand key: hosts placement offers}
    group_of: dict          # {server ID: (group IDs)}
    known_classes: set      # resource classes the receivers' roots have
    pinned_known: bool      # whether listings show pinned zones
    only_hosts: dict        # {source host: (host names, why)}
    warnings: list          # what the plan cannot check, appended to
    # VMs whose needs the model cannot judge: its host is only a hint.
    unjudged: set = dataclasses.field(default_factory=set)


def needs_room(planned):
    """A move that takes room on another host, from the host it is on.

    A resize awaiting confirmation elsewhere already holds its room there.
    """
    return (planned.decision.action in decision.NEEDS_ROOM and
            planned.source is not None and
            planned.server.compute_host == planned.source.host)


def _demand(planned, warnings):
    """What the VM asks of placement, from its flavor and image."""
    server = planned.server
    image = vm_reads.image_id(server)
    if image and planned.image_properties is None:
        warnings.append(_(
            'Image %s could not be read: what its properties ask of a host '
            '(traits, CPU pinning, vTPM) is not checked.') % image)
    return demand.build(server.flavor, planned.image_properties,
                        boot_from_volume=image is None)


def _unread_demand(planned):
    """What the scheduler adds to the VM's request that the plan cannot count.

    Never silently under-counted: the VM is left unjudged.
    """
    server = planned.server
    label = '%s (%s)' % (server.name, server.id)
    if vm_reads.image_id(server) is None and \
            planned.image_properties is None:
        yield _('%s boots from a volume whose image metadata (traits, vTPM, '
                'CPU policy, memory encryption) could not be read: no '
                'block-storage API, or the volume could not be read') % label
    if planned.port_requests:
        yield _('%(vm)s has ports that ask placement for resources '
                '(%(ports)s: QoS minimum bandwidth or packet rate), which '
                'the plan does not count') % {
            'vm': label, 'ports': ', '.join(planned.port_requests)}


def vm_needs(planned, asked, read):
    """The model's Needs of one VM asking ``asked`` (demand.Demand)."""
    server = planned.server
    flavor = server.flavor or {}
    offered = read.offers[asked.key]
    for rc in sorted(rc for rc, n in asked.resources.items()
                     if n and rc not in read.known_classes):
        read.warnings.append(_(
            'Flavor %(flavor)s asks for %(rc)s, which no receiving host '
            'has on its own provider: placement says where one such VM '
            'fits, the plan does not count how many do.') % {
            'flavor': flavor.get('original_name'), 'rc': rc})
    for keys, what in asked.unseen:
        # Flavor extra specs have a colon, image properties do not.
        asker = (_('Flavor %s') % flavor.get('original_name')
                 if any(':' in k for k in keys) else
                 _('Image %s') % vm_reads.image_id(server))
        read.warnings.append(_(
            '%(asker)s sets %(keys)s (%(what)s), which the plan cannot '
            'check: the scheduler picks the hosts of its VMs.') % {
            'asker': asker, 'keys': ', '.join(keys), 'what': what})
        read.unjudged.add(server.id)
    for what in _unread_demand(planned):
        read.warnings.append(what)
        read.unjudged.add(server.id)
    source = planned.source.host
    only, why = read.only_hosts.get(source, (None, ''))
    return model.Needs(
        key=server.id,
        label='%s (%s)' % (server.name, server.id),
        source=source,
        # Classes only nested providers hold are left to placement's offer.
        demand={rc: n for rc, n in asked.resources.items()
                if rc in read.known_classes},
        zone=(server.pinned_availability_zone if read.pinned_known
              else server.availability_zone),
        required_traits=asked.required,
        forbidden_traits=asked.forbidden,
        trait_groups=asked.trait_groups,
        groups=read.group_of.get(server.id, ()),
        offered=offered,
        only_hosts=frozenset(only) if only is not None else None,
        only_hosts_why=why)


def receivers(compute_hosts, target=None, excluded=(), target_refused=None):
    """The hosts that may take the VMs: --target-host alone, or every open one.

    :param excluded: hosts that take none (those being drained).
    :param target_refused: why the target may not take them, if it may
        not.
    :raises CommandError: a target refused, or closed; nothing changed.
    """
    if target is None:
        return hosts.receiving_hosts(compute_hosts, excluded=excluded)
    if target_refused:
        raise exceptions.CommandError(target_refused)
    if not hosts.can_receive(target):
        raise exceptions.CommandError(_(
            'Target host %s cannot take VMs: its service is disabled or '
            'down.') % target.host)
    return [target]


def place_or_refuse(compute, placement, planned, receiving, warn,
                    refuse=True, only_hosts=None, compute_hosts=(),
                    prefer=frozenset()):
    """The plan with destinations; refuse if a VM has nowhere to go.

    A dry run refuses alike, so that its exit status is the real run's.

    :param warn: called with each thing the plan cannot check.
    :param refuse: false with --skip-capacity-check: the VMs with nowhere
        to go are skipped, never attempted.
    :param compute_hosts: every compute host, for the refusal to say why
        those that are not receiving cannot take VMs.
    :raises CommandError: naming each VM with nowhere to go, before
        anything changed.
    """
    verdicts = place_plan(compute, placement, planned, receiving,
                          only_hosts, prefer)
    for warning in verdicts.warnings:
        warn(warning)
    if verdicts.blocked and refuse:
        raise exceptions.CommandError(refusal(verdicts, receiving,
                                              compute_hosts))
    return verdicts.planned


def refusal(verdicts, receiving=(), compute_hosts=()):
    """The error of a plan some VMs cannot leave.

    Each reason once, with the VMs it holds back; then what is short in
    total, and the hosts considered with why the others cannot take VMs.
    """
    by_reason = {}
    for p in verdicts.blocked:
        reason = p.decision.reason
        owner = '; %s' % p.facts.owner
        if reason.endswith(owner):
            reason = reason[:-len(owner)]
        by_reason.setdefault(reason, []).append(p)
    lines = []
    for reason, held in by_reason.items():
        if len(held) == 1:
            lines.append('  %s (%s): %s; %s' % (
                held[0].server.name, held[0].server.id, reason,
                held[0].facts.owner))
            continue
        lines.append('  %s:' % reason)
        lines.extend('    %s (%s); %s' % (p.server.name, p.server.id,
                                          p.facts.owner) for p in held)
    if receiving:
        lines.extend('  %s' % s for s in verdicts.shortfalls)
    lines.append('  %s' % considered(receiving, compute_hosts))
    return _(
        'Not every VM has somewhere to go (nothing was changed; '
        '--skip-capacity-check moves the others and leaves these):\n%s'
    ) % '\n'.join(lines)


def considered(receiving, compute_hosts):
    """Which hosts may take VMs, and why each other one may not."""
    taking = {h.host for h in receiving}
    others = []
    for host in compute_hosts:
        if host.host in taking:
            continue
        if not host.is_up:
            why = _('down')
        elif host.status != 'enabled':
            why = _('disabled')
        else:
            why = _('being emptied')
        others.append('%s (%s)' % (host.host, why))
    text = (_('Hosts that may take them: %s.') % ', '.join(sorted(taking))
            if taking else _('No host may take them.'))
    if others:
        text += ' ' + _('Not considered: %s.') % ', '.join(sorted(others))
    return text


def _unique(items):
    return list(dict.fromkeys(items))


def same_hypervisor_only(planned, receiving):
    """{source: (hosts with its hypervisor, why)}, for --same-version."""
    only = {}
    for source in {p.source.host: p.source for p in planned
                   if p.source}.values():
        only[source.host] = (
            {h.host for h in receiving if hosts.same_hypervisor(h, source)},
            _('--same-version: %(type)s %(version)s like %(source)s') % {
                'type': source.hypervisor_type,
                'version': source.hypervisor_version,
                'source': source.host})
    return only
