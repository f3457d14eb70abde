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

"""Live and cold migration share their shape: check, send, wait, judge.

The howto's "reset the state and retry": a failed attempt is retried up to
``--retries`` times. Every attempt starts from its preconditions, read
from Nova (``preconditions.check``): a VM that left the source meanwhile
is finished and verified, never sent a second move; an ERROR VM is reset
only when Nova's records show that the failed move put it there, and in
the power state it had. The move kind only says which request to send.
"""

from migrationhelper.cloud import forensics
from migrationhelper.cloud import vocabulary
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import convergence
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import left_source
from migrationhelper.moving.tasks import preconditions
from migrationhelper.moving.tasks import reset_state
from migrationhelper.moving.tasks import waiting
from migrationhelper.planning import decision


def with_retries(task, how, send, statuses, queued=False):
    """Migrate until judged or out of attempts.

    :param how: what the progress line calls it ("live-migrating").
    :param send: send(task) sends the request to Nova.
    :param statuses: the statuses the move may be sent in.
    :param queued: the move may wait in nova-compute's queue first (live
        migrations); its deadline then runs from when Nova starts it.
    """
    # The status the VM must end in: the one it had before anything
    # failed (set already when a reset or a confirmation came first).
    if task.expected is None:
        task.expected = task.server.status
    attempts = task.options.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            return (yield from _once(task, how, send, statuses, queued))
        except errors.MoveFailed as e:
            failure = str(e)
            # Nova ended that attempt's move: whatever runs for the VM from
            # now on is someone else's until the next attempt sends ours.
            task.release_claim()
        if attempt == attempts:
            break
        retry_after(task, attempt, failure)
        refused = yield from _recover(task)
        if refused is not None:
            return refused
    return base.Result(outcomes.FAILED, task.explain(failure))


def retry_after(task, attempt, failure):
    """Say that an attempt failed; the next one is the scheduler's choice."""
    task.messages.append(_('attempt %(n)d failed: %(why)s') % {
        'n': attempt, 'why': failure})
    task.report(_('attempt %(n)d failed, retrying: %(why)s') % {
        'n': attempt, 'why': failure})
    if task.target_from_plan:
        # The plan's host was refused for something the plan cannot see
        # (NUMA, PCI, a filter): let the scheduler choose.
        task.target = None
        task.target_from_plan = False


def _recover(task):
    """After a failed attempt: the VM back in a state to move, or a Result.

    :raises LeftSource: the failure happened after the VM left.
    """
    server = yield from task.wait_move()
    if server.compute_host != task.source:
        raise errors.LeftSource()
    if server.status != 'ERROR':
        return None
    refused = decision.reset_refused(server.power_state)
    if refused:
        return base.Result(outcomes.FAILED, _(
            'the failed move left it in ERROR, not reset: %s') % refused)
    why = forensics.failed_move(task.compute, server,
                                task.new_migration(task.known or {}))
    if why is None:
        return base.Result(outcomes.FAILED, task.explain(_(
            'ERROR, and Nova does not record that the move put it there: '
            'not reset; fault: %s') % (
            (server.fault or {}).get('message') or _('none recorded'))))
    yield from reset_state.steps(task, why)
    return None


def _once(task, how, send, statuses, queued):
    """One attempt; its Result once judged."""
    yield from preconditions.check(task, statuses)
    known = task.migration_ids()

    def moving(server):
        if waiting.busy(server) or server.compute_host != task.source:
            return True
        migration = task.new_migration(known)
        if migration is not None and \
                migration.status in vocabulary.FAILED_MIGRATION_STATUSES:
            raise errors.MoveFailed(left_source.failed_on_source(
                migration, server, task.source))
        return migration is not None

    task.report(_('%(how)s to %(where)s') % {
        'how': how, 'where': task.target or _('a host the scheduler picks')})
    task.own_move = yield from task.issue(moving, send, task)
    if queued and task.own_move:
        task.queued_since = task.clock()
        task.copy = convergence.Convergence(task.options.stall_timeout)
    yield from task.wait_move(look_first=False)
    if task.post_copy:
        task.messages.append(_('finished in post-copy'))
    # The move is over: what is left (confirming, judging) gets a deadline
    # of its own.
    task.queued_since = None
    task.copy = None
    task.deadline = task.clock() + task.options.timeout
    yield from left_source.check_left(task, known)
    task.leave_lane()
    return (yield from left_source.finish(task, known))
