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

"""``nova reset-state --active`` before a move, the VM's power state kept.

The howto resets a VM a failed move left in ERROR, then moves it again.
Reset to active, a VM that was shut down would be powered on by the next
cold migration (Nova boots the guest after a resize whose old state is
active): it is stopped (os-stop) first, so that it moves, and ends, as its
owner left it.
"""

from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving.tasks import waiting
from migrationhelper.planning import decision


def steps(task, why):
    """Reset the VM to active, then to the power state it must keep.

    ``task.expected`` is the status the VM had before anything failed.
    """
    refused = decision.reset_refused(task.server.power_state)
    if refused:
        # Read since the plan: its guest changed (libvirt paused it).
        raise errors.MoveFailed(_('not reset: %s') % refused)
    task.report(_('resetting state to active (%s)') % why)
    yield from task.issue(lambda s: s.status == 'ACTIVE' and not s.task_state,
                          task.compute.reset_server_state, task.server,
                          'active')
    task.messages.append(_('state reset to active: %s') % why)
    server = task.refresh()
    if task.expected != 'SHUTOFF' or server.status == 'SHUTOFF':
        return
    task.report(_('stopping it again: it was shut down'))
    yield from task.issue(
        lambda s: waiting.busy(s) or s.status == 'SHUTOFF',
        task.compute.stop_server, task.server)
    server = yield from task.wait_idle(look_first=False)
    if server.status != 'SHUTOFF':
        raise errors.MoveFailed(_(
            'reset to active, it could not be stopped again: it is %s')
            % server.status)
    task.messages.append(_('stopped again, as it was'))
