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

"""Before acting: the VM as it is now, not as it was planned.

A queued move may start hours after its plan, and another drain of the
same host may have moved the VM meanwhile: it is read again, a move under
way is waited for (and, once the VM is off the source, finished and
verified by ``left_source``), a task is let end, and the decision table
is asked again when the VM changed.
"""

import dataclasses

from migrationhelper.cloud import forensics
from migrationhelper.cloud import vocabulary
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import reset_state
from migrationhelper.moving.tasks import waiting
from migrationhelper.planning import decision
from migrationhelper.planning import vm_facts

# Nova sets a live migration's task state before its conductor creates the
# migration record, and a backed-up message bus may keep the request from
# any conductor for minutes. A VM in task "migrating" with no migration
# open is looked at after this long, and reset only if the instance
# action's conductor event shows that the conductor gave up; never while
# Nova may still run the move.
STUCK_GRACE = 300.0


def steps(task):
    """The action to take now, or a base.Result if nothing is left to do.

    :raises LeftSource: the VM is off the source already.
    """
    if task.action == decision.SKIP:
        return base.Result(outcomes.SKIPPED, task.planned.decision.reason)
    planned = task.server
    # The engine may have read it with others starting at once (fresh).
    server = task.server if task.fresh else task.refresh()
    if server.compute_host != task.source:
        raise errors.LeftSource()
    action = task.action
    if (server.status, server.task_state, server.power_state) != (
            planned.status, planned.task_state, planned.power_state):
        action = decide_now(task, server)
    if action == decision.WAIT:
        action = yield from wait_for_task(task)
    return action


def decide_now(task, server):
    """The table's decision for the VM as it is now; the row shows it."""
    planned = task.planned.facts
    # What limits its live move was read with the plan and still holds.
    facts = dataclasses.replace(
        vm_facts.of_server(task.compute, server),
        no_live_move=planned.no_live_move,
        live_interrupts=planned.live_interrupts, no_move=planned.no_move,
        no_evacuation=planned.no_evacuation)
    new = decision.decide(facts,
                          vm_facts.of_host(task.planned.source),
                          task.options.consent.evacuate,
                          task.options.consent.downtime)
    task.action = new.action
    task.note_downtime(new)
    if new.action == decision.SKIP:
        return base.Result(outcomes.SKIPPED, new.reason)
    return new.action


def wait_for_task(task):
    """A move or task already under way: let it end, then decide.

    A VM left in task "migrating" with no migration open is given
    STUCK_GRACE seconds, then reset (as the howto says) only on Nova's
    evidence that its conductor gave up.

    :raises LeftSource: the move under way took the VM off the source.
    """
    task.report(_('waiting for %s to finish') % (
        task.server.task_state or task.server.status))
    # Someone else's task holds no lane of ours.
    task.lane.stand_by()
    stuck_since = None
    said_stuck = False
    while True:
        server = task.refresh()
        if not waiting.busy(server):
            break
        if server.task_state == 'migrating' and not any(
                m.status not in vocabulary.FINAL_MIGRATION_STATUSES
                for m in task.migrations()):
            stuck_since = stuck_since or task.clock()
            if task.clock() - stuck_since >= STUCK_GRACE:
                if forensics.conductor_gave_up(task.compute, server):
                    refused = decision.reset_refused(server.power_state)
                    if refused:
                        task.lane.stop_standing_by()
                        return base.Result(outcomes.SKIPPED, _(
                            'stuck in task migrating, the conductor gave '
                            'up; not reset: %s') % refused)
                    task.expected = decision.STATUS_OF_POWER_STATE[
                        server.power_state]
                    yield from reset_state.steps(task, _(
                        'stuck in task migrating: the conductor gave up'))
                    break
                if not said_stuck:
                    said_stuck = True
                    task.report(_(
                        'in task migrating for %ds with no migration record, '
                        'and no word from the conductor: not reset, Nova may '
                        'still run it') % STUCK_GRACE)
        else:
            stuck_since = None
        yield from task.pause()
    task.lane.stop_standing_by()
    if task.server.compute_host != task.source:
        raise errors.LeftSource()
    action = decide_now(task, task.server)
    if action == decision.WAIT:
        # Cannot happen with the task clear; never loop on it.
        return base.Result(outcomes.FAILED,
                           _('still busy after its task ended'))
    if not isinstance(action, base.Result):
        yield from task.take_lane(base.lane_kind(action))
    return action
