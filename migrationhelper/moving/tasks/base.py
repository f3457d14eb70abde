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

"""What every move of one VM shares, as nova/conductor/tasks/base.py does.

A task is a generator of waits: its steps (the move kind's module) issue
requests and yield whenever they must wait for Nova; the engine resumes it
when it is due for a poll, through the small interface below (``lane``,
``lane``, ``start``, ``resume``, ``due``, ``next_poll``, ``waiting``,
``interrupt``, ``outcome``).
The steps return the result; the task turns it, or the exception that
ended it, into exactly one :class:`outcomes.Outcome`.
"""

import dataclasses
import typing

from openstack import exceptions as sdk_exceptions

from migrationhelper.cloud import listings
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import hints
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import issuing
from migrationhelper.moving.tasks import lane
from migrationhelper.moving.tasks import reading
from migrationhelper.moving.tasks import waiting
from migrationhelper.planning import decision

LIVE = 'live'
COLD = 'cold'


def lane_kind(action):
    """Which of the engine's limits a move of ``action`` counts against."""
    return LIVE if action in decision.LIVE_MOVES else COLD


@dataclasses.dataclass
class Context:
    """What every task of one run shares."""

    compute: object
    options: object                 # engine.Options
    report: typing.Callable         # (task, text)
    clock: typing.Callable
    sleep: typing.Callable


class Result(typing.NamedTuple):
    """How a task's steps ended."""

    result: str
    message: str = ''


