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

"""Where can each VM go? The scheduler's question, asked before any move.

A pure function over facts read beforehand (see ``shape``): the hosts that
can receive VMs, with their zone, traits and room in placement; the server
groups; and, for each VM, what it needs of its next host. :func:`place`
answers with a host for every VM, or why it has none, in an operator's
words. It asks what Nova's scheduler asks, in the order it filters:

- the availability zone a VM is pinned to (a placement ``member_of``);
- the traits its flavor and image require or forbid, as placement reads
  them over the host's provider tree: the unsuffixed group's required
  traits from any provider of the tree, a granular group's from the one
  provider that serves its resources (a vGPU's trait on the physical
  GPU's child provider);
- its hard server groups: an anti-affinity group excludes hosts already
  holding ``max_server_per_host`` members, counting the moves this plan
  makes; an affinity group only admits hosts holding another member, so a
  group whose members all live on the source cannot be moved by Nova at
  all; soft policies only weigh, they never exclude;
- room: every resource class the VM asks, within ``max_unit``.

VMs are placed most constrained first (fewest possible hosts), largest
first among equals, each on the possible host with the most free RAM (as
Nova's default RAM weigher spreads), and each placement consumes the room
and group slots it takes, so that VMs competing for the same room are
counted once. A rolling maintenance prefers some hosts (those it already
maintained): among them first, the most free RAM still decides.
"""

import bisect
import collections
import dataclasses
import typing

from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _
from migrationhelper.planning import capacity
from migrationhelper.planning import demand

AFFINITY = 'affinity'
ANTI_AFFINITY = 'anti-affinity'
# Groups whose members should not be down together (a roll's budget).
ANTI_AFFINITY_POLICIES = frozenset((ANTI_AFFINITY, 'soft-anti-affinity'))


def spread_groups(group_ids, groups):
    """Those of ``group_ids`` that are anti-affinity groups, hard or soft.

    :param groups: {group ID: :class:`Group`}.
    """
    return frozenset(gid for gid in group_ids
                     if getattr(groups.get(gid), 'policy', None) in
                     ANTI_AFFINITY_POLICIES)


# How many hosts a refusal names before it says "and N more".
HOSTS_NAMED = 3


@dataclasses.dataclass(frozen=True)
class Receiver:
    """A host that may take VMs, as placement and Nova describe it."""

    host: str
    zone: str | None = None
    traits: frozenset = frozenset()     # the root provider's
    # {resource class: capacity.Resource}
    resources: dict = dataclasses.field(default_factory=dict)
    # Every provider of the host's trees (Provider), roots first; empty:
    # only the root's traits are known.
    tree: tuple = ()

    def providers(self):
        if not self.tree:
            return (Provider(self.traits, frozenset(self.resources), True),)
        return tuple(Provider(*p) for p in self.tree)


class Provider(typing.NamedTuple):
    """One resource provider of a host's tree, as traits go."""

    traits: frozenset = frozenset()
    resource_classes: frozenset = frozenset()
    is_root: bool = False


@dataclasses.dataclass(frozen=True)
class Group:
    """A server group, with how many of its members each host holds."""

    id: str
    name: str
    policy: str
    members_on: dict = dataclasses.field(default_factory=dict)
    max_per_host: int = 1

    @property
    def label(self):
        return self.name or self.id


@dataclasses.dataclass(frozen=True)
class Needs:
    """What one VM needs of the host it goes to."""

    key: str                       # the server ID
    label: str                     # name (ID), for messages
    source: str                    # the host it leaves, never a receiver
    demand: dict                   # {resource class: amount}
    zone: str | None = None        # the availability zone it is pinned to
    required_traits: frozenset = frozenset()
    forbidden_traits: frozenset = frozenset()
    groups: tuple = ()             # IDs of its server groups
    # The traits per request group (demand.TraitGroup); empty: the
    # required and forbidden traits above, as one unsuffixed group.
    trait_groups: tuple = ()
    # The hosts placement offers one VM asking this demand (None: not
    # asked); max_unit and nested providers are placement's to judge.
    offered: frozenset | None = None
    # Hosts it is restricted to beyond the above, and why (--same-version).
    only_hosts: frozenset | None = None
    only_hosts_why: str = ''


@dataclasses.dataclass(frozen=True)
class Placement:
    """A host for the VM, or None and why not."""

    host: str | None
    reason: str = ''


def place(needs, receivers, groups=None, prefer=frozenset()):
    """Assign every VM a receiver, or say why it has none.

    :param needs: iterable of :class:`Needs`.
    :param receivers: iterable of :class:`Receiver`.
    :param groups: {group ID: :class:`Group`}.
    :param prefer: hosts chosen before any other that fits.
    :returns: {needs.key: :class:`Placement`}.
    """
    return Model(list(receivers), dict(groups or {})).place(needs, prefer)


