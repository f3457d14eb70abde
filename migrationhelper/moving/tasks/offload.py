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

"""Offloading a shelved VM: it leaves the host without needing another."""

from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.moving.tasks import base
from migrationhelper.moving.tasks import waiting


def steps(task):
    task.report(_('offloading the shelved VM'))
    task.own_move = yield from task.issue(
        lambda s: waiting.busy(s) or s.status != 'SHELVED',
        task.compute.shelve_offload_server, task.server)
    # Nova shows SHELVED_OFFLOADED a moment before it drops the host.
    server = yield from task.wait_until(
        lambda s: not waiting.busy(s) and not (
            s.status == 'SHELVED_OFFLOADED' and s.compute_host),
        look_first=False)
    if server.status == 'SHELVED_OFFLOADED':
        return base.Result(outcomes.MOVED, _(
            'shelved and offloaded; it stays off every host until its owner '
            'unshelves it'))
    return base.Result(outcomes.FAILED, task.explain(
        _('status %s after offloading') % server.status))
