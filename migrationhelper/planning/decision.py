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

"""The decision table: what moving a VM off its host takes.

One pure function, :func:`decide`, shared by every command. It reads only
the facts it is given (no API calls), so it can be read against the howto
and tested on its own.
"""

import dataclasses
import typing

from migrationhelper.i18n import _

LIVE_MIGRATE = 'live-migrate'
COLD_MIGRATE = 'cold-migrate'
CONFIRM_THEN_LIVE_MIGRATE = 'confirm-resize+live-migrate'
CONFIRM_THEN_COLD_MIGRATE = 'confirm-resize+cold-migrate'
RESET_THEN_LIVE_MIGRATE = 'reset-state+live-migrate'
RESET_THEN_COLD_MIGRATE = 'reset-state+cold-migrate'
EVACUATE = 'evacuate'
OFFLOAD = 'offload'
WAIT = 'wait'
SKIP = 'skip'

ACTIONS = (
    LIVE_MIGRATE, COLD_MIGRATE,
    CONFIRM_THEN_LIVE_MIGRATE, CONFIRM_THEN_COLD_MIGRATE,
    RESET_THEN_LIVE_MIGRATE, RESET_THEN_COLD_MIGRATE,
    EVACUATE, OFFLOAD, WAIT, SKIP,
)

# How the VM travels: live (nova-compute runs these one at a time per
# source host) or cold (disk copies, which run side by side).
LIVE_MOVES = frozenset((
    LIVE_MIGRATE, CONFIRM_THEN_LIVE_MIGRATE, RESET_THEN_LIVE_MIGRATE,
))
COLD_MOVES = frozenset((
    COLD_MIGRATE, CONFIRM_THEN_COLD_MIGRATE, RESET_THEN_COLD_MIGRATE,
))

# Moves that take room on another host (a scheduler decision).
NEEDS_ROOM = LIVE_MOVES | COLD_MOVES | {EVACUATE}
# The cold move that replaces a live one the VM cannot take.
COLD_INSTEAD = {
    LIVE_MIGRATE: COLD_MIGRATE,
    CONFIRM_THEN_LIVE_MIGRATE: CONFIRM_THEN_COLD_MIGRATE,
    RESET_THEN_LIVE_MIGRATE: RESET_THEN_COLD_MIGRATE,
}

# Nova's power_state codes (nova/compute/power_state.py): the guest as its
# hypervisor reports it, which the status alone does not say (an ERROR VM
# may hold a running, paused or stopped guest).
NOSTATE = 0
RUNNING = 1
PAUSED = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED = 7
POWER_STATE_NAMES = {
    NOSTATE: 'NOSTATE',
    RUNNING: 'Running',
    PAUSED: 'Paused',
    SHUTDOWN: 'Shutdown',
    CRASHED: 'Crashed',
    SUSPENDED: 'Suspended',
}

# The status an idle VM shows with its guest in this power state: what a
# move must leave it in. A reset (os-resetState) can only say ACTIVE or
# ERROR, so only running and shut-down guests can be reset and moved on:
# ACTIVE over a paused or suspended guest hides it from its owner, who
# can then neither unpause nor resume it.
STATUS_OF_POWER_STATE = {
    RUNNING: 'ACTIVE',
    PAUSED: 'PAUSED',
    SHUTDOWN: 'SHUTOFF',
    SUSPENDED: 'SUSPENDED',
}
RESETTABLE_POWER_STATES = frozenset((RUNNING, SHUTDOWN))

# API statuses that mean Nova is already doing something with the VM, even
# when the task state has been cleared by a racing update.
BUSY_STATUSES = frozenset((
    'BUILD', 'MIGRATING', 'RESIZE', 'REVERT_RESIZE', 'REBUILD', 'REBOOT',
    'HARD_REBOOT', 'PASSWORD',
))


def busy(server):
    """Whether Nova is doing something with the VM (a task, a status)."""
    return bool(server.task_state) or server.status in BUSY_STATUSES


# What nova's evacuate accepts (compute/api.py: ACTIVE, STOPPED, ERROR).
EVACUABLE_STATUSES = frozenset(('ACTIVE', 'SHUTOFF', 'ERROR'))