def refused_alone(needs, receivers, groups=None):
    """Why the VM could go nowhere even if it moved alone, or None.

    Filters, and placement's offer for it alone: what the scheduler
    refuses whatever else moves. For a VM whose host the model can only
    hint at, the one certain refusal.
    """
    model = Model(list(receivers), dict(groups or {}))
    hosts, narrowed, refusal = model.eligible(needs)
    if refusal:
        return refusal
    if needs.offered is not None and not set(hosts) & needs.offered:
        return model._no_room(needs, hosts, narrowed)
    return None


def _tree_has(providers, group):
    """Whether a host's provider tree satisfies one group's traits.

    The unsuffixed group: required traits from any provider of the tree,
    forbidden ones on none of the roots (which serve its VCPU and RAM). A
    granular group: one provider with all of its resource classes, its
    required traits and none of its forbidden ones.
    """
    if not group.suffix:
        every = frozenset().union(*(p.traits for p in providers))
        roots = frozenset().union(*(p.traits for p in providers
                                    if p.is_root))
        return group.required <= every and not group.forbidden & roots
    return any(group.resource_classes <= p.resource_classes and
               group.required <= p.traits and
               not group.forbidden & p.traits for p in providers)


def _size(asked):
    # Memory dominates real packing; vCPUs and disk break ties.
    return (asked.get(vocabulary.MEMORY_MB, 0), asked.get(vocabulary.VCPU, 0),
            asked.get(vocabulary.DISK_GB, 0))


