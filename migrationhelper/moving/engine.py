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

"""The migration engine: schedule the moves, poll them together.

Plain Python over an SDK compute proxy. Each planned VM becomes a task
(``migrationhelper.tasks``), a generator that issues API calls and yields
whenever it must wait for Nova; :class:`Engine` runs many of them in one
thread, starting new ones as Nova's limits allow and resuming each when
it is due for a poll. Nothing is trusted: a task is done when Nova shows
the VM on another host, its task clear, its status the one it had and its
migration record finished.

What runs at once follows Nova, per source host:

- live migrations: ``defaults.LIVE_PER_SOURCE`` (2). nova-compute runs
  them one at a time (``max_concurrent_live_migrations`` defaults to 1);
  one more waits in Nova's queue, ready to start the moment the running
  one ends without waiting for our next poll. Its timeout runs from when
  Nova starts copying it (tasks/waiting.py), not from when it was queued.
- cold migrations, evacuations and offloads: a lane of their own,
  ``defaults.COLD_PER_SOURCE`` (4). Nova runs them side by side with no
  limit, but each copies a disk off the same host: a few at once keep its
  network and disks busy without starving the live migration running
  beside them. On the sandbox, 2 left the third cold migration of a
  6-VM drain waiting a whole copy (1.2-1.6x Nova's floor), and 3 left
  four stopped VMs in two rounds (0.8-0.93x of one at a time); 4 runs
  them at once (0.66-0.74x).

Live migrations are sent first, cold moves as lanes allow beside them.
A move holds its lane only while it uses the source: once Nova shows the
VM on its destination (a cold migration awaiting confirmation, a live
migration done), confirming and verifying it go on beside the next move.
A task waiting for someone else's task on its VM stands by without a lane
and is given one back first when its turn comes.

Hosts drained together progress in parallel; ``--max-parallel`` caps the
total (by default there is no cap beyond the lanes). ``--no-wait`` runs
the same way and ends once every move is sent.
"""

import collections
import dataclasses
import datetime
import time

from migrationhelper.cloud import guard
from migrationhelper.cloud import vocabulary
from migrationhelper import defaults
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.moving import tasks
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import reading
from migrationhelper.moving.tasks import waiting
from migrationhelper.planning import decision

LANE_LIMITS = {base.LIVE: defaults.LIVE_PER_SOURCE,
               base.COLD: defaults.COLD_PER_SOURCE}

# Moves starting at once on one source whose VMs are read in one listing
# of the source rather than a GET each.
READ_TOGETHER_FROM = 3


# Why a run stopped before its end.
INTERRUPTED = 'interrupted'                 # Ctrl-C
CREDENTIALS_REFUSED = 'credentials refused'  # expired, revoked


@dataclasses.dataclass(frozen=True)
class Stop:
    kind: str
    error: Exception | None = None


@dataclasses.dataclass
class Options:
    target_host: object = None      # hosts.ComputeHost, or the scheduler
    retries: int = defaults.DEFAULT_RETRIES
    timeout: float = defaults.DEFAULT_TIMEOUT
    on_timeout: str = defaults.ABORT
    # Seconds without a new low of memory left before a live migration is
    # stalled (convergence.py); 0: never.
    stall_timeout: float = defaults.DEFAULT_STALL_TIMEOUT
    wait: bool = True
    # Moves in flight in all; None: only the lanes limit them.
    max_parallel: int | None = None
    consent: decision.Consent = decision.Consent()


def idle(seconds):
    """Wait between polls.

    A drain spends nearly all its time here, so this is where Ctrl-C lands.
    """
    time.sleep(seconds)


