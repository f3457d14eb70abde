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

"""The migration engine: carry each VM's move through, then verify it.

Plain Python over an SDK compute proxy. Every planned VM becomes a
:class:`Move`, a generator that issues API calls and yields whenever it has
to wait for Nova; :class:`Engine` runs many of them in one thread, starting
new ones as limits allow and polling each when it is due. Nothing is
trusted: a move is done when Nova reports the VM on another host, its task
clear, its status the one it had and its migration record finished.
"""

import collections
import dataclasses
import datetime
import time

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

from migrationhelper import cloud
from migrationhelper import decision as table
from migrationhelper import defaults
from migrationhelper import hints
from migrationhelper.i18n import _

MOVED = 'moved'
SKIPPED = 'skipped'
FAILED = 'failed'
PLANNED = 'planned'
IN_PROGRESS = 'in-progress'

# The Destination of a planned move whose host the scheduler will pick.
SCHEDULER = 'scheduler'


# Polls start fast (most moves of small VMs end in seconds) and slow down
# as a move goes on, so a long migration costs few requests.
MIN_POLL_INTERVAL = 0.25
MAX_POLL_INTERVAL = 5.0

LIVE_MOVES = frozenset((
    table.LIVE_MIGRATE, table.CONFIRM_THEN_LIVE_MIGRATE,
    table.RESET_THEN_LIVE_MIGRATE,
))
COLD_MOVES = frozenset((
    table.COLD_MIGRATE, table.CONFIRM_THEN_COLD_MIGRATE,
    table.RESET_THEN_COLD_MIGRATE,
))
SUCCESSFUL_MIGRATION_STATUSES = frozenset(('completed', 'confirmed', 'done'))

# Live migrations in flight per source host: the one nova-compute runs and
# one queued behind it (see Engine).
LIVE_PER_SOURCE = 2

# Nova sets a live migration's task state before its conductor creates the
# migration record; only a task with no open migration for this long is
# taken for one whose conductor or compute died.
STUCK_GRACE = 10.0


@dataclasses.dataclass
class Options:
    target_host: object = None      # hosts.ComputeHost, or the scheduler
    retries: int = defaults.DEFAULT_RETRIES
    timeout: float = defaults.DEFAULT_TIMEOUT
    on_timeout: str = defaults.ABORT
    wait: bool = True
    max_parallel: int = defaults.DEFAULT_MAX_PARALLEL
    # The operator confirmed hosts that are down are fenced (--evacuate).
    allow_evacuate: bool = False


@dataclasses.dataclass
class Outcome:
    """One row of the result table."""

    server_id: str
    name: str
    action: str
    result: str
    source: str | None
    destination: str | None = None
    duration: float = 0.0
    message: str = ''
    # Deleted by its owner while it was being moved: not left behind.
    deleted: bool = False


class _MoveFailed(Exception):
    """One attempt failed; the message says how, for the operator."""


class _TimedOut(Exception):
    pass


def planned_outcomes(planned, options):
    """The dry run: what would be done, with nothing changed."""
    outcomes = []
    for p in planned:
        source = p.source.host if p.source else p.server.compute_host
        skipped = p.decision.action == table.SKIP
        outcomes.append(Outcome(
            p.server.id, p.server.name, p.decision.action,
            SKIPPED if skipped else PLANNED, source,
            None if skipped else _destination(p, options), 0.0,
            p.decision.reason))
    return outcomes


def _destination(planned, options):
    """Where a planned move goes: the model's host, or the scheduler's.

    A VM waiting for a task, or a move that needs no room, has no host
    chosen for it: the scheduler will pick one when it moves.
    """
    if planned.destination:
        return planned.destination
    if options.target_host is not None:
        return options.target_host.host
    return SCHEDULER


# What a request to Nova may raise; is_transient() tells which of these
# are a restarting nova-api (502-504 from its proxy, or no connection).
REQUEST_ERRORS = (sdk_exceptions.HttpException,
                  ks_exceptions.ConnectionError)
TRANSIENT_STATUS_CODES = frozenset((502, 503, 504))
READ_RETRY_SECONDS = 300


def is_transient(error):
    if isinstance(error, ks_exceptions.ConnectionError):
        return True
    return getattr(error, 'status_code', None) in TRANSIENT_STATUS_CODES