class Model:
    """The receivers' room and the groups' members, as the plan fills them.

    One model may place several rounds of VMs (a roll's waves): hosts can
    be closed and opened again, and a VM that leaves a host gives its room
    and group slot back (:meth:`release`).
    """

    def __init__(self, receivers, groups):
        self.receivers = {r.host: r for r in receivers}
        self.free = {r.host: {rc: res.free for rc, res in r.resources.items()}
                     for r in receivers}
        self.members_on = {gid: collections.Counter(g.members_on)
                           for gid, g in groups.items()}
        self.groups = groups
        self.names = sorted(self.receivers)
        # Hosts that take nothing for now (those a roll is emptying).
        self.closed = set()
        # (-free RAM, host), sorted: the RAM weigher's order, kept as room
        # is taken, so that a VM's host is found without a scan of all.
        self._by_ram = sorted(self._ram_key(h) for h in self.names)

    def _ram_key(self, host):
        return (-self.free[host].get(vocabulary.MEMORY_MB, 0), host)

    def place(self, needs, prefer=frozenset()):
        """Place each of ``needs`` (most constrained first); see place()."""
        needs = list(needs)
        order = sorted(needs, key=lambda n: (
            len(self.eligible(n)[0]), tuple(-v for v in _size(n.demand)),
            n.label, n.key))
        return {n.key: self.assign(n, prefer) for n in order}

    def eligible(self, needs):
        """The receivers that pass every filter but room, and why.

        :returns: (sorted host names, [what narrowed them], refusal or None)
        """
        hosts = [h for h in self.names
                 if h != needs.source and h not in self.closed]
        if not hosts:
            return [], [], _('no other host can take VMs: every other host '
                             'is disabled, down or being drained')
        narrowed = []
        for check in (self._only_hosts, self._zone, self._traits,
                      self._groups):
            hosts, what, refusal = check(needs, hosts)
            if refusal:
                return [], narrowed, refusal
            if what:
                narrowed.append(what)
        return hosts, narrowed, None

    def _only_hosts(self, needs, hosts):
        if needs.only_hosts is None:
            return hosts, None, None
        kept = [h for h in hosts if h in needs.only_hosts]
        if not kept:
            return [], None, _('%s: no host that can take VMs has '
                               'it') % needs.only_hosts_why
        return kept, needs.only_hosts_why, None

    def _zone(self, needs, hosts):
        if not needs.zone:
            return hosts, None, None
        what = _('pinned to availability zone %s') % needs.zone
        # A receiver of unknown zone is left to the scheduler to judge.
        kept = [h for h in hosts
                if self.receivers[h].zone in (needs.zone, None)]
        if not kept:
            return [], None, _('%s: no host that can take VMs is in '
                               'it') % what
        return kept, what, None

    def _traits(self, needs, hosts):
        if not (needs.required_traits or needs.forbidden_traits):
            return hosts, None, None
        parts = []
        if needs.required_traits:
            parts.append(_('needs trait %s') %
                         ', '.join(sorted(needs.required_traits)))
        if needs.forbidden_traits:
            parts.append(_('forbids trait %s') %
                         ', '.join(sorted(needs.forbidden_traits)))
        what = _(' and ').join(parts)
        groups = needs.trait_groups or (
            demand.TraitGroup('', frozenset(), needs.required_traits,
                              needs.forbidden_traits),)
        kept = [h for h in hosts if all(
            _tree_has(self.receivers[h].providers(), g) for g in groups)]
        if not kept:
            return [], None, _('%s: no host that can take it has '
                               'that') % what
        return kept, what, None

    def _groups(self, needs, hosts):
        whats = []
        for gid in needs.groups:
            group = self.groups.get(gid)
            if group is None or group.policy not in (AFFINITY,
                                                     ANTI_AFFINITY):
                continue    # soft policies only weigh hosts
            members_on = self.members_on[gid]
            if group.policy == AFFINITY:
                kept = [h for h in hosts if members_on[h] > 0]
                if not kept:
                    return [], None, _(
                        'affinity group %s: Nova cannot move members of an '
                        'affinity group off their host') % group.label
                what = _('affinity group %s') % group.label
            else:
                kept = [h for h in hosts
                        if members_on[h] < group.max_per_host]
                if not kept:
                    return [], None, _(
                        'anti-affinity group %(group)s: every host that can '
                        'take it already holds %(max)d of its members') % {
                        'group': group.label, 'max': group.max_per_host}
                what = _('anti-affinity group %s') % group.label
            if len(kept) < len(hosts):
                whats.append(what)
            hosts = kept
        return hosts, '; '.join(whats) or None, None

    def assign(self, needs, prefer=frozenset()):
        hosts, narrowed, refusal = self.eligible(needs)
        if refusal:
            return Placement(None, refusal)
        host = self._best(needs, set(hosts), prefer)
        if host is None:
            return Placement(None, self._no_room(needs, hosts, narrowed))
        self._take(host, needs, 1)
        return Placement(host)

    def _best(self, needs, hosts, prefer):
        """The fitting host with the most free RAM, preferred ones first."""
        fallback = None
        for _ram, host in self._by_ram:
            if host not in hosts or not self._fits(needs.demand, host) or (
                    needs.offered is not None and host not in needs.offered):
                continue
            if host in prefer:
                return host
            if fallback is None:
                fallback = host
                if not prefer:
                    break
        return fallback

    def release(self, host, needs):
        """``needs``' VM left ``host``: its room and group slot are free."""
        if host in self.free:
            self._take(host, needs, -1)

    def take(self, host, needs):
        """``needs``' VM is back on ``host``: its room and slot are taken."""
        if host in self.free:
            self._take(host, needs, 1)

    def _take(self, host, needs, sign):
        self._by_ram.remove(self._ram_key(host))
        for rc, amount in needs.demand.items():
            self.free[host][rc] = self.free[host].get(rc, 0) - sign * amount
        bisect.insort(self._by_ram, self._ram_key(host))
        for gid in needs.groups:
            if gid in self.members_on:
                self.members_on[gid][host] += sign

    def _fits(self, demand, host):
        return not self._lacks(demand, host)

    def _lacks(self, demand, host):
        """{resource class: (amount short, whether max_unit is why)}."""
        resources = self.receivers[host].resources
        lacking = {}
        for rc, amount in demand.items():
            if not amount:
                continue
            resource = resources.get(rc)
            if resource is None:
                lacking[rc] = (amount, False)
            elif resource.max_unit is not None and \
                    amount > resource.max_unit:
                lacking[rc] = (amount - resource.max_unit, True)
            elif amount > self.free[host].get(rc, 0):
                lacking[rc] = (amount - self.free[host].get(rc, 0), False)
        return lacking

    def _no_room(self, needs, hosts, narrowed):
        described = [self._describe_lack(needs, h) for h in hosts]
        if len(described) > HOSTS_NAMED:
            described = described[:HOSTS_NAMED] + [
                _('and %d more') % (len(described) - HOSTS_NAMED)]
        if len(hosts) == 1 and narrowed:
            rooms = _('only %(detail)s qualifies') % {
                'detail': described[0]}
        else:
            rooms = ', '.join(described)
        return '%s: %s' % ('; '.join(narrowed) or _('no room'), rooms)

    def _describe_lack(self, needs, host):
        lacks = self._lacks(needs.demand, host)
        if not lacks:
            return _('placement offers no room on %s for it (max_unit or '
                     'nested providers)') % host
        parts = []
        for rc, (short, max_unit) in sorted(lacks.items()):
            amount = '%d %s' % (short, capacity.UNITS.get(rc, rc))
            if max_unit:
                parts.append(_('%(amount)s more than one VM may have') % {
                    'amount': amount})
            else:
                parts.append(amount)
        text = _('%(host)s lacks %(what)s') % {
            'host': host, 'what': _(' and ').join(parts)}
        initially_free = {rc: r.free for rc, r in
                          self.receivers[host].resources.items()}
        if not any(max_unit for _short, max_unit in lacks.values()) and all(
                needs.demand.get(rc, 0) <= initially_free.get(rc, 0)
                for rc in lacks):
            text += _(' once the VMs placed before it are there')
        return text
