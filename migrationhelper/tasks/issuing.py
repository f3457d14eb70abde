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

"""Sending requests that change a VM: once, whatever the API does.

A 409 because the VM is busy means wait, then send again unless someone
else did the same meanwhile; when the answer is lost (503, a dropped
connection) Nova may or may not have acted, so the VM is looked at before
anything is sent twice. Never a second move.
"""

from openstack import exceptions as sdk_exceptions

from migrationhelper.i18n import _
from migrationhelper.tasks import reading
from migrationhelper.tasks import waiting


class MoveFailed(Exception):
    """One attempt failed; the message says how, for the operator."""


def is_busy_refusal(error):
    """Nova refused because the VM is busy with another task.

    That is a 409; two requests racing for the same VM may also get a 500
    carrying UnexpectedTaskStateError from nova-api.
    """
    if isinstance(error, sdk_exceptions.ConflictException):
        return True
    return getattr(error, 'status_code', None) == 500 and \
        'UnexpectedTaskState' in (getattr(error, 'details', None) or
                                  str(error))


class Issuing:
    """The requests of a task (a mixin of base.Task)."""

    def issue(self, issued, call, *args, **kwargs):
        """Send a request that changes the VM, once.

        ``issued(vm)`` says whether the VM shows the request was carried
        out (by us or by someone else). A 409 on an idle VM is a real
        refusal (wrong state) and fails the attempt. Waiting for a lost
        answer honours the task's deadline.
        """
        while True:
            try:
                self.stale = True
                return call(*args, **kwargs)
            except reading.REQUEST_ERRORS as e:
                if is_busy_refusal(e):
                    self.report(_('busy, waiting: %s') % (
                        e.details or type(e).__name__))
                    if not waiting.busy(self.refresh()):
                        raise MoveFailed(e.details or str(e))
                    server = yield from self.wait_idle()
                    if issued(server):
                        # Another drain of this host did it meanwhile.
                        return None
                    continue
                if not reading.is_transient(e):
                    raise
                self.report(_('no answer (%s): looking at the VM before '
                              'sending it again') % type(e).__name__)
                if issued(self.refresh()):
                    return None
                yield from self.pause()

    def reset_state(self, why):
        self.report(_('resetting state to active (%s)') % why)
        self.compute.reset_server_state(self.server, 'active')
        self.messages.append(_('state reset to active: %s') % why)
        self.refresh()
