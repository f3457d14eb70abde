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
way is waited for and verified, a task is let end, and the decision table
is asked again when the VM changed.
"""

from migrationhelper import cloud
from migrationhelper import decision as table
from migrationhelper.i18n import _
from migrationhelper import outcomes
from migrationhelper.tasks import base
from migrationhelper.tasks import confirm_resize
from migrationhelper.tasks import waiting

# Nova sets a live migration's task state before its conductor creates the
# migration record; only a task with no open migration for this long is
# taken for one whose conductor or compute died.
STUCK_GRACE = 10.0


def steps(task):
    """The action to take now, or a base.Result if nothing is left to do."""
    if task.action == table.SKIP:
        return base.Result(outcomes.SKIPPED, task.planned.decision.reason)
    planned = task.server
    server = task.refresh()
    if server.status == 'VERIFY_RESIZE' and \
            server.compute_host != task.source:
        return (yield from confirm_resize.complete_pending(task))
    if server.compute_host != task.source:
        yield from task.wait_idle()
        return (yield from move_under_way(task, set()))
    action = task.action
    if (server.status, server.task_state) != (planned.status,
                                              planned.task_state):
        action = decide_now(task, server)
    if action == table.WAIT:
        action = yield from wait_for_task(task)
    return action


def decide_now(task, server):
    """The table's decision for the VM as it is now; the row shows it."""
    facts = task.read(lambda: cloud.server_facts(task.compute, server))
    new = table.decide(facts,
                       cloud.host_facts(task.planned.source),
                       task.options.allow_evacuate)
    task.action = new.action
    if new.action == table.SKIP:
        return base.Result(outcomes.SKIPPED, new.reason)
    return new.action


def wait_for_task(task):
    """A move or task already under way: let it end, then decide.

    A VM left in task "migrating" with no migration open (its conductor or
    compute died mid-move) never gets there: once that has lasted
    STUCK_GRACE seconds its state is reset, as the howto says.
    """
    task.report(_('waiting for %s to finish') % (
        task.server.task_state or task.server.status))
    finished = None
    stuck_since = None
    while True:
        server = task.refresh()
        if not waiting.busy(server):
            break
        migrations = task.migrations()
        closed = {m.id for m in migrations
                  if m.status in cloud.FINAL_MIGRATION_STATUSES}
        if finished is None:
            finished = closed
        if server.task_state == 'migrating' and \
                len(closed) == len(migrations):
            stuck_since = stuck_since or task.clock()
            if task.clock() - stuck_since >= STUCK_GRACE:
                task.reset_state(_('stuck in task migrating with no '
                                   'migration running'))
                server = task.server
                break
        else:
            stuck_since = None
        yield from task.pause()
    if server.compute_host != task.source:
        return (yield from move_under_way(task, finished or set()))
    action = decide_now(task, server)
    if action == table.WAIT:
        # Cannot happen with the task clear; never loop on it.
        return base.Result(outcomes.FAILED,
                           _('still busy after its task ended'))
    return action


def move_under_way(task, finished):
    """Someone else's move took the VM away: verify it all the same."""
    if task.server.status == 'SHELVED_OFFLOADED':
        return base.Result(outcomes.MOVED, _('offloaded by another request'))
    if task.server.status == 'VERIFY_RESIZE':
        # A cold migration's last step is ours to take.
        return (yield from confirm_resize.complete_pending(task))
    migration = yield from task.migration_end(finished)
    server = task.refresh()
    if migration is not None and \
            migration.status not in base.SUCCESSFUL_MIGRATION_STATUSES:
        return base.Result(outcomes.FAILED, task.explain(_(
            'the move under way, %(type)s %(id)s, ended %(status)s') % {
            'type': migration.migration_type, 'id': migration.id,
            'status': migration.status}))
    if server.status in ('ERROR', 'VERIFY_RESIZE'):
        return base.Result(outcomes.FAILED, _(
            'the move under way left it %s') % server.status)
    return base.Result(outcomes.MOVED, _('moved by a move already under way'))
