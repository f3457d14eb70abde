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

"""The VM is off the source: finish what moved it, verify, never move it.

Whoever moved it (this task, another drain, an operator, its owner), the
VM is read back from Nova: a resize awaiting confirmation is confirmed (a
refusal because someone confirmed first is success), the move's migration
record is waited for, and the row says what Nova shows. A VM that left
but is not as it should be (ERROR on its destination after a failed
confirmation, another status than it had) is ``left-unhealthy``: the host
is empty of it, and the operator must look at it where it is.
"""

from migrationhelper.cloud import forensics
from migrationhelper.cloud import vocabulary
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import confirm_resize
from migrationhelper.planning import decision

# How long a resize that someone else's move left awaiting confirmation is
# left to them: a drain or an operator confirms within seconds.
MOVER_CONFIRM_GRACE = 30.0


def steps(task):
    """The VM left the source (seen before an attempt): wait, then judge."""
    server = yield from task.wait_move()
    if server.status == 'SHELVED_OFFLOADED':
        return base.Result(outcomes.MOVED, _('offloaded by another request'))
    return (yield from finish(task, {} if task.known is None
                              else task.known))


def finish(task, known):
    """Confirm a pending resize, wait for the move's record, judge.

    :param known: migration IDs from before the move (empty: the VM's
        newest migration from the source is the one that moved it).
    """
    if task.expected is None:
        planned = task.planned.server
        task.expected = decision.status_to_keep(
            planned.status, planned.power_state) or (
            'ACTIVE' if task.server.power_state == decision.RUNNING
            else 'SHUTOFF')
    if task.server.status == 'VERIFY_RESIZE' and not task.own_move and \
            task.planned.server.status != 'VERIFY_RESIZE':
        yield from _let_the_mover_confirm(task)
    if task.server.status == 'VERIFY_RESIZE':
        yield from confirm_resize.steps(task)
    migration = yield from task.migration_end(known)
    # The VM as read since the task last waited (before the record showed
    # the move closed, after which Nova leaves the VM be) is Nova's word.
    return judge(task, task.server if task.fresh and not task.stale
                 else task.refresh(), migration)


def _let_the_mover_confirm(task):
    """Someone else's cold migration: its mover confirms it, if alive.

    Two confirmations sent at once both pass nova-api's check, and the
    second fails on the source host, leaving the VM in ERROR: the mover
    (another drain, an operator) is given MOVER_CONFIRM_GRACE seconds
    first. A resize left awaiting confirmation before this run began is
    nobody's to wait for.
    """
    task.report(_('waiting for the request that moved it to confirm it'))
    until = task.clock() + MOVER_CONFIRM_GRACE
    while task.server.status == 'VERIFY_RESIZE' and task.clock() < until:
        yield from task.pause()
        task.refresh()


def judge(task, server, migration):
    """The row of a VM off its source, in Nova's own words."""
    ours = task.own_move
    problems = []
    if server.status != task.expected:
        problems.append(_('it is %(now)s, it was %(was)s') % {
            'now': server.status, 'was': task.expected})
    if migration is None:
        if ours:
            problems.append(_('Nova recorded no migration'))
    elif migration.status not in vocabulary.SUCCESSFUL_MIGRATION_STATUSES:
        problems.append(_('%(type)s %(id)s ended %(status)s') % {
            'type': migration.migration_type, 'id': migration.id,
            'status': migration.status})
    if not problems:
        return base.Result(outcomes.MOVED, '' if ours else _(
            'moved by another request'))
    fault = (server.fault or {}).get('message')
    if fault:
        problems.append(_('fault: %s') % fault)
    if not ours and server.status != 'ERROR' and migration is not None \
            and migration.status in vocabulary.SUCCESSFUL_MIGRATION_STATUSES:
        # Another actor's move: its status is theirs to choose.
        return base.Result(outcomes.MOVED, _(
            'moved by another request; it is %s') % server.status)
    return base.Result(outcomes.LEFT_UNHEALTHY, _(
        'off %(source)s, but not as it should be on %(host)s: %(problems)s; '
        '%(todo)s') % {
        'source': task.source, 'host': server.compute_host,
        'problems': '; '.join(problems), 'todo': _todo(server)})


def _todo(server):
    if server.status == 'ERROR':
        return _('check it on its host, then reset its state to active '
                 '(openstack server set --state active %s)') % server.id
    return _('check it with its owner')


def check_left(task, known):
    """After a move's wait: raise MoveFailed if the VM is still on the source.

    Nova may show it idle on the source a moment before the move ends (an
    evacuation, a live migration's last step): its migration record tells
    whether the move failed or is only finishing.
    """
    if task.server.compute_host != task.source:
        return task.server
    migration = yield from task.migration_end(known)
    server = task.refresh()
    if server.compute_host == task.source:
        why = failed_on_source(migration, server, task.source)
        if migration is None or migration.status not in \
                vocabulary.SUCCESSFUL_MIGRATION_STATUSES:
            said = forensics.failed_request(task.compute, server)
            if said:
                why += '; ' + said
        raise errors.MoveFailed(why)
    return server


def failed_on_source(migration, server, source):
    """Why a move left the VM on its source (for MoveFailed)."""
    problems = [_('still on %s') % source]
    if migration is None:
        problems.append(_('Nova recorded no migration'))
    elif migration.status not in vocabulary.SUCCESSFUL_MIGRATION_STATUSES:
        problems.append(_('%(type)s %(id)s ended %(status)s') % {
            'type': migration.migration_type, 'id': migration.id,
            'status': migration.status})
    fault = (server.fault or {}).get('message')
    if fault:
        problems.append(_('fault: %s') % fault)
    return '; '.join(problems)
