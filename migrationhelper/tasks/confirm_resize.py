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

"""Confirming a resize: the last step of every cold migration.

The howto confirms through the dashboard; Nova's confirmation runs in the
background, so it is sent once and waited for.
"""

from migrationhelper import cloud
from migrationhelper import decision as table
from migrationhelper.i18n import _
from migrationhelper import outcomes
from migrationhelper.tasks import base
from migrationhelper.tasks import waiting


def steps(task):
    """Confirm the VM's resize and wait until Nova is done with it."""
    task.report(_('confirming the resize on %s') % task.server.compute_host)
    yield from task.issue(lambda server: _sent(task, server),
                          task.compute.confirm_server_resize, task.server)
    yield from task.wait_until(
        lambda s: s.status != 'VERIFY_RESIZE' and not waiting.busy(s),
        look_first=False)


def complete_pending(task):
    """A cold migration from the source awaits confirmation elsewhere.

    That is where an interrupted drain leaves it: confirm, verify.
    """
    known = {m.id for m in task.migrations() if m.status != 'finished'}
    task.expected = ('ACTIVE' if task.server.power_state == table.RUNNING
                     else 'SHUTOFF')
    yield from steps(task)
    migration = yield from task.migration_end(known)
    task.verify(task.refresh(), task.expected, migration)
    return base.Result(outcomes.MOVED, _('confirmed a resize left awaiting '
                                         'confirmation'))


def _sent(task, server):
    """Whether Nova took the confirmation (it runs asynchronously)."""
    if server.status != 'VERIFY_RESIZE':
        return True
    newest = cloud.latest_migrations(task.migrations()).get(server.id)
    return newest is not None and newest.status in ('confirming',
                                                    'confirmed')