# What a poll listing says of a VM that did not change since the last look.
UNCHANGED = object()


def _is_busy_refusal(error):
    """Nova refused because the VM is busy with another task.

    That is a 409; two requests racing for the same VM may also get a 500
    carrying UnexpectedTaskStateError from nova-api.
    """
    if isinstance(error, sdk_exceptions.ConflictException):
        return True
    return getattr(error, 'status_code', None) == 500 and \
        'UnexpectedTaskState' in (getattr(error, 'details', None) or
                                  str(error))


def _alive(server):
    """The server, unless Nova shows it deleted (admins may still see it)."""
    if server.status == 'DELETED':
        raise sdk_exceptions.NotFoundException(
            _('server %s was deleted') % server.id)
    return server


def _oldest_update(servers):
    """The oldest ``updated`` time of the servers, less a second of slack.

    Servers changed since then include every one whose copy is stale, with
    times all taken from Nova's clock, never ours.
    """
    times = []
    for server in servers:
        try:
            times.append(datetime.datetime.strptime(
                server.updated_at, '%Y-%m-%dT%H:%M:%SZ'))
        except (TypeError, ValueError):
            return None
    return min(times) - datetime.timedelta(seconds=1) if times else None


def idle(seconds):
    """Wait between polls.

    A drain spends nearly all its time here, so this is where Ctrl-C lands.
    """
    time.sleep(seconds)


def poll_interval(elapsed):
    return min(MAX_POLL_INTERVAL, max(MIN_POLL_INTERVAL, elapsed / 10.0))