# What the operator has to do before a VM in these statuses can move.
BLOCKING_STATUSES = {
    'SUSPENDED': 'suspended: it must be resumed before it can move',
    'RESCUE': 'in rescue mode: it must be unrescued before it can move',
    'SOFT_DELETED': 'soft-deleted: restore or force-delete it',
    'SHELVED_OFFLOADED': 'shelved and offloaded: it has no host',
    'UNKNOWN': 'in an unknown state: its host does not report it',
}


@dataclasses.dataclass(frozen=True)
class ServerFacts:
    """What Nova reports about one VM, as far as the table needs it."""

    status: str
    task_state: str | None = None
    power_state: int | None = None
    project_id: str | None = None
    user_id: str | None = None
    # The project's name, where the identity API gave it.
    project_name: str | None = None
    fault: str | None = None
    # A description of the migration that put an ERROR VM in ERROR, or None
    # when its last move (if any) did not fail.
    failed_migration: str | None = None
    # Why it cannot move live (live_moves.Limit), or why a live move cuts
    # its network.
    no_live_move: str | None = None
    live_interrupts: str | None = None
    # Why Nova refuses any migration of it (live or cold), and why it
    # refuses (or may refuse) its evacuation.
    no_move: str | None = None
    no_evacuation: str | None = None

    @property
    def is_running(self):
        return self.power_state == RUNNING

    @property
    def owner(self):
        return 'owner: project %s, user %s' % (
            self.project_name or self.project_id or '-', self.user_id or '-')


@dataclasses.dataclass(frozen=True)
class HostFacts:
    """The state of the nova-compute service the VM runs on."""

    is_up: bool = True
    forced_down: bool = False


class Decision(typing.NamedTuple):
    action: str
    reason: str = ''
    # The operator accepted downtime for this move (--allow-downtime): the
    # reason says which, and stays on the VM's row.
    downtime: bool = False


@dataclasses.dataclass(frozen=True)
class Consent:
    """What the operator allowed, carried once from the command line.

    To every decision: the plan's, and each task's when it decides again.
    """

    # Hosts that are down are fenced (--evacuate).
    evacuate: bool = False
    # Downtime for VMs that cannot move live cleanly (--allow-downtime).
    downtime: bool = False


def decide(server, host, allow_evacuate=False, allow_downtime=False):
    """Return the :class:`Decision` for one VM on one host.

    :param server: :class:`ServerFacts` of the VM.
    :param host: :class:`HostFacts` of its nova-compute service.
    :param allow_evacuate: the operator confirmed that a host whose service
        is down but not forced down is fenced (``--evacuate``).
    :param allow_downtime: the operator accepts downtime for VMs that
        cannot move live cleanly (``--allow-downtime``).
    """
    if not host.is_up:
        chosen = _decide_on_dead_host(server, host, allow_evacuate)
        if chosen.action == EVACUATE and server.no_evacuation:
            return Decision(SKIP, _('cannot be evacuated: %(why)s; '
                                    '%(owner)s') % {
                'why': server.no_evacuation, 'owner': server.owner})
        return chosen
    chosen = _decide_on_live_host(server)
    if chosen.action in LIVE_MOVES | COLD_MOVES and server.no_move:
        # --allow-downtime cannot help: never suggested.
        return Decision(SKIP, _('cannot be migrated: %(why)s; %(owner)s') % {
            'why': server.no_move, 'owner': server.owner})
    if chosen.action in LIVE_MOVES:
        return _live_or_instead(chosen, server, allow_downtime)
    return chosen


