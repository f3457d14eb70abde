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

from migrationhelper.cloud import listings
from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _

# What a poll listing says of a VM that did not change since the last look.
UNCHANGED = object()

# However quiet the poll listings are, a VM waited on is read at least this
# often: before Nova lists a record of the move we sent (a move Nova drops
# before its record, a VM deleted meanwhile, a listing filter that misses
# the record because of a clock skew between Nova's services), and once
# one is listed. A listing may save reads; it never decides alone.
READ_UNLISTED_EVERY = 3.0
READ_LISTED_EVERY = 15.0


def alive(server):
    """The server, unless Nova shows it deleted (admins may still see it)."""
    if server.status == 'DELETED':
        raise sdk_exceptions.NotFoundException(
            _('server %s was deleted') % server.id)
    return server


class Reading:
    """The reads of a task (a mixin of base.Task)."""

    def _seen(self, server):
        self.server = server
        self.stale = False
        self.fresh = True
        self.read_at = self.clock()
        return server

    def refresh(self):
        return self._seen(alive(self.compute.get_server(self.server.id)))

    def read_with_others(self, server):
        """The VM as a listing of its host read now shows it, if listed.

        One shown deleted is left to the task's own read, which says so.
        """
        if server is not None and server.status != 'DELETED':
            self._seen(server)

    def read_due(self):
        """Whether the VM must be read now, whatever the listing says."""
        every = (READ_LISTED_EVERY if self.move_listed
                 else READ_UNLISTED_EVERY)
        return self.read_at is None or self.clock() - self.read_at >= every

    def migrations(self):
        return list(self.compute.migrations(server_id=self.server.id))

    def migration_ids(self):
        """The VM's migrations before an attempt: the plan's, the first time.

        Each attempt starts with no claim on any migration: only the
        record of the move it sends becomes its own (``owns``).
        """
        known, self.planned_migrations = self.planned_migrations, None
        planned = self.planned.server
        if known is None or (self.server.status, self.server.task_state) != (
                planned.status, planned.task_state):
            # The plan's listing is of a VM that has changed since (a move
            # or task ended, a resize confirmed): read what Nova has now.
            known = listings.known_migrations(self.migrations())
        self.known = dict(known)
        self.own_move = False
        self.claimed = None
        self.move_listed = False
        self.post_copy = False
        return self.known

    def claim(self, migration):
        """Keep ``migration`` as our move's, if it is ours and the first."""
        if migration is not None and self.own_move and self.claimed is None:
            self.claimed = listings.migration_key(migration)
        return migration

    def new_migration(self, known):
        """The newest migration of the VM from its source not in ``known``.

        Only a move from the source can be the one this task waits for: an
        older move of the VM between two other hosts (before it came here)
        is in no listing of the source, so ``known`` alone cannot rule it
        out. A record made since the plan by another move of the VM from
        the source is older than this move's own: that move had ended (the
        VM was seen idle on its source) before this one was sent.
        """
        new = [m for m in self.migrations() if listings.is_new(known, m) and
               m.source_compute == self.source]
        return self.claim(vocabulary.newest_migration(new))

    def running_migration(self):
        """The live migration Nova is running for the VM, if any."""
        migrations = list(self.compute.server_migrations(self.server))
        return migrations[0] if migrations else None

    def polled(self):
        """The VM as this cycle's listing shows it, else as a GET does.

        None: the listing shows the move we sent still going on (our copy
        predates the request), so the VM is busy with it; nothing is read,
        unless the VM is due a read (``read_due``).
        """
        seen, self.seen = self.seen, None
        if seen is UNCHANGED and not self.read_due():
            return None if self.stale else self.server
        if seen is None or seen is UNCHANGED:
            return self.refresh()
        return self._seen(alive(seen))
