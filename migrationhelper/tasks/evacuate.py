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
From 2.95 on an evacuated VM ends stopped: one that was running is
started again, so that it ends as it was.
"""

from migrationhelper import decision as table
from migrationhelper.i18n import _
from migrationhelper import outcomes
from migrationhelper.tasks import base
from migrationhelper.tasks import waiting


def steps(task):
    was_running = task.server.status == 'ACTIVE' or (
        task.server.status == 'ERROR' and
        task.server.power_state == table.RUNNING)
    known = task.migration_ids()
    task.report(_('evacuating from %s') % task.source)
    yield from task.issue(
        lambda s: waiting.busy(s) or s.compute_host != task.source,
        task.compute.evacuate_server, task.server, host=task.target)
    if not task.options.wait:
        return task.not_waiting()
    yield from task.wait_idle(look_first=False)
    migration = yield from task.migration_end(known)
    server = task.refresh()
    if was_running and server.status == 'SHUTOFF' and \
            server.compute_host != task.source:
        task.report(_('starting it again on %s') % server.compute_host)
        yield from task.issue(
            lambda s: waiting.busy(s) or s.status != 'SHUTOFF',
            task.compute.start_server, task.server)
        yield from task.wait_idle(look_first=False)
    task.verify(task.refresh(), 'ACTIVE' if was_running else 'SHUTOFF',
                migration)
    return base.Result(outcomes.MOVED)
