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

"""Whose are the allocations placement holds on a compute host?

Pure: placement's allocations of the host's providers, Nova's listing of
the host's servers and migrations, and what Nova said of each consumer the
two do not explain, in; one :class:`Holder` per consumer out. The rules
follow Nova's own: a VM on a host holds its allocation as itself; a move
in progress holds the source's as its migration record and the
destination's as the VM (since Queens); an evacuation holds both as the
VM until nova-compute starts on the source again; ``nova-manage placement
audit`` deletes whatever is neither a VM on the node nor a move in
progress.
"""

import dataclasses

from migrationhelper.cloud import records
from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _

# What holds an allocation on the host. The names are part of the
# interface: ``host status -f json`` carries them.
VM = 'vm'                                   # a VM Nova lists on the host
MOVING_FROM = 'move-from'                   # source side of a move going on
MOVING_TO = 'move-to'                       # a VM moving to the host
EVACUATED = 'evacuated'                     # evacuated; the host was down
MOVE_LEFTOVER = 'move-leftover'             # a move that ended left it
ELSEWHERE = 'vm-elsewhere'                  # a VM on another host, no move
ARRIVING = 'vm-arriving'                    # a VM being built or unshelved
STUCK_MOVE = 'move-stuck'                   # a move no conductor carries on
ORPHAN = 'orphan'                           # nothing Nova knows
UNLISTED = 'unlisted'                       # on the host, not in the listing
CELL_NOT_ANSWERING = 'cell-not-answering'   # Nova could not say

# Nova cannot tell what these are: a host holding them is never called
# empty, and a drain refuses to start.
UNEXPLAINED = frozenset((UNLISTED, CELL_NOT_ANSWERING))
# Left for good unless someone clears them. nova-manage placement audit
# deletes leftovers and orphans (neither a VM on the node nor a move in
# progress); a VM elsewhere is healed where it is, a stuck move's record is
# in progress for Nova, so its allocation is deleted by hand.
TO_CLEAR = frozenset((MOVE_LEFTOVER, STUCK_MOVE, ELSEWHERE, ORPHAN))
# A move whose record has not changed for this long while its VM is idle is
# carried on by no one (a conductor that died before it was done).
STUCK_AFTER_SECONDS = 300
# Go on their own: nova-compute removes an evacuated VM's allocation when it
# starts on the host again (or when its service is deleted).
CLEAR_THEMSELVES = frozenset((EVACUATED,))


@dataclasses.dataclass(frozen=True)
class Holder:
    """One consumer's allocations on the host, and what it is."""

    consumer: str
    kind: str
    resources: tuple               # ((resource class, amount), ...)
    providers: tuple               # the host's provider UUIDs it holds
    server_id: str | None = None
    migration: records.Migration | None = None

    @property
    def may_clear_soon(self):
        """Nova deletes it in a moment: its move just ended well."""
        return (self.kind == MOVE_LEFTOVER and self.migration.status in
                vocabulary.SUCCESSFUL_MIGRATION_STATUSES)


def by_consumer(allocations):
    """{consumer: ({resource class: amount}, (provider UUIDs))}.

    :param allocations: {provider UUID: {consumer: {resource class:
        amount}}}, as placement lists a provider's allocations; nested
        providers add up into their host's.
    """
    held = {}
    for provider, consumers in sorted(allocations.items()):
        for consumer, resources in consumers.items():
            total, providers = held.setdefault(consumer, ({}, []))
            providers.append(provider)
            for rc, amount in resources.items():
                total[rc] = total.get(rc, 0) + amount
    return {c: (total, tuple(p)) for c, (total, p) in held.items()}


def _explained(consumer, host, server_ids, migrations, stuck=frozenset()):
    """(kind, server ID, migration) from Nova's listings, or None."""
    if consumer in server_ids:
        return VM, consumer, None
    for migration in migrations:
        if migration.uuid == consumer and migration.source == host:
            kind = MOVING_FROM if migration.in_progress else MOVE_LEFTOVER
            if migration.uuid in stuck:
                kind = STUCK_MOVE
            return kind, migration.server_id, migration
    for migration in migrations:
        if migration.server_id != consumer or not migration.in_progress:
            continue
        if migration.dest == host:
            return MOVING_TO, consumer, migration
        if migration.source == host:
            # Nova points the VM at the destination before the move's
            # record ends; or, before Queens, the VM held the source too.
            return MOVING_FROM, consumer, migration
    return None


def to_look_up(held, host, server_ids, migrations):
    """The consumers Nova's listings do not explain: ask Nova for each."""
    return sorted(c for c in held
                  if _explained(c, host, server_ids, migrations) is None)


def stale_moves(migrations, stale_before):
    """Moves in progress whose record has not changed since ``stale_before``.

    ``stale_before`` is an API time. A ``finished`` record awaits a
    confirmation, not a conductor: never stale.
    """
    return [m for m in migrations
            if m.in_progress and m.status != 'finished' and m.updated_at and
            vocabulary.to_second(m.updated_at) <
            vocabulary.to_second(stale_before)]


def stuck_moves(migrations, idle_ids, stale_before):
    """UUIDs of moves in progress that no one carries on any more.

    A stale record (:func:`stale_moves`) of a VM Nova shows idle: its
    conductor died before it was done (a ``pre-migrating`` record holds
    the source's allocation for good).
    """
    return frozenset(m.uuid for m in stale_moves(migrations, stale_before)
                     if m.server_id in idle_ids)