class Move:
    """One VM's move, as a generator of waits.

    ``run()`` yields each time it must wait for Nova; the engine resumes it
    when it is due for a poll. It ends by setting :attr:`outcome`.
    """

    def __init__(self, compute, planned, options, report, clock):
        self.compute = compute
        self.planned = planned
        self.options = options
        self.report = report
        self.clock = clock
        self.server = planned.server
        self.source = (planned.source.host if planned.source
                       else planned.server.compute_host)
        self.action = planned.decision.action
        self.outcome = None
        self.started = None
        self.deadline = None
        self.next_poll = 0.0
        self.messages = []
        self.expected = None
        self.generator = None
        # Set by the engine: waiting for a poll, and what the poll saw.
        self.waiting = False
        self.seen = None
        # Whether self.server was read before the last request we sent.
        self.stale = False
        # The placement model's host, unless the operator named one; the
        # scheduler validates either.
        self.target = planned.destination or (
            options.target_host.host if options.target_host else None)
        self.target_from_plan = (options.target_host is None and
                                 planned.destination is not None)

    # -- what the engine needs to know ---------------------------------------

    @property
    def is_live(self):
        return self.action in LIVE_MOVES

    def due(self, now):
        return now >= self.next_poll

    def _schedule_poll(self):
        now = self.clock()
        self.next_poll = now + poll_interval(now - self.started)

    # -- reading Nova --------------------------------------------------------

    def _read(self, call):
        """A GET, retried with backoff while the API is unavailable.

        A nova-api restart answers 503 or drops connections for a while;
        reads are safe to repeat, so they are, for up to READ_RETRY_SECONDS.
        """
        delay = 0.5
        give_up = self.clock() + READ_RETRY_SECONDS
        while True:
            try:
                return call()
            except REQUEST_ERRORS as e:
                if not is_transient(e) or self.clock() >= give_up:
                    raise
                self.report(self, _('compute API unavailable (%(error)s), '
                                    'reading again in %(delay).1fs') % {
                    'error': type(e).__name__, 'delay': delay})
                idle(delay)
                delay = min(delay * 2, 10.0)

    def refresh(self):
        self.server = _alive(self._read(
            lambda: self.compute.get_server(self.server.id)))
        self.stale = False
        return self.server

    def _migrations(self):
        return self._read(lambda: list(
            self.compute.migrations(server_id=self.server.id)))

    def _busy(self, server):
        return bool(server.task_state) or server.status in table.BUSY_STATUSES

    def _wait_until(self, done, look_first=True):
        """Poll until ``done(server)``; raise _TimedOut at the deadline.

        The first look is a GET, unless ``look_first`` is false (right after
        a request, when the answer is known to be "not yet"); later looks
        use the engine's listing of the cycle when there was one (see
        Engine._poll_together).
        """
        server = self.refresh() if look_first else None
        while True:
            if server is not None and done(server):
                return server
            if self.clock() >= self.deadline:
                raise _TimedOut()
            self._schedule_poll()
            self.waiting = True
            try:
                yield
            finally:
                self.waiting = False
            server = self._polled()

    def _wait_idle(self, look_first=True):
        return (yield from self._wait_until(lambda s: not self._busy(s),
                                            look_first))

    def _polled(self):
        """The VM as this cycle's listing shows it, else as a GET does."""
        seen, self.seen = self.seen, None
        if seen is None:
            return self.refresh()
        if seen is UNCHANGED:
            # Unchanged since our copy, unless our copy predates a request.
            return self.refresh() if self.stale else self.server
        self.server = _alive(seen)
        self.stale = False
        return seen

    def _migration_ids(self):
        return {m.id for m in self._migrations()}

    def _new_migration(self, known):
        new = [m for m in self._migrations() if m.id not in known]
        return max(new, key=lambda m: m.created_at or '') if new else None

    def _migration_end(self, known):
        """The move's migration record once Nova has closed it.

        Nova clears the task state and moves the VM before it marks the
        migration completed; reading it too early would see "running".
        """
        while True:
            migration = self._new_migration(known)
            if migration is None or \
                    migration.status in cloud.FINAL_MIGRATION_STATUSES:
                return migration
            if self.clock() >= self.deadline:
                raise _TimedOut()
            self._schedule_poll()
            yield

    # -- the flow ------------------------------------------------------------

    def run(self):
        self.started = self.clock()
        self.deadline = self.started + self.options.timeout
        try:
            yield from self._run()
        except _TimedOut:
            yield from self._on_timeout()
        except _MoveFailed as e:
            self._finish(FAILED, self._explain(str(e)))
        except sdk_exceptions.NotFoundException:
            self._finish(SKIPPED, _('deleted while it was being moved'))
            self.outcome.deleted = True
        except sdk_exceptions.SDKException as e:
            self._finish(FAILED, self._explain(str(e)))

    def _run(self):
        action = self.action
        if action == table.SKIP:
            self._finish(SKIPPED, self.planned.decision.reason)
            return
        # A queued move may start hours after its plan, and another drain
        # of the same host may have moved the VM meanwhile: read it again.
        planned = self.server
        server = self.refresh()
        if server.status == 'VERIFY_RESIZE' and \
                server.compute_host != self.source:
            yield from self._complete_pending_resize()
            return
        if server.compute_host != self.source:
            yield from self._wait_idle()
            yield from self._check_move_under_way(set())
            return
        if (server.status, server.task_state) != (planned.status,
                                                  planned.task_state):
            action = self._decide_now(server)
            if action is None:
                return
        if action == table.WAIT:
            action = yield from self._wait_for_task()
            if action is None:
                return
        if action in (table.CONFIRM_THEN_LIVE_MIGRATE,
                      table.CONFIRM_THEN_COLD_MIGRATE):
            yield from self._confirm_resize()
        if action in (table.RESET_THEN_LIVE_MIGRATE,
                      table.RESET_THEN_COLD_MIGRATE):
            self._reset_state(self.planned.decision.reason)
        if action == table.OFFLOAD:
            yield from self._offload()
            return
        if action == table.EVACUATE:
            yield from self._evacuate()
            return
        # Confirmed or reset, the VM now shows the status it must keep.
        self.expected = self.server.status
        yield from self._migrate_with_retries(live=action in LIVE_MOVES)

    def _complete_pending_resize(self):
        """A cold migration from the source awaits confirmation elsewhere.

        That is where an interrupted drain leaves it: confirm, verify.
        """
        migrations = self._migrations()
        known = {m.id for m in migrations if m.status != 'finished'}
        self.expected = ('ACTIVE' if self.server.power_state == table.RUNNING
                         else 'SHUTOFF')
        yield from self._confirm_resize()
        migration = yield from self._migration_end(known)
        self._verify(self.refresh(), self.expected, migration)
        self._finish(MOVED, _('confirmed a resize left awaiting '
                              'confirmation'))

    def _wait_for_task(self):
        """A move or task already under way: let it end, then decide.

        A VM left in task "migrating" with no migration open (its conductor
        or compute died mid-move) never gets there: once that has lasted
        STUCK_GRACE seconds its state is reset, as the howto says.
        """
        self.report(self, _('waiting for %s to finish') % (
            self.server.task_state or self.server.status))
        finished = None
        stuck_since = None
        while True:
            server = self.refresh()
            if not self._busy(server):
                break
            migrations = self._migrations()
            closed = {m.id for m in migrations
                      if m.status in cloud.FINAL_MIGRATION_STATUSES}
            if finished is None:
                finished = closed
            if server.task_state == 'migrating' and \
                    len(closed) == len(migrations):
                stuck_since = stuck_since or self.clock()
                if self.clock() - stuck_since >= STUCK_GRACE:
                    self._reset_state(_('stuck in task migrating with no '
                                        'migration running'))
                    server = self.server
                    break
            else:
                stuck_since = None
            if self.clock() >= self.deadline:
                raise _TimedOut()
            self._schedule_poll()
            yield
        if server.compute_host != self.source:
            yield from self._check_move_under_way(finished or set())
            return None
        action = self._decide_now(server)
        if action == table.WAIT:
            # Cannot happen with the task clear; never loop on it.
            self._finish(FAILED, _('still busy after its task ended'))
            return None
        return action

    def _decide_now(self, server):
        """The table's decision for the VM as it is now; None if skipped."""
        new = table.decide(cloud.server_facts(self.compute, server),
                           cloud.host_facts(self.planned.source),
                           self.options.allow_evacuate)
        if new.action == table.SKIP:
            self._finish(SKIPPED, new.reason)
            return None
        self.action = new.action
        return new.action

    def _check_move_under_way(self, finished):
        """Someone else's move took the VM away: verify it all the same."""
        if self.server.status == 'SHELVED_OFFLOADED':
            self._finish(MOVED, _('offloaded by another request'))
            return
        if self.server.status == 'VERIFY_RESIZE':
            # A cold migration's last step is ours to take.
            yield from self._complete_pending_resize()
            return
        migration = yield from self._migration_end(finished)
        server = self.refresh()
        if migration is not None and \
                migration.status not in SUCCESSFUL_MIGRATION_STATUSES:
            self._finish(FAILED, self._explain(_(
                'the move under way, %(type)s %(id)s, ended %(status)s') % {
                'type': migration.migration_type, 'id': migration.id,
                'status': migration.status}))
        elif server.status in ('ERROR', 'VERIFY_RESIZE'):
            self._finish(FAILED, _(
                'the move under way left it %s') % server.status)
        else:
            self._finish(MOVED, _('moved by a move already under way'))

    def _confirm_resize(self):
        self.report(self, _('confirming the resize on %s')
                    % self.server.compute_host)
        yield from self._issue(
            self._confirm_sent, self.compute.confirm_server_resize,
            self.server)
        yield from self._wait_until(
            lambda s: s.status != 'VERIFY_RESIZE' and not self._busy(s),
            look_first=False)

    def _confirm_sent(self, server):
        """Whether Nova took the confirmation (it runs asynchronously)."""
        if server.status != 'VERIFY_RESIZE':
            return True
        newest = cloud.latest_migrations(self._migrations()).get(server.id)
        return newest is not None and newest.status in (
            'confirming', 'confirmed')

    def _reset_state(self, why):
        self.report(self, _('resetting state to active (%s)') % why)
        self.compute.reset_server_state(self.server, 'active')
        self.messages.append(_('state reset to active: %s') % why)
        self.refresh()

    def _issue(self, issued, call, *args, **kwargs):
        """Send a request that changes the VM, once.

        A 409 because the VM is busy means wait, then send it again unless
        ``issued(vm)`` shows someone else did the same meanwhile; a 409 on
        an idle VM is a real refusal (wrong state) and fails. When the
        answer is lost (503, dropped connection), Nova may or may not have
        acted: the VM is read again (through the outage) and ``issued(vm)``
        says whether it did, before anything is sent twice.
        """
        while True:
            try:
                self.stale = True
                return call(*args, **kwargs)
            except REQUEST_ERRORS as e:
                if _is_busy_refusal(e):
                    self.report(self, _('busy, waiting: %s') % (
                        e.details or type(e).__name__))
                    if not self._busy(self.refresh()):
                        raise _MoveFailed(e.details or str(e))
                    server = yield from self._wait_idle()
                    if issued(server):
                        # Another drain of this host did it meanwhile.
                        return None
                    continue
                if not is_transient(e):
                    raise
                self.report(self, _('no answer (%s): looking at the VM '
                                    'before sending it again')
                            % type(e).__name__)
                if issued(self.refresh()):
                    return None
                self._schedule_poll()
                yield

    # -- live and cold migration, retried ------------------------------------

    def _migrate_with_retries(self, live):
        attempts = self.options.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                yield from self._migrate_once(live)
                # Verified, or issued and left alone with --no-wait.
                self._finish(MOVED)
                return
            except _MoveFailed as e:
                failure = str(e)
            if attempt == attempts:
                break
            self.messages.append(_('attempt %(n)d failed: %(why)s') % {
                'n': attempt, 'why': failure})
            self.report(self, _('attempt %(n)d failed, retrying: %(why)s')
                        % {'n': attempt, 'why': failure})
            if self.target_from_plan:
                # The plan's host was refused for something the plan cannot
                # see (NUMA, PCI, a filter): let the scheduler choose.
                self.target = None
                self.target_from_plan = False
            yield from self._prepare_retry()
        self._finish(FAILED, self._explain(failure))

    def _prepare_retry(self):
        server = yield from self._wait_idle()
        if server.status == 'ERROR':
            self._reset_state(_('the failed attempt left it in ERROR'))

    def _migrate_once(self, live):
        known = self._migration_ids()
        target = self.target

        def moving(server):
            return (self._busy(server) or server.compute_host != self.source or
                    self._new_migration(known) is not None)

        self.report(self, _('%(how)s to %(where)s') % {
            'how': _('live-migrating') if live else _('cold-migrating'),
            'where': target or _('a host the scheduler picks')})
        try:
            if live:
                yield from self._issue(
                    moving, self.compute.live_migrate_server, self.server,
                    host=target, block_migration='auto')
            else:
                yield from self._issue(
                    moving, self.compute.migrate_server, self.server,
                    host=target)
        except sdk_exceptions.BadRequestException as e:
            # Refused up front (no valid host, a failed pre-check).
            raise _MoveFailed(e.details or str(e))
        if not self.options.wait:
            self._finish(IN_PROGRESS, _('issued; not waiting (--no-wait)'))
            return
        server = yield from self._wait_idle(look_first=False)
        if server.status == 'VERIFY_RESIZE' and \
                server.compute_host != self.source:
            yield from self._confirm_resize()
        migration = yield from self._migration_end(known)
        self._verify(self.refresh(), self.expected, migration)

    def _verify(self, server, expected, migration):
        problems = []
        if server.compute_host == self.source:
            problems.append(_('still on %s') % self.source)
        if server.status != expected:
            problems.append(_('status %(now)s, expected %(want)s') % {
                'now': server.status, 'want': expected})
        if migration is None:
            problems.append(_('Nova recorded no migration'))
        elif migration.status not in SUCCESSFUL_MIGRATION_STATUSES:
            problems.append(_('%(type)s %(id)s ended %(status)s') % {
                'type': migration.migration_type, 'id': migration.id,
                'status': migration.status})
        if problems:
            fault = (server.fault or {}).get('message')
            if fault:
                problems.append(_('fault: %s') % fault)
            raise _MoveFailed('; '.join(problems))

    # -- evacuation and offloading -------------------------------------------

    def _evacuate(self):
        was_running = self.server.status == 'ACTIVE' or (
            self.server.status == 'ERROR' and
            self.server.power_state == table.RUNNING)
        known = self._migration_ids()
        target = self.target
        self.report(self, _('evacuating from %s') % self.source)
        yield from self._issue(
            lambda s: self._busy(s) or s.compute_host != self.source,
            self.compute.evacuate_server, self.server, host=target)
        if not self.options.wait:
            self._finish(IN_PROGRESS, _('issued; not waiting (--no-wait)'))
            return
        yield from self._wait_idle(look_first=False)
        migration = yield from self._migration_end(known)
        server = self.refresh()
        if was_running and server.status == 'SHUTOFF' and \
                server.compute_host != self.source:
            # Nova 2.95+ leaves evacuated VMs stopped: give back its power.
            self.report(self, _('starting it again on %s')
                        % server.compute_host)
            yield from self._issue(
                lambda s: self._busy(s) or s.status != 'SHUTOFF',
                self.compute.start_server, self.server)
            yield from self._wait_idle(look_first=False)
        expected = 'ACTIVE' if was_running else 'SHUTOFF'
        try:
            self._verify(self.refresh(), expected, migration)
        except _MoveFailed as e:
            self._finish(FAILED, self._explain(str(e)))
            return
        self._finish(MOVED)

    def _offload(self):
        self.report(self, _('offloading the shelved VM'))
        yield from self._issue(
            lambda s: self._busy(s) or s.status != 'SHELVED',
            self.compute.shelve_offload_server, self.server)
        if not self.options.wait:
            self._finish(IN_PROGRESS, _('issued; not waiting (--no-wait)'))
            return
        # Nova shows SHELVED_OFFLOADED a moment before it drops the host.
        server = yield from self._wait_until(
            lambda s: not self._busy(s) and not (
                s.status == 'SHELVED_OFFLOADED' and s.compute_host),
            look_first=False)
        if server.status == 'SHELVED_OFFLOADED':
            self._finish(MOVED, _('offloaded: it has no host until it is '
                                  'unshelved'))
        else:
            self._finish(FAILED, self._explain(
                _('status %s after offloading') % server.status))

    # -- timeouts ------------------------------------------------------------

    def _on_timeout(self):
        waited = _('no end after %ds') % self.options.timeout
        self.refresh()
        if not self.is_live or self.server.status != 'MIGRATING':
            self._finish(IN_PROGRESS, _(
                '%s; cold migrations and other tasks cannot be aborted, '
                'it goes on in Nova') % waited)
            return
        if self.options.on_timeout == defaults.LEAVE:
            self._finish(IN_PROGRESS, _('%s; left running (--on-timeout '
                                        'leave)') % waited)
            return
        if self.options.on_timeout == defaults.FORCE_COMPLETE:
            yield from self._force_complete(waited)
        else:
            yield from self._abort(waited)

    def _running_migration(self):
        migrations = list(self.compute.server_migrations(self.server))
        return migrations[0] if migrations else None

    def _abort(self, waited):
        self.report(self, _('%s: aborting the live migration') % waited)
        self.deadline = self.clock() + self.options.timeout
        migration = self._running_migration()
        if migration is not None:
            self.compute.abort_server_migration(migration, self.server)
        server = yield from self._wait_idle()
        if server.compute_host != self.source:
            # It finished before the abort reached it.
            self._finish(MOVED, _('%s, but it finished before the abort')
                         % waited)
            return
        self._finish(FAILED, _(
            '%(waited)s; aborted, the VM is still %(status)s on %(host)s') % {
            'waited': waited, 'status': server.status, 'host': self.source})

    def _force_complete(self, waited):
        self.report(self, _('%s: forcing the live migration to complete')
                    % waited)
        self.deadline = self.clock() + self.options.timeout
        while True:
            migration = self._running_migration()
            if migration is None:
                break
            try:
                self.compute.force_complete_server_migration(
                    migration, self.server)
                break
            except (sdk_exceptions.ConflictException,
                    sdk_exceptions.BadRequestException):
                # Not running yet (queued or preparing): Nova says 400 or
                # 409 until it is; try again at the next poll.
                if self.clock() >= self.deadline:
                    raise
                self._schedule_poll()
                yield
        server = yield from self._wait_idle()
        self.messages.append(_('%s; forced to complete') % waited)
        if server.compute_host != self.source and \
                server.status == self.expected:
            self._finish(MOVED)
        else:
            self._finish(FAILED, self._explain(
                _('still %(status)s on %(host)s after forcing completion')
                % {'status': server.status, 'host': server.compute_host}))

    # -- results -------------------------------------------------------------

    def _explain(self, failure):
        hint = hints.hint_for(failure)
        return failure + (_('; hint: %s') % hint if hint else '')

    def _finish(self, result, message=''):
        if self.outcome is not None:
            return
        messages = self.messages + ([message] if message else [])
        destination = None
        if result in (MOVED, IN_PROGRESS):
            destination = self.server.compute_host
        self.outcome = Outcome(
            self.server.id, self.server.name, self.planned.decision.action,
            result, self.source, destination,
            round(self.clock() - self.started, 1) if self.started else 0.0,
            '; '.join(messages))
        self.report(self, '%s%s' % (result, ': ' + message if message
                                    else ''))