class Engine:
    """Run many moves at once, within Nova's limits and ours."""

    def __init__(self, compute, options, progress=None,
                 clock=time.monotonic, sleep=None):
        """Ready to run moves.

        :param progress: a progress.Progress, or None: told each task's
            events, and the counts before each wait.
        """
        self.options = options
        self.progress = progress
        self.clock = clock
        self.sleep = sleep or idle
        # The commands hand a guarded proxy; anything else is guarded here,
        # on the engine's clock.
        if not isinstance(compute, guard.GuardedProxy):
            compute = guard.GuardedProxy(compute, guard.Guard(
                clock, self.sleep))
        self.compute = compute
        self.context = base.Context(
            compute, options, self._report, clock, self.sleep)
        self.stopped = None         # a Stop, once the run stopped early
        self._tasks, self._pending, self._active = [], [], []

    def _report(self, task, text):
        """A task's event, and the counts it changed, at once."""
        if self.progress is not None:
            self.progress(task, text)
            self.progress.status(self.counts())

    def run(self, planned):
        """Move every planned VM; return the outcomes, in plan order.

        Ctrl-C stops starting and polling moves: what Nova is doing goes
        on in Nova, every VM stays usable where it is, and the outcomes say
        which moves were left in flight (``stopped`` is then set). So do
        credentials the cloud stops accepting (a bare token that expired):
        nothing can be asked of Nova any more.
        """
        self._tasks = [tasks.new(self.context, p) for p in planned]
        # Live migrations first: nova-compute runs them one at a time, so
        # they are the longest chain; cold moves run beside them.
        self._pending = sorted(self._tasks,
                               key=lambda t: t.lane.kind != base.LIVE)
        self._active = []
        if self.progress is not None:
            self.progress.status(self.counts())
        try:
            while self._pending or self._active:
                if self._all_sent():
                    break
                self._start_what_fits()
                for task, seen in self._poll_together():
                    self._resume(task, seen)
                # A lane freed in this cycle is used now, not after a sleep.
                self._start_what_fits()
                if self._active:
                    if self.progress is not None:
                        self.progress.status(self.counts())
                    # Tasks waiting for a lane are due only when granted.
                    wake = min(min(t.next_poll for t in self._active),
                               self.clock() + waiting.MAX_POLL_INTERVAL)
                    self.sleep(max(0.0, wake - self.clock()))
            for task in self._active:
                task.stop_waiting()
        except KeyboardInterrupt:
            self._stop(Stop(INTERRUPTED))
        except errors.REQUEST_ERRORS + errors.AUTH_ERRORS as e:
            if not errors.credentials_refused(e):
                raise
            self._stop(Stop(CREDENTIALS_REFUSED, e))
        return [t.outcome for t in self._tasks]

    def _all_sent(self):
        """--no-wait: every move is sent, within the lanes; the run ends."""
        return not self.options.wait and not self._pending and all(
            t.own_move for t in self._active)

    def _stop(self, stop):
        self.stopped = stop
        for task in self._tasks:
            task.interrupt(stop.kind == CREDENTIALS_REFUSED)

    def counts(self):
        """VMs moved, skipped, failed, in flight and not started yet.

        Each VM in exactly one count: a task counts by its outcome as soon
        as it has one.
        """
        results = [t.outcome.result for t in self._tasks if t.outcome]
        return {
            'moved': results.count(outcomes.MOVED),
            'skipped': results.count(outcomes.SKIPPED),
            'failed': sum(r not in (outcomes.MOVED, outcomes.SKIPPED)
                          for r in results),
            'in flight': sum(t.outcome is None for t in self._active),
            'left': len(self._pending),
        }

    def _start_what_fits(self):
        """Give lanes back to tasks that stood by, then start new tasks.

        A task standing by while someone else's task runs holds no lane
        and is not counted in flight.
        """
        in_lane = collections.Counter(t.lane.key for t in self._active
                                      if t.lane.holds)
        in_flight = sum(t.lane.in_flight for t in self._active)
        # Anti-affinity groups with a member going down now.
        down = set().union(*(t.down_groups for t in self._active
                             if t.lane.holds))

        def fits(task, in_lane, in_flight):
            if self.options.max_parallel is not None and \
                    in_flight >= self.options.max_parallel:
                return False
            if task.down_groups & down:
                return False
            return in_lane[task.lane.key] < LANE_LIMITS[task.lane.kind]
        for task in [t for t in self._active if t.lane.wants]:
            if fits(task, in_lane, in_flight):
                task.grant_lane(self.clock())
                in_lane[task.lane.key] += 1
                in_flight += 1
                down.update(task.down_groups)
        lanes, flying, starting = collections.Counter(in_lane), in_flight, []
        for task in self._pending:
            if fits(task, lanes, flying):
                starting.append(task)
                lanes[task.lane.key] += 1
                flying += 1
        self._read_together(starting)
        for task in list(self._pending):
            if not fits(task, in_lane, in_flight):
                continue
            self._pending.remove(task)
            self._active.append(task)
            if not task.start():
                self._active.remove(task)
                continue
            if task.lane.holds:
                in_lane[task.lane.key] += 1
                down.update(task.down_groups)
            if not task.lane.standing_by:
                in_flight += 1

    def _read_together(self, starting):
        """One listing of a source for the moves starting there at once.

        Each task's first step reads its VM; tasks starting together on
        one source read them in one listing of the source's servers
        instead of a GET each. A VM the listing leaves out (it left the
        host, or is gone) is read on its own by its task. The plan's read
        is never taken for it: however recent, another actor may have
        moved the VM since.
        """
        by_source = collections.defaultdict(list)
        for task in starting:
            by_source[task.source].append(task)
        for source, group in by_source.items():
            if len(group) < READ_TOGETHER_FROM:
                continue
            try:
                servers = self.compute.servers(
                    details=True, all_projects=True, compute_host=source)
            except errors.REQUEST_ERRORS:
                continue
            listed = {server.id: server for server in servers}
            for task in group:
                task.read_with_others(listed.get(task.server.id))

    def _resume(self, task, seen):
        if not task.resume(seen):
            self._active.remove(task)

    def _poll_together(self):
        """The tasks to resume now, with what the cycle's listing saw.

        Tasks waiting on a move share one migration listing per source host
        (``os-migrations?host=...&changes-since=...``, which matches a
        move's source or destination). Nova records each step of a move in
        its migration record, and ends the move on the VM only once the
        record reached its last status: while the VM's newest record is
        between steps, the VM has not moved on and the task needs no GET
        (reading.UNCHANGED); once it is over, the task reads the VM. A
        listing is the poll of every move it shows: each task it shows
        resumes, so that the moves of a host are polled together, and a
        new step resumes its task at once. What this costs grows with the
        moves in flight, never with what else changes in the cloud. Other
        waits read their VM when due.
        """
        now = self.clock()
        due = [t for t in self._active if t.due(now)]
        listed = self._list_moves(due)
        resume = []
        for task in self._active:
            seen, news = None, False
            if task.waits_on_move() and task.source in listed:
                news, seen = task.look_at_moves(
                    listed[task.source].get(task.server.id, []))
            if task in due or news or seen is reading.UNCHANGED:
                resume.append((task, seen))
        return resume

    def _list_moves(self, due):
        """{host: {server ID: migrations changed}} for the moves waited on.

        Listed when a task waiting on a move is due; a host whose listing
        fails is left out (its tasks read their VMs, through the guard).
        """
        if not any(t.waits_on_move() for t in due):
            return {}
        movers = {}
        for task in self._active:
            if task.waits_on_move() and task.source:
                movers.setdefault(task.source, []).append(task)
        listed = {}
        for host, group in movers.items():
            since = oldest_update(t.server for t in group)
            if since is None:
                continue
            try:
                migrations = self.compute.migrations(
                    host=host,
                    changes_since=since.strftime(vocabulary.TIME_FORMAT))
            except errors.REQUEST_ERRORS:
                continue
            by_server = listed[host] = {}
            for migration in migrations:
                by_server.setdefault(migration.server_id, []).append(
                    migration)
        return listed


def after_the_moves(verify, rows, warn):
    """``verify(rows)``: Nova's last word on the rows, if Nova answers.

    The moves are over: if the cloud no longer answers, or no longer
    accepts the credentials, or Ctrl-C comes during the check, the rows
    stay as the moves ended and the run says so, rather than losing the
    table.

    :returns: (rows, a Stop or None).
    """
    try:
        return verify(rows), None
    except KeyboardInterrupt:
        return rows, Stop(INTERRUPTED)
    except errors.REQUEST_ERRORS + errors.AUTH_ERRORS as e:
        if errors.credentials_refused(e):
            return rows, Stop(CREDENTIALS_REFUSED, e)
        warn(_('Nova did not answer the last check of the moves (%s): the '
               'rows are as the moves ended.') % type(e).__name__)
        return rows, None


def oldest_update(servers):
    """The oldest ``updated`` time of the servers, less a second of slack.

    Servers changed since then include every one whose copy is stale, with
    times all taken from Nova's clock, never ours.
    """
    times = []
    for server in servers:
        try:
            times.append(datetime.datetime.strptime(
                server.updated_at, vocabulary.TIME_FORMAT))
        except (TypeError, ValueError):
            return None
    return min(times) - datetime.timedelta(seconds=1) if times else None