def _decide_on_live_host(server):
    status = server.status
    if server.task_state or status in BUSY_STATUSES:
        return Decision(WAIT, 'task in progress: %s' % (
            server.task_state or status.lower()))
    if status == 'ACTIVE':
        return Decision(LIVE_MIGRATE)
    if status == 'PAUSED':
        # The howto predates Nova allowing this; the VM stays paused.
        return Decision(LIVE_MIGRATE, 'paused: moved live, stays paused')
    if status == 'SHUTOFF':
        return Decision(COLD_MIGRATE)
    if status == 'VERIFY_RESIZE':
        if server.is_running:
            return Decision(CONFIRM_THEN_LIVE_MIGRATE,
                            'a resize awaits confirmation')
        return Decision(CONFIRM_THEN_COLD_MIGRATE,
                        'a resize awaits confirmation')
    if status == 'SHELVED':
        return Decision(OFFLOAD, 'shelved: offloading frees the host')
    if status == 'ERROR':
        if server.failed_migration:
            refused = reset_refused(server.power_state)
            if refused:
                return Decision(SKIP, _('%(failed)s, not reset: %(why)s; '
                                        '%(owner)s') % {
                    'failed': server.failed_migration, 'why': refused,
                    'owner': server.owner})
            action = (RESET_THEN_LIVE_MIGRATE if server.is_running
                      else RESET_THEN_COLD_MIGRATE)
            return Decision(action, server.failed_migration)
        return Decision(SKIP, 'error: %s; %s' % (
            server.fault or 'no fault recorded', server.owner))
    why = BLOCKING_STATUSES.get(
        status, 'status %s cannot be migrated' % status)
    return Decision(SKIP, '%s; %s' % (why, server.owner))


def status_to_keep(status, power_state):
    """The status a VM must show once moved, as its owner left it.

    Its own status when it is idle in one a move keeps; otherwise (ERROR,
    a task left half-way) the one its guest's power state shows, or None
    when the power state says nothing.
    """
    if status in ('ACTIVE', 'SHUTOFF', 'PAUSED'):
        return status
    return STATUS_OF_POWER_STATE.get(power_state)


def reset_refused(power_state):
    """Why a VM whose guest is in ``power_state`` is never reset, or None.

    A reset says ACTIVE (or ERROR), and the move after it keeps what the
    reset says: only a running guest (moved live) and a shut-down one
    (moved cold, stopped again first) end as their owner left them.
    """
    if power_state in RESETTABLE_POWER_STATES:
        return None
    name = POWER_STATE_NAMES.get(power_state, power_state)
    if power_state in (PAUSED, SUSPENDED):
        why = _('its guest is %s, and a reset to active would hide that '
                'from its owner, who could then neither unpause nor resume '
                'it') % str(name).lower()
    else:
        why = _('its guest\'s power state is %s, which says nothing of '
                'what it runs: not guessed at') % name
    return why + _('; by hand: agree with its owner, bring the guest on '
                   'its host to running or shut down, reset it (openstack '
                   'server set --state active <server>) and run this again')


def _live_or_instead(chosen, server, allow_downtime):
    """A live move, unless the VM cannot take one cleanly.

    Without the operator's consent to downtime such a VM is skipped; with
    it, it moves cold (stopped while its disk is copied, started again on
    the new host) or, when only its network is cut, live.
    """
    why = server.no_live_move or server.live_interrupts
    if not why:
        return chosen
    if not allow_downtime:
        instead = (_('cold, shut down while it moves') if
                   server.no_live_move else _('live, its network cut'))
        return Decision(SKIP, _(
            'cannot move live without downtime: %(why)s; '
            '--allow-downtime moves it %(instead)s; %(owner)s') % {
            'why': why, 'instead': instead, 'owner': server.owner})
    if not server.no_live_move:
        return Decision(chosen.action, '; '.join(
            r for r in (chosen.reason, why) if r), downtime=True)
    if server.status == 'PAUSED':
        return Decision(SKIP, _(
            'paused, and it cannot move live (%(why)s): unpause it to move '
            'it cold; %(owner)s') % {'why': why, 'owner': server.owner})
    return Decision(COLD_INSTEAD[chosen.action], '; '.join(r for r in (
        chosen.reason, _('cannot move live (%s): moved cold, shut down '
                         'while it moves') % why) if r), downtime=True)


def _decide_on_dead_host(server, host, allow_evacuate):
    if not (host.forced_down or allow_evacuate):
        return Decision(SKIP, (
            'nova-compute on the host is down but not forced down: fence '
            'the host and force its service down (or use --evacuate on the '
            'commands that act)'))
    if server.task_state:
        return Decision(SKIP, (
            'task %s cannot finish on a down host: reset the state of the '
            'VM, then evacuate it; %s' % (server.task_state, server.owner)))
    if server.status not in EVACUABLE_STATUSES:
        return Decision(SKIP, 'status %s cannot be evacuated; %s' % (
            server.status, server.owner))
    if host.forced_down:
        return Decision(EVACUATE, 'host is down and forced down')
    return Decision(EVACUATE, 'host is down; evacuation confirmed')