class Engine:
    """Run many moves at once, within Nova's limits and ours.

    At most ``max_parallel`` moves are in flight, and at most
    LIVE_PER_SOURCE live migrations per source host: nova-compute runs them
    one at a time (``max_concurrent_live_migrations`` defaults to 1), so
    one more waits in Nova's queue, ready to start the moment the running
    one ends, without waiting for our next poll; queueing more would only
    start their timeouts early.
    """

    def __init__(self, compute, options, report=None, clock=time.monotonic,
                 sleep=None):
        self.compute = compute
        self.options = options
        self.report = report or (lambda move, text: None)
        self.clock = clock
        self.sleep = sleep or idle
        self.interrupted = False
        self._moves, self._pending, self._active = [], [], []

    def run(self, planned):
        """Move every planned VM; return the outcomes, in plan order.

        Ctrl-C stops starting and polling moves: what Nova is doing goes
        on in Nova, every VM stays usable where it is, and the outcomes say
        which moves were left in flight (``interrupted`` is then set).
        """
        moves = [Move(self.compute, p, self.options, self.report, self.clock)
                 for p in planned]
        pending = list(moves)
        active = []
        self._moves, self._pending, self._active = moves, pending, active
        try:
            while pending or active:
                self._start_what_fits(pending, active)
                for move in self._poll_together(active):
                    self._step(move, active)
                if active:
                    wake = min(m.next_poll for m in active)
                    self.sleep(max(0.0, wake - self.clock()))
        except KeyboardInterrupt:
            self.interrupted = True
            for move in moves:
                if move.outcome is None:
                    move.outcome = Outcome(
                        move.server.id, move.server.name, move.action,
                        IN_PROGRESS if move.started else SKIPPED,
                        move.source, None,
                        round(self.clock() - move.started, 1)
                        if move.started else 0.0,
                        _('interrupted while it was moving') if move.started
                        else _('interrupted before it was started'))
        return [m.outcome for m in moves]

    def _poll_together(self, active):
        """The moves to resume now, polled with one listing for all.

        Moves waiting on Nova are polled by one server listing per cycle
        (the servers changed since the oldest copy any of them holds), not
        one GET each, so that polling does not cost more with more moves in
        flight. A move whose VM changed is resumed at once, even if it was
        not due yet: the listing cost nothing more.
        """
        now = self.clock()
        due = [m for m in active if m.due(now)]
        waiting = [m for m in active if m.waiting]
        since = _oldest_update(m.server for m in waiting)
        if len(waiting) < 2 or since is None or not any(
                m.waiting for m in due):
            return due
        try:
            changed = {s.id: s for s in self.compute.servers(
                details=True, all_projects=True,
                changes_since=since.strftime('%Y-%m-%dT%H:%M:%SZ'))}
        except REQUEST_ERRORS:
            return due    # each move reads (and retries) on its own
        resume = due + [m for m in waiting
                        if m not in due and m.server.id in changed]
        for move in resume:
            if move.waiting:
                move.seen = changed.get(move.server.id, UNCHANGED)
        return resume

    def counts(self):
        """Moves done, failed, in flight and not started yet."""
        results = [m.outcome.result for m in self._moves if m.outcome]
        return {
            'done': sum(r in (MOVED, SKIPPED) for r in results),
            'failed': results.count(FAILED),
            'in flight': len(self._active),
            'left': len(self._pending),
        }

    def _start_what_fits(self, pending, active):
        live_from = collections.Counter(m.source for m in active
                                        if m.is_live)
        for move in list(pending):
            if len(active) >= self.options.max_parallel:
                return
            if move.is_live and live_from[move.source] >= LIVE_PER_SOURCE:
                continue
            pending.remove(move)
            move.generator = move.run()
            active.append(move)
            if move.is_live:
                live_from[move.source] += 1
            self._step(move, active)

    def _step(self, move, active):
        try:
            next(move.generator)
        except StopIteration:
            active.remove(move)
            if move.outcome is None:
                move._finish(FAILED, _('ended without a result'))
