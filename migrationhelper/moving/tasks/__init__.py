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

"""One module per move kind, over a small base, as nova/conductor/tasks/.

Every task first re-checks the VM (``recheck``), then runs the steps of
the move it needs now, each attempt from its preconditions
(``preconditions``). A VM found off its source at any point is finished
and verified, never moved again (``left_source``). At its deadline a live
migration is aborted, forced or left (``live_migrate.on_timeout``),
anything else is left to Nova.
"""

from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import cold_migrate
from migrationhelper.moving.tasks import confirm_resize
from migrationhelper.moving.tasks import evacuate
from migrationhelper.moving.tasks import left_source
from migrationhelper.moving.tasks import live_migrate
from migrationhelper.moving.tasks import offload
from migrationhelper.moving.tasks import recheck
from migrationhelper.moving.tasks import reset_state
from migrationhelper.planning import decision


def _confirm_then(move):
    def steps(task):
        yield from confirm_resize.steps(task)
        if task.server.status == 'ERROR':
            return base.Result(outcomes.FAILED, task.explain(_(
                'confirming its resize left it in ERROR: %s') % (
                (task.server.fault or {}).get('message') or
                _('no fault recorded'))))
        return (yield from move(task))
    return steps


def _reset_then(move):
    def steps(task):
        # The status of its guest as the decision read it (running or shut
        # down: the table resets no other): it ends as it was.
        task.expected = decision.STATUS_OF_POWER_STATE.get(
            task.server.power_state)
        yield from reset_state.steps(task, task.planned.decision.reason)
        return (yield from move(task))
    return steps


MOVES = {
    decision.LIVE_MIGRATE: live_migrate.steps,
    decision.COLD_MIGRATE: cold_migrate.steps,
    decision.CONFIRM_THEN_LIVE_MIGRATE: _confirm_then(live_migrate.steps),
    decision.CONFIRM_THEN_COLD_MIGRATE: _confirm_then(cold_migrate.steps),
    decision.RESET_THEN_LIVE_MIGRATE: _reset_then(live_migrate.steps),
    decision.RESET_THEN_COLD_MIGRATE: _reset_then(cold_migrate.steps),
    decision.EVACUATE: evacuate.steps,
    decision.OFFLOAD: offload.steps,
}


def new(context, planned):
    """The task that moves one planned VM."""
    return base.Task(context, planned, _flow)


def _flow(task):
    try:
        try:
            action = yield from recheck.steps(task)
            if isinstance(action, base.Result):
                return action
            return (yield from MOVES[action](task))
        except errors.LeftSource:
            return (yield from left_source.steps(task))
    except errors.TimedOut:
        return (yield from live_migrate.on_timeout(task))
