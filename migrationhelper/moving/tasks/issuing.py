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


from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving.tasks import waiting


def _shows_done(issued, server):
    try:
        return issued(server)
    except errors.MoveFailed:
        # A move of its that failed: not the work this request asks for.
        return False


class Issuing:
    """The requests of a task (a mixin of base.Task)."""

    def issue(self, issued, call, *args, **kwargs):
        """Send a request that changes the VM, once.

        ``issued(vm)`` says whether the VM shows the request was carried
        out (by us or by someone else); it may raise errors.MoveFailed when it
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
            except errors.REQUEST_ERRORS as e:
                if errors.is_refusal(e):
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
                        yield from self.take_lane(self.lane.kind)
                        continue
                    raise errors.MoveFailed(e.details or str(e))
                if not errors.is_transient(e):
                    raise
                self.report(_('no answer (%s): looking at the VM before '
                              'sending it again') % type(e).__name__)
                if issued(self.refresh()):
                    return True
                yield from self.pause()
