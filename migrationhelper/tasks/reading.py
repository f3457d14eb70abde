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

"""Reading Nova: the VM, its migrations, and what a poll listing saw.

Every read goes through the compute proxy's guard (``guard.py``), which
sends it again while the API is unavailable; nothing here retries.
"""

from openstack import exceptions as sdk_exceptions

from migrationhelper.i18n import _

# What a poll listing says of a VM that did not change since the last look.
UNCHANGED = object()


def alive(server):
    """The server, unless Nova shows it deleted (admins may still see it)."""
    if server.status == 'DELETED':
        raise sdk_exceptions.NotFoundException(
            _('server %s was deleted') % server.id)
    return server


class Reading:
    """The reads of a task (a mixin of base.Task)."""

    def refresh(self):
        self.server = alive(self.compute.get_server(self.server.id))
        self.stale = False
        self.fresh = True
        return self.server

    def read_with_others(self, server):
        """The VM as a listing of its host read now shows it, if listed.

        One shown deleted is left to the task's own read, which says so.
        """
        if server is not None and server.status != 'DELETED':
            self.server = server
            self.stale = False
            self.fresh = True

    def migrations(self):
        return list(self.compute.migrations(server_id=self.server.id))

    def migration_ids(self):
        """The VM's migrations before a move: the plan's, the first time."""
        known, self.planned_migrations = self.planned_migrations, None
        if known is None:
            known = {m.id for m in self.migrations()}
        self.known = set(known)
        return self.known

    def new_migration(self, known):
        """The newest migration of the VM from its source not in ``known``.

        Only a move from the source can be the one this task waits for: an
        older move of the VM between two other hosts (before it came here)
        is in no listing of the source, so ``known`` alone cannot rule it
        out. A record made since the plan by another move of the VM from
        the source is older than this move's own: that move had ended (the
        VM was seen idle on its source) before this one was sent.
        """
        new = [m for m in self.migrations() if m.id not in known and
               m.source_compute == self.source]
        return max(new, key=lambda m: m.created_at or '') if new else None

    def running_migration(self):
        """The live migration Nova is running for the VM, if any."""
        migrations = list(self.compute.server_migrations(self.server))
        return migrations[0] if migrations else None

    def polled(self):
        """The VM as this cycle's listing shows it, else as a GET does.

        None: the listing shows the move we sent still going on (our copy
        predates the request), so the VM is busy with it; nothing is read.
        """
        seen, self.seen = self.seen, None
        if seen is None:
            return self.refresh()
        if seen is UNCHANGED:
            return None if self.stale else self.server
        self.server = alive(seen)
        self.stale = False
        self.fresh = True
        return seen
