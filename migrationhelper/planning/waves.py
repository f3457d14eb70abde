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

"""A roll's waves, simulated with the placement model before any move.

Pure: the hosts to maintain with what each must move (placement_model
Needs), the hosts that may receive and the server groups in; the waves out,
each VM with the host the model gives it, or the first wave that cannot
be absorbed and why.

- Order: hosts with nothing to move first, then fewer VMs first (name
  breaks ties); a host an earlier run left mid-way goes before all.
- Waves: up to ``max_unavailable`` hosts each, in that order, except that
  one wave never holds two hosts whose VMs going down (cold moves a
  running guest accepts with --allow-downtime) are members of one
  anti-affinity group, hard or soft: the later host waits for a later
  wave.
- Placement: each wave's VMs are placed on the hosts that remain open,
  hosts this roll already maintained first (the model picks the most
  free RAM among them), a host not maintained yet only when none fits.
  A VM placed on a host not maintained yet moves again with that host:
  the sequence counts it, and ``moves_per_vm`` is 1.0 when no VM moves
  twice.
"""

import dataclasses

from migrationhelper.i18n import _
from migrationhelper.planning import placement_model as model


@dataclasses.dataclass(frozen=True)
class RollHost:
    """A host to maintain, as its plan found it."""

    name: str
    moving: tuple = ()      # model.Needs of the VMs it must move off
    # (VM label, reason) of the VMs its drain would leave there.
    left: tuple = ()
    # Keys of its VMs whose move takes their guest down.
    going_down: frozenset = frozenset()


@dataclasses.dataclass(frozen=True)
class Wave:
    number: int                 # from 1
    hosts: tuple                # host names, in the roll's order
    # {VM key: host the model gives it}.
    destinations: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """The first wave that cannot be absorbed."""

    wave: int
    host: str
    vm: str
    reason: str

    def __str__(self):
        return _('wave %(wave)d, host %(host)s: %(vm)s cannot go anywhere: '
                 '%(reason)s') % dataclasses.asdict(self)


@dataclasses.dataclass
class Sequence:
    waves: list
    refusal: Refusal | None = None
    moves: int = 0              # moves the sequence makes
    vms_moved: int = 0          # VMs it moves, each counted once

    @property
    def moves_per_vm(self):
        return round(self.moves / self.vms_moved, 2) if self.vms_moved \
            else 0.0


def order(hosts, first=()):
    """Hosts in the order a roll maintains them (see the module's doc)."""
    first = set(first)
    return sorted(hosts, key=lambda h: (
        h.name not in first, len(h.moving) + len(h.left), h.name))


def simulate(hosts, receivers, groups, max_unavailable=1, maintained=(),
             first=(), restore=False):
    """Every wave of the roll, placed; stops at the first refusal.

    :param hosts: :class:`RollHost` list, the hosts left to maintain.
    :param receivers: placement_model.Receiver of every host that may take
        VMs, the roll's own hosts among them.
    :param groups: {group ID: placement_model.Group}.
    :param maintained: hosts this roll already maintained (preferred).
    :param first: hosts an earlier run left mid-way: maintained first.
    :param restore: each wave's VMs go back to their host once it is
        maintained (--restore), taking their room there again.
    :returns: :class:`Sequence`.
    """
    sim = model.Model(list(receivers), dict(groups))
    maintained = set(maintained) & set(sim.receivers)
    # What each host holds as the sequence goes: VMs placed on a host not
    # maintained yet move again with it.
    on_host = {h.name: list(h.moving) for h in hosts}
    going_down = set().union(*(h.going_down for h in hosts))
    left = {h.name: h.left for h in hosts}
    pending = [h.name for h in order(hosts, first)]
    sequence, moved = Sequence([]), set()
    while pending:
        number = len(sequence.waves) + 1
        wave = _next_wave(pending, max(1, max_unavailable), on_host,
                          going_down, groups)
        for name in wave:
            pending.remove(name)
            if left[name]:
                vm, reason = left[name][0]
                sequence.refusal = Refusal(number, name, vm, reason)
                return sequence
        sim.closed = set(wave)
        needs = [dataclasses.replace(n, source=name, offered=None)
                 for name in wave for n in on_host[name]]
        placements = sim.place(needs, prefer=maintained)
        destinations = {}
        for need in needs:
            placement = placements[need.key]
            if placement.host is None:
                sequence.refusal = Refusal(number, need.source, need.label,
                                           placement.reason)
                return sequence
            sim.release(need.source, need)
            destinations[need.key] = placement.host
            if placement.host in on_host and placement.host in pending:
                on_host[placement.host].append(need)
            moved.add(need.key)
        if restore:
            for need in needs:
                sim.release(destinations[need.key], need)
                sim.take(need.source, need)
                back_from = on_host.get(destinations[need.key], [])
                if need in back_from:
                    back_from.remove(need)
            sequence.moves += len(needs)
        else:
            for name in wave:
                on_host[name] = []
        sequence.moves += len(needs)
        sequence.waves.append(Wave(number, tuple(wave), destinations))
        maintained |= set(wave) & set(sim.receivers)
    sequence.vms_moved = len(moved)
    return sequence


def _next_wave(pending, size, on_host, going_down, groups):
    """The next hosts in order, within the size and the downtime budget."""
    wave, down = [], set()
    for name in pending:
        if len(wave) == size:
            break
        mine = _down_groups(on_host[name], going_down, groups)
        if mine & down:
            continue
        wave.append(name)
        down |= mine
    return wave


def _down_groups(needs, going_down, groups):
    """Anti-affinity groups of the VMs among ``needs`` that go down."""
    return model.spread_groups(
        [gid for n in needs if n.key in going_down for gid in n.groups],
        groups)
