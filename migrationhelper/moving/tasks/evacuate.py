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

"""``nova evacuate`` from a dead, fenced host, power state restored.

Nova finds out itself whether the storage is shared (API 2.14 and later).
From 2.95 on an evacuated VM ends stopped, except one in ERROR, which
Nova rebuilds running whatever it was: a VM that was running is started
again, one that was not is stopped again, so that it ends as it was.
"""

from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import left_source
from migrationhelper.moving.tasks import migration_attempts
from migrationhelper.moving.tasks import preconditions
from migrationhelper.moving.tasks import waiting
from migrationhelper.planning import decision


def steps(task):
    """Evacuate until judged or out of attempts (``--retries``).

    A failed evacuation leaves the VM on its dead host (in ERROR, as a
    rule): it is evacuated again, never reset, and restored to the power
    state it had before the first attempt.
    """
    was_running = None
    attempts = task.options.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            server = yield from preconditions.check(
                task, decision.EVACUABLE_STATUSES)
            if was_running is None:
                was_running = server.status == 'ACTIVE' or (
                    server.status == 'ERROR' and
                    server.power_state == decision.RUNNING)
                task.expected = 'ACTIVE' if was_running else 'SHUTOFF'
            return (yield from _once(task, was_running))
        except errors.MoveFailed as e:
            failure = str(e)
            task.release_claim()
        if attempt == attempts:
            break
        migration_attempts.retry_after(task, attempt, failure)
        server = yield from task.wait_move()
        if server.compute_host != task.source:
            raise errors.LeftSource()
    return base.Result(outcomes.FAILED, task.explain(failure))


def _once(task, was_running):
    known = task.migration_ids()
    task.report(_('evacuating from %s') % task.source)
    task.own_move = yield from task.issue(
        lambda s: waiting.busy(s) or s.compute_host != task.source,
        task.compute.evacuate_server, task.server, host=task.target)
    yield from task.wait_move(look_first=False)
    server = yield from left_source.check_left(task, known)
    if task.own_move and server.status in ('ACTIVE', 'SHUTOFF') and \
            server.status != task.expected:
        yield from _power_as_it_was(task, was_running)
    return (yield from left_source.finish(task, known))


def _power_as_it_was(task, was_running):
    if was_running:
        task.report(_('starting it again on %s') % task.server.compute_host)
        call, back = task.compute.start_server, 'ACTIVE'
    else:
        task.report(_('stopping it again on %s') % task.server.compute_host)
        call, back = task.compute.stop_server, 'SHUTOFF'
    yield from task.issue(lambda s: waiting.busy(s) or s.status == back,
                          call, task.server)
    yield from task.wait_idle(look_first=False)