def classify(held, host, server_ids, migrations, seen, stuck=frozenset()):
    """One Holder per consumer, VMs on the host first.

    :param held: from :func:`by_consumer`.
    :param host: the nova-compute service host.
    :param server_ids: the IDs of the servers Nova lists on the host.
    :param migrations: the host's :class:`records.Migration` records.
    :param seen: {consumer: records.Seen, records.NOT_FOUND or
        records.NO_ANSWER} for each consumer
        :func:`to_look_up` named.
    :param stuck: UUIDs of moves no one carries on (:func:`stuck_moves`).
    """
    holders = []
    for consumer, (resources, providers) in held.items():
        explained = _explained(consumer, host, server_ids, migrations, stuck)
        if explained is None:
            explained = _from_lookup(consumer, host, migrations,
                                     seen.get(consumer, records.NO_ANSWER))
        kind, server_id, migration = explained
        holders.append(Holder(consumer, kind, tuple(sorted(
            resources.items())), providers, server_id, migration))
    order = (VM, MOVING_FROM, MOVING_TO, EVACUATED, ARRIVING, MOVE_LEFTOVER,
             STUCK_MOVE, ELSEWHERE, ORPHAN, UNLISTED, CELL_NOT_ANSWERING)
    return sorted(holders, key=lambda h: (order.index(h.kind), h.consumer))


def _from_lookup(consumer, host, migrations, seen):
    if seen == records.NOT_FOUND:
        return ORPHAN, None, None
    # Compute API 2.69 and later: a VM in a cell that does not answer
    # comes back with status UNKNOWN and little else.
    if seen == records.NO_ANSWER or seen.status == 'UNKNOWN':
        return CELL_NOT_ANSWERING, consumer, None
    if seen.status == 'BUILD' or \
            seen.task_state in vocabulary.ARRIVING_TASKS or (
            seen.compute_host is None and seen.task_state):
        # The scheduler's claim for a VM on its way (any cell): never an
        # orphan, never to delete.
        return ARRIVING, consumer, None
    if seen.compute_host == host:
        return UNLISTED, consumer, None
    for migration in migrations:
        if migration.server_id == consumer and migration.source == host \
                and migration.kind == 'evacuation':
            return EVACUATED, consumer, migration
    return ELSEWHERE, consumer, None


def resources_text(holder):
    return ', '.join('%s=%s' % (rc, amount)
                     for rc, amount in holder.resources)


def audit_command(holder):
    return ' ; '.join(
        'nova-manage placement audit --resource_provider %s --delete'
        % provider for provider in holder.providers)


def heal_command(holder):
    """Rewrite a VM's allocations to where it is (Nova Ussuri and later)."""
    return ('nova-manage placement heal_allocations --instance %s --force'
            % holder.server_id)


def delete_command(holder):
    """Delete one consumer's allocations (osc-placement)."""
    return 'openstack resource provider allocation delete %s' % (
        holder.consumer)


def describe(holder):
    """Whose the allocation is and what clears it, for an operator."""
    values = {
        'consumer': holder.consumer,
        'server': holder.server_id,
        'resources': resources_text(holder),
        'migration': holder.migration and holder.migration.uuid,
        'status': holder.migration and holder.migration.status,
        'audit': audit_command(holder),
        'heal': heal_command(holder),
        'delete': delete_command(holder),
    }
    texts = {
        VM: _('VM %(server)s on the host holds %(resources)s'),
        MOVING_FROM: _('a move of VM %(server)s from the host (migration '
                       '%(migration)s, %(status)s) holds %(resources)s; '
                       'Nova releases it when the move ends'),
        MOVING_TO: _('VM %(server)s moving to the host (migration '
                     '%(migration)s, %(status)s) holds %(resources)s'),
        EVACUATED: _('VM %(server)s, evacuated, still holds %(resources)s '
                     'here; nova-compute releases it when it starts on the '
                     'host again'),
        MOVE_LEFTOVER: _('migration %(migration)s of VM %(server)s ended '
                         '%(status)s and left %(resources)s; clear with: '
                         '%(audit)s'),
        ARRIVING: _('VM %(server)s is being built or unshelved: '
                    '%(resources)s is the scheduler\'s claim for it, and '
                    'the VM will be on the host'),
        STUCK_MOVE: _('migration %(migration)s of VM %(server)s is still '
                      '%(status)s, but the VM is idle and the record has '
                      'not changed for minutes: no conductor carries it on, '
                      'and Nova will not release %(resources)s; give the VM '
                      'its own allocation back first (%(heal)s), then clear '
                      'this one with: %(delete)s'),
        ELSEWHERE: _('VM %(server)s is on another host and still holds '
                     '%(resources)s here; rewrite its allocations where it '
                     'is with: %(heal)s'),
        ORPHAN: _('consumer %(consumer)s, unknown to Nova, holds '
                  '%(resources)s (an orphaned allocation); clear with: '
                  '%(audit)s'),
        UNLISTED: _('VM %(server)s is on the host but Nova\'s listing of '
                    'the host leaves it out; it holds %(resources)s'),
        CELL_NOT_ANSWERING: _('consumer %(consumer)s holds %(resources)s '
                              'and Nova cannot say what it is: its cell '
                              'does not answer'),
    }
    return texts[holder.kind] % values


def summary(holder):
    """The dict ``host status`` shows for one holder."""
    return {
        'consumer': holder.consumer,
        'kind': holder.kind,
        'server': holder.server_id,
        'migration': holder.migration and holder.migration.uuid,
        'resources': dict(holder.resources),
        'providers': list(holder.providers),
        'note': describe(holder),
    }