class Task(reading.Reading, waiting.Waiting, issuing.Issuing):
    """One VM's move. ``flow(task)`` is the generator of its steps."""

    def __init__(self, context, planned, flow):
        self.context = context
        self.compute = context.compute
        self.options = context.options
        self.clock = context.clock
        self.planned = planned
        self.server = planned.server
        self.source = (planned.source.host if planned.source
                       else planned.server.compute_host)
        # What is being done; a re-check before acting may change it.
        self.action = planned.decision.action
        # The engine's limit that applies, as planned, and whether the task
        # holds it (lane.Lane).
        self.lane = lane.Lane(lane_kind(self.action), self.source)
        # The anti-affinity groups its downtime counts against: the
        # engine never takes two members of one down at once.
        self.down_groups = (planned.anti_affinity
                            if planned.decision.downtime else frozenset())
        # The placement model's host, unless the operator named one; the
        # scheduler validates either.
        target = context.options.target_host
        self.target = planned.destination or (target.host if target
                                              else None)
        self.target_from_plan = (target is None and
                                 planned.destination is not None)
        self.outcome = None
        self.started = None
        self.deadline = None
        # When a live migration we sent began waiting in nova-compute's
        # queue; None once Nova runs it (its deadline runs from then).
        self.queued_since = None
        # Our running live migration's copy (convergence.Convergence) while
        # it is watched, and why it was stopped if it stalled.
        self.copy = None
        self.copy_read_at = None
        self.stall_note = None
        self.next_poll = 0.0
        self.messages = []
        self.note_downtime(planned.decision)
        # The status the VM must show when it has moved.
        self.expected = None
        # Set while waiting for a poll (on a move, whose record the engine's
        # listing shows), what the listing saw, and the move statuses seen.
        self.waiting = False
        self.waiting_on_move = False
        self.seen = None
        self.move_statuses = {}
        # The VM's migrations as the cycle's shared listing showed them,
        # until the task waits again (None: not listed this cycle).
        self.listed_moves = None
        # Whether self.server was read before the last request we sent.
        self.stale = False
        # Whether self.server was read since the task last waited: then it
        # is Nova's word of now, and a precondition need not read it again.
        self.fresh = False
        # When self.server was last read (reading.read_due).
        self.read_at = None
        # The VM's migrations ({UUID: status}) before this attempt's move was
        # sent; whether Nova took that move from us (not from another
        # actor) in this attempt, and the UUID of its record once seen:
        # only that migration is ours to abort or to call our move.
        self.known = None
        self.own_move = False
        self.claimed = None
        # Whether a listing showed a record of the attempt's move yet.
        self.move_listed = False
        # Our live migration switched to post-copy: it can no longer be
        # aborted, and its copy is no longer watched for stalls.
        self.post_copy = False
        # The migration IDs of the plan's listing, used up by the first move.
        self.planned_migrations = planned.known_migrations
        self._flow = flow
        self._steps = None

    # -- the engine's interface ---------------------------------------------

    def due(self, now):
        return now >= self.next_poll

    def start(self):
        """Begin: run the steps up to their first wait; False when done."""
        self._steps = self._run()
        return self.resume()

    def resume(self, seen=None):
        """Run on to the next wait; False once the outcome is set.

        :param seen: what the engine's listing of this cycle showed of the
            VM (a server, or reading.UNCHANGED) while the task waited.
        """
        if self.waiting:
            self.seen = seen
        try:
            next(self._steps)
        except StopIteration:
            return False
        return True

    def grant_lane(self, now):
        """The engine gives the task a lane again: it is due at once."""
        self.lane.grant()
        self.next_poll = now

    def stop_waiting(self):
        """--no-wait: its move is sent; what Nova does with it goes on."""
        self._finish(Result(outcomes.IN_PROGRESS,
                            _('issued; not waiting (--no-wait)')))

    def interrupt(self, credentials_refused=False):
        """The run stopped: the row of a task that had not ended.

        :param credentials_refused: the cloud stopped accepting the
            credentials, rather than Ctrl-C.
        """
        if self.outcome is not None:
            return
        started = self.started is not None
        if credentials_refused:
            why = (_('the credentials stopped working while it was moving; '
                     'what Nova was doing goes on') if started
                   else _('not started: the credentials stopped working'))
        else:
            why = (_('interrupted while it was moving') if started
                   else _('interrupted before it was started'))
        self.outcome = outcomes.Outcome(
            self.server.id, self.server.name, self.action,
            outcomes.IN_PROGRESS if started else outcomes.SKIPPED,
            self.source, None, self._elapsed(), why)

    # -- the steps, and how they end -----------------------------------------

    def report(self, text):
        self.context.report(self, text)

    def owns(self, migration):
        """Whether ``migration`` is the one this attempt's request made.

        Never one started by anyone else: a claim dies with its attempt,
        and once our record is known, only that record is ours.
        """
        if not self.own_move or self.known is None:
            return False
        if self.claimed is not None:
            return listings.migration_key(migration) == self.claimed
        return listings.is_new(self.known, migration)

    def release_claim(self):
        """The attempt ended: nothing Nova runs for the VM is ours now."""
        self.own_move = False
        self.claimed = None

    def leave_lane(self):
        """The source's part is over: the engine may start the next move."""
        self.lane.leave()

    def _run(self):
        self.started = self.clock()
        self.deadline = self.started + self.options.timeout
        deleted = False
        try:
            ended = yield from self._flow(self)
        except errors.MoveFailed as e:
            ended = Result(outcomes.FAILED, self.explain(str(e)))
        except errors.TimedOut:
            # Out of time again, aborting or forcing at the deadline.
            ended = Result(outcomes.IN_PROGRESS, _(
                '%s; what was sent at the timeout did not end either, it '
                'goes on in Nova') % self.waited())
        except sdk_exceptions.NotFoundException:
            ended = Result(outcomes.SKIPPED,
                           _('deleted while it was being moved'))
            deleted = True
        except (sdk_exceptions.SDKException,) + errors.REQUEST_ERRORS as e:
            if errors.credentials_refused(e):
                raise   # the whole run stops (engine.Engine.run)
            ended = self._unanswered(e)
        self._finish(ended, deleted)

    def _unanswered(self, error):
        """A request that failed past what the guard and issue() absorb.

        Once Nova took our move, what it does goes on: the row says so.
        """
        if not errors.is_transient(error):
            return Result(outcomes.FAILED, self.explain(str(error)))
        if self.own_move:
            return Result(outcomes.IN_PROGRESS, _(
                'Nova did not answer (%s); the move it took goes on')
                % type(error).__name__)
        return Result(outcomes.FAILED, _(
            'Nova did not answer (%s); not moved') % type(error).__name__)

    def _finish(self, ended, deleted=False):
        messages = self.messages + ([ended.message] if ended.message
                                    else [])
        destination = None
        if ended.result in outcomes.OFF_SOURCE and \
                self.server.compute_host != self.source:
            destination = self.server.compute_host
        self.outcome = outcomes.Outcome(
            self.server.id, self.server.name, self.action, ended.result,
            self.source, destination, self._elapsed(), '; '.join(messages),
            settled=deleted)
        self.report('%s%s' % (ended.result, ': ' + ended.message
                              if ended.message else ''))

    def note_downtime(self, decided):
        """Keep on the row the downtime the operator accepted for it."""
        if decided.downtime and decided.reason not in self.messages:
            self.messages.append(decided.reason)

    def _elapsed(self):
        return round(self.clock() - self.started, 1) if self.started else 0.0

    def explain(self, failure):
        hint = hints.hint_for(failure)
        return failure + (_('; hint: %s') % hint if hint else '')

    def timed_out(self):
        """At the deadline of a move that cannot be aborted: leave it."""
        return Result(outcomes.IN_PROGRESS, _(
            '%s; cold migrations and other tasks cannot be aborted, it goes '
            'on in Nova') % self.waited())

    def waited(self):
        return self.stall_note or (
            _('no end after %ds') % self.options.timeout)
