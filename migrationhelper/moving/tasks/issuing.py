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

A refusal (400, 409) may mean the work is already done by someone else
(another drain confirmed first, an operator moved the VM): the VM is read
back, and Nova's word decides. A 409 because the VM is busy means wait,
then send again unless someone else did the same meanwhile. When the
answer is lost (503, a dropped connection) Nova may or may not have acted,
so the VM is looked at before anything is sent twice. Never a second move.
"""

from openstack import exceptions as sdk_exceptions

from migrationhelper.cloud import guard
from migrationhelper.i18n import _
from migrationhelper.moving.tasks import waiting


class MoveFailed(Exception):
    """One attempt failed; the message says how, for the operator."""


# What nova-api answers with a 500 when two requests race for one VM: a
# move against another task, or against the VM's deletion.
RACE_ERRORS = ('UnexpectedTaskState', 'UnexpectedDeletingTaskState')


def is_refusal(error):
    """Nova refused the request: a 400 or 409.

    Two requests racing for the same VM may also get a 500 carrying
    UnexpectedTaskStateError (or, against its deletion,
    UnexpectedDeletingTaskStateError) from nova-api.
    """
    if isinstance(error, (sdk_exceptions.BadRequestException,
                          sdk_exceptions.ConflictException)):
        return True
    text = getattr(error, 'details', None) or str(error)
    return getattr(error, 'status_code', None) == 500 and any(
        race in text for race in RACE_ERRORS)


def _shows_done(issued, server):
    try:
        return issued(server)
    except MoveFailed:
        # A move of its that failed: not the work this request asks for.
        return False


class Issuing:
    """The requests of a task (a mixin of base.Task)."""

    def issue(self, issued, call, *args, **kwargs):
        """Send a request that changes the VM, once.

        ``issued(vm)`` says whether the VM shows the request was carried
        out (by us or by someone else); it may raise MoveFailed when it
        shows our request failed. A refusal of an idle VM that does not
        show the work done fails the attempt. Waiting for a lost answer
        honours the task's deadline.

        :returns: True when Nova took our request, False when Nova shows
            the work done by another request.
        """
        while True:
            try:
                self.stale = True
                call(*args, **kwargs)
                return True
            except guard.REQUEST_ERRORS as e:
                if is_refusal(e):
                    server = self.refresh()
                    was_busy = waiting.busy(server)
                    if was_busy:
                        self.report(_('busy, waiting: %s') % (
                            e.details or type(e).__name__))
                        server = yield from self.stand_by_until_idle()
                    if _shows_done(issued, server):
                        self.report(_('already done by another request'))
                        return False
                    if was_busy:
                        yield from self.take_lane(self.lane[0])
                        continue
                    raise MoveFailed(e.details or str(e))
                if not guard.is_transient(e):
                    raise
                self.report(_('no answer (%s): looking at the VM before '
                              'sending it again') % type(e).__name__)
                if issued(self.refresh()):
                    return True
                yield from self.pause()
