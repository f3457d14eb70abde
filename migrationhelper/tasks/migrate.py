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

"""Live and cold migration share their shape: send, wait, verify, retry.

The howto's "reset the state and retry": a failed attempt is retried up to
``--retries`` times, after resetting the VM to active if the failure left
it in ERROR. The move kind only says which request to send.
"""

from openstack import exceptions as sdk_exceptions

from migrationhelper.i18n import _
from migrationhelper import outcomes
from migrationhelper.tasks import base
from migrationhelper.tasks import confirm_resize
from migrationhelper.tasks import waiting


def with_retries(task, how, send):
    """Migrate until verified or out of attempts.

    :param how: what the progress line calls it ("live-migrating").
    :param send: send(task) sends the request to Nova.
    """
    # Confirmed or reset, the VM now shows the status it must keep.
    task.expected = task.server.status
    attempts = task.options.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            ended = yield from _once(task, how, send)
            return ended or base.Result(outcomes.MOVED)
        except base.MoveFailed as e:
            failure = str(e)
        if attempt == attempts:
            break
        task.messages.append(_('attempt %(n)d failed: %(why)s') % {
            'n': attempt, 'why': failure})
        task.report(_('attempt %(n)d failed, retrying: %(why)s') % {
            'n': attempt, 'why': failure})
        if task.target_from_plan:
            # The plan's host was refused for something the plan cannot see
            # (NUMA, PCI, a filter): let the scheduler choose.
            task.target = None
            task.target_from_plan = False
        server = yield from task.wait_idle()
        if server.status == 'ERROR':
            task.reset_state(_('the failed attempt left it in ERROR'))
    return base.Result(outcomes.FAILED, task.explain(failure))


def _once(task, how, send):
    """One attempt; None once verified, a Result with --no-wait."""
    known = task.migration_ids()

    def moving(server):
        return (waiting.busy(server) or
                server.compute_host != task.source or
                task.new_migration(known) is not None)

    task.report(_('%(how)s to %(where)s') % {
        'how': how, 'where': task.target or _('a host the scheduler picks')})
    try:
        yield from task.issue(moving, send, task)
    except sdk_exceptions.BadRequestException as e:
        # Refused up front (no valid host, a failed pre-check).
        raise base.MoveFailed(e.details or str(e))
    if not task.options.wait:
        return task.not_waiting()
    server = yield from task.wait_idle(look_first=False)
    if server.compute_host != task.source:
        task.leave_lane()
    if server.status == 'VERIFY_RESIZE' and \
            server.compute_host != task.source:
        yield from confirm_resize.steps(task)
    migration = yield from task.migration_end(known)
    # The copy the wait ended on was read after the request, and Nova was
    # done with the VM: no need to read it once more.
    task.verify(task.server, task.expected, migration)
    return None
