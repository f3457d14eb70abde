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

"""What must hold before an attempt sends a move, read from Nova.

As nova's conductor tasks begin with ``_check_instance_is_active`` and
``_check_host_is_up``, every attempt here begins with the VM as Nova shows
it now: idle (a move or task of someone else's is waited for), still on
the source, and in the status the move must keep. A VM already off the
source is never sent a new move: :class:`errors.LeftSource` hands it to
``left_source``, which finishes and verifies what moved it.
"""

from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving.tasks import waiting


def check(task, statuses):
    """Yield until the VM is idle; return it, on the source, as expected.

    :param statuses: the statuses this move may be sent in.
    :raises errors.LeftSource: the VM is off the source.
    :raises MoveFailed: it is in a status the move cannot keep.
    """
    # Read again, unless the task read it and has not waited since.
    server = (task.server if task.fresh and not task.stale
              else task.refresh())
    server = yield from _check_idle(task, server)
    _check_on_source(task, server)
    _check_status(task, server, statuses)
    return server


def _check_idle(task, server):
    if not waiting.busy(server):
        return server
    task.report(_('waiting for %s to finish first') % (
        server.task_state or server.status))
    server = yield from task.stand_by_until_idle(look_first=False)
    if server.compute_host == task.source:
        yield from task.take_lane(task.lane.kind)
    return server


def _check_on_source(task, server):
    if server.compute_host != task.source:
        raise errors.LeftSource()


def _check_status(task, server, statuses):
    if server.status not in statuses:
        raise errors.MoveFailed(_(
            'it is %(now)s on %(host)s, not %(want)s: not sent') % {
            'now': server.status, 'host': task.source,
            'want': ' or '.join(sorted(statuses))})
