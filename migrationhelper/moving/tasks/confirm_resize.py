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
background, so it is sent once and waited for. A refusal because the
resize is confirmed already (another drain, the VM's owner) is success:
Nova shows it.
"""

from migrationhelper.cloud import listings
from migrationhelper.i18n import _
from migrationhelper.moving.tasks import waiting


def steps(task):
    """Confirm the VM's resize and wait until Nova is done with it."""
    task.report(_('confirming the resize on %s') % task.server.compute_host)
    yield from task.issue(lambda server: _sent(task, server),
                          task.compute.confirm_server_resize, task.server)
    yield from task.wait_until(
        lambda s: s.status != 'VERIFY_RESIZE' and not waiting.busy(s),
        look_first=False, on_move=True)


def _sent(task, server):
    """Whether Nova took the confirmation (it runs asynchronously)."""
    if server.status != 'VERIFY_RESIZE':
        return True
    newest = listings.latest_migrations(task.migrations()).get(server.id)
    return newest is not None and newest.status in ('confirming',
                                                    'confirmed')
