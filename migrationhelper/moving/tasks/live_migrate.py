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

"""``nova live-migration``, and what to do when it does not end.

Block migration ``auto``, so that shared and local storage both work (the
howto's note 2), to the model's host, which the scheduler validates. At
the timeout a live migration is aborted (the VM stays running on its
source), forced to complete (paused for the last copy) or left running,
as ``--on-timeout`` says.
"""

from migrationhelper.cloud import sdk_compat
from migrationhelper import defaults
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import left_source
from migrationhelper.moving.tasks import migration_attempts
from migrationhelper.planning import decision
from migrationhelper.planning import live_moves


# What Nova live-migrates (compute/api.py: ACTIVE, PAUSED).
STATUSES = frozenset(('ACTIVE', 'PAUSED'))


def steps(task):
    return (yield from migration_attempts.with_retries(
        task, _('live-migrating'), _send, STATUSES, queued=True))


def _send(task):
    return sdk_compat.live_migrate_server(
        task.compute, task.server, task.target)


def on_timeout(task):
    """The deadline passed, or the copy stalled: abort, force or leave."""
    task.copy = None
    task.refresh()
    if task.action not in decision.LIVE_MOVES or \
            task.server.status != 'MIGRATING':
        return task.timed_out()
    if task.post_copy:
        return base.Result(outcomes.IN_PROGRESS, _(
            '%s; in post-copy, which cannot be aborted: it goes on in Nova')
            % task.waited())
    if task.options.on_timeout == defaults.LEAVE:
        return base.Result(outcomes.IN_PROGRESS, _(
            '%s; left running (--on-timeout leave)') % task.waited())
    migration = task.running_migration()
    if migration is not None and not task.owns(migration):
        # Another drain's or an operator's: theirs to abort or force.
        return base.Result(outcomes.IN_PROGRESS, _(
            '%(waited)s; migration %(id)s was not started by this run, left '
            'running') % {'waited': task.waited(), 'id': migration.id})
    # The abort or force gets a deadline of its own, queued or not.
    task.queued_since = None
    task.deadline = task.clock() + max(task.options.timeout,
                                       defaults.MIN_TIMEOUT_AFTER_ABORT)
    if task.options.on_timeout == defaults.FORCE_COMPLETE:
        refused = _never_forced(task)
        if refused is None:
            return (yield from _force_complete(task))
        task.messages.append(_('not forced to complete: %s') % refused)
    return (yield from _abort(task, migration))


def _never_forced(task):
    """Why the VM's live migration must not be forced, or None."""
    planned = task.planned.server
    if decision.PAUSED in (planned.power_state, task.server.power_state) or \
            'PAUSED' in (planned.status, task.expected):
        # libvirt resumes the guest when a forced completion fails, and
        # post-copy runs it on the destination: the owner's pause is lost.
        return _('its guest is paused, and forcing it could leave it '
                 'running: aborted instead')
    # Post-copy with VFIO devices is refused by QEMU, and a pause cannot
    # copy a device's state: never forced.
    return live_moves.passthrough_devices(task.server.flavor)


def _abort(task, migration):
    task.report(_('%s: aborting the live migration') % task.waited())
    if migration is not None:
        try:
            task.compute.abort_server_migration(migration, task.server)
        except errors.REQUEST_ERRORS as e:
            # Refused past the point of no return (post-migrating), or no
            # answer: never sent twice, the VM is followed to its end and
            # the row says where Nova left it.
            if not (errors.is_refusal(e) or errors.is_transient(e)):
                raise
            task.report(_('the abort got %(answer)s: following the '
                          'migration to its end') % {
                'answer': e.details if errors.is_refusal(e) and
                getattr(e, 'details', None) else type(e).__name__})
    server = yield from task.wait_move()
    if server.compute_host != task.source:
        task.messages.append(_('%s; it finished before the abort')
                             % task.waited())
        return (yield from left_source.finish(task, task.known or {}))
    return base.Result(outcomes.FAILED, _(
        '%(waited)s; aborted, the VM is still %(status)s on %(host)s') % {
        'waited': task.waited(), 'status': server.status,
        'host': task.source})


def _force_complete(task):
    task.report(_('%s: forcing the live migration to complete')
                % task.waited())
    while True:
        migration = task.running_migration()
        if migration is None or not task.owns(migration):
            # Ours ended; what runs now is someone else's.
            break
        try:
            task.compute.force_complete_server_migration(migration,
                                                         task.server)
            break
        except errors.REQUEST_ERRORS as e:
            # Not running yet (queued or preparing): Nova says 400 or 409
            # until it is. No answer: look again; forcing twice is
            # harmless. Either way, try again at the next poll.
            if not (errors.is_refusal(e) or errors.is_transient(e)):
                raise
            yield from task.pause()
    server = yield from task.wait_move()
    task.messages.append(_('%s; forced to complete') % task.waited())
    if server.compute_host != task.source and \
            server.status == task.expected:
        return base.Result(outcomes.MOVED)
    return base.Result(outcomes.FAILED, task.explain(_(
        'still %(status)s on %(host)s after forcing completion') % {
        'status': server.status, 'host': task.server.compute_host}))
