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

"""A fake compute proxy on a fake clock, for the engine's scheduling.

Only the calls the tasks make, with Nova's behaviour where scheduling
depends on it: a live migration takes ``live_seconds`` and nova-compute
runs one at a time per source host (the next one queued behind it); a cold
migration takes ``cold_seconds``, ends in VERIFY_RESIZE and is confirmed
at once. It records what was in flight at any time. Behaviour against a
real Nova is the functional tests' business.
"""

import collections
import copy
import datetime

from openstack import exceptions as sdk_exceptions

EPOCH = datetime.datetime(2026, 1, 1)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += max(seconds, 0.01)


class Record:
    """A server or migration, with attributes as the SDK's have them."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)


# The memory a live migration copies, as libvirt's monitor reports it.
MEMORY = 4 << 30


class FakeNova:

    def __init__(self, clock, live_seconds=3.0, cold_seconds=3.0):
        self.clock = clock
        self.live_seconds = live_seconds
        self.cold_seconds = cold_seconds
        self.servers_by_id = {}
        self.records = []
        self.abort_seconds = 0.0
        self.calls = collections.Counter()
        # (start, end, kind, source) of every move Nova carried out.
        self.moves = []
        self.stuck = {}
        self._busy_until = collections.defaultdict(float)

    # -- building the cloud ---------------------------------------------------

    def add(self, name, host, status='ACTIVE', task_state=None):
        server = Record(
            id='id-%s' % name, name=name, status=status,
            task_state=task_state,
            project_id='p', user_id='u',
            compute_host=host, power_state=1 if status == 'ACTIVE' else 4,
            fault=None, flavor={}, image={'id': 'img'}, updated_at=None)
        self._touch(server)
        self.servers_by_id[server.id] = server
        return copy.copy(server)

    def add_migration(self, server_id, source, dest, status):
        """A migration record Nova kept from an earlier move."""
        record = Record(
            id=len(self.records) + 1, server_id=server_id, status=status,
            created_at=str(self.clock()).zfill(12), start=0.0, end=0.0,
            updated_at=self._stamp(),
            source_compute=source, dest_compute=dest,
            migration_type='live-migration', stuck_left=0.0, ramp=0.0)
        self.records.append(record)
        return record

    def never_converges(self, server_id, left=0.6, after=5.0):
        """The VM's next live migration stops converging.

        It copies down to ``left`` of the memory in ``after`` seconds, then
        no lower: it never ends unless forced or aborted.
        """
        self.stuck[server_id] = (left, after)

    def start_move(self, server_id, kind='live', host=None):
        """Another actor (an operator, a second drain) moves the VM."""
        self._start(self.servers_by_id[server_id], kind, host)

    def _stamp(self, at=None):
        when = EPOCH + datetime.timedelta(
            seconds=self.clock() if at is None else at)
        return when.strftime('%Y-%m-%dT%H:%M:%SZ')

    def _set_status(self, record, status, at=None):
        """A migration's step, as Nova records it (updated_at too)."""
        record.status = status
        record.updated_at = self._stamp(at)

    def _touch(self, server, at=None):
        server.updated_at = self._stamp(at)

    # -- what is in flight ----------------------------------------------------

    def in_flight(self, at, kind=None, source=None):
        return sum(1 for start, end, k, s in self.moves
                   if start <= at < end and kind in (None, k) and
                   source in (None, s))

    def most_in_flight(self, kind=None, source=None):
        return max([self.in_flight(start, kind, source)
                    for start, _end, _k, _s in self.moves] or [0])

    def _advance(self):
        now = self.clock()
        for record in self.records:
            if getattr(record, 'cancel_at', None) is not None and \
                    record.cancel_at <= now and \
                    record.status in ('queued', 'running'):
                self._cancel(record)
                continue
            if record.status == 'queued' and record.start <= now:
                self._set_status(record, 'running', record.start)
            if record.status in ('queued', 'running') and record.end <= now:
                server = self.servers_by_id[record.server_id]
                server.compute_host = record.dest_compute
                server.task_state = None
                if record.migration_type == 'live-migration':
                    self._set_status(record, 'completed', record.end)
                    server.status = 'ACTIVE'
                else:
                    self._set_status(record, 'finished', record.end)
                    server.status = 'VERIFY_RESIZE'
                self._touch(server, record.end)

    def _start(self, server, kind, host):
        now = self.clock()
        source = server.compute_host
        if kind == 'live':
            start = max(now, self._busy_until[source])
            end = start + self.live_seconds
            self._busy_until[source] = end
            server.status, server.task_state = 'MIGRATING', 'migrating'
        else:
            start, end = now, now + self.cold_seconds
            server.status, server.task_state = 'RESIZE', 'resize_prep'
            server.previous_status = 'SHUTOFF'
        stuck_left, ramp = self.stuck.pop(server.id, (0.0, end - start))
        if stuck_left:
            end = float('inf')
            self._busy_until[source] = end
        self._touch(server)
        self.moves.append((now, end, kind, source))
        self.records.append(Record(
            stuck_left=stuck_left, ramp=ramp,
            id=len(self.records) + 1, server_id=server.id,
            # nova-compute runs one live migration at a time per host.
            status='running' if start <= now else 'queued', start=start,
            created_at=str(now).zfill(12), updated_at=self._stamp(), end=end,
            source_compute=source,
            dest_compute=host or 'dest-of-%s' % source,
            migration_type='live-migration' if kind == 'live'
            else 'migration'))

    # -- the compute proxy calls ---------------------------------------------

    def get_server(self, server_id):
        self.calls['get_server'] += 1
        self._advance()
        return copy.copy(self.servers_by_id[server_id])

    def servers(self, details=True, all_projects=False, changes_since=None,
                compute_host=None, **query):
        self.calls['servers'] += 1
        self._advance()
        return [copy.copy(s) for s in self.servers_by_id.values()
                if (changes_since is None or
                    s.updated_at >= changes_since) and
                compute_host in (None, s.compute_host)]

    def migrations(self, server_id=None, host=None, changes_since=None):
        self._advance()
        if host is None:
            self.calls['migrations'] += 1
            return [copy.copy(r) for r in self.records
                    if r.server_id == server_id]
        self.calls['migration_listings'] += 1
        return [copy.copy(r) for r in self.records
                if host in (r.source_compute, r.dest_compute) and
                r.updated_at >= changes_since]

    def server_migrations(self, server):
        self.calls['server_migrations'] += 1
        self._advance()
        running = [r for r in self.records if r.server_id == server.id and
                   r.status in ('queued', 'running')]
        for record in running:
            record.memory_total_bytes = MEMORY
            record.memory_remaining_bytes = self._memory_left(record)
        return running

    def _memory_left(self, record):
        if record.status == 'queued':
            return MEMORY
        copied = (self.clock() - record.start) / (record.ramp or 1.0)
        return int(MEMORY * max(record.stuck_left, 1.0 - copied))

    def force_complete_server_migration(self, migration, server):
        """Nova pauses the VM for the last copy: the move ends now."""
        self.calls['force_complete_server_migration'] += 1
        record = next(r for r in self.records if r.id == migration.id)
        record.end = self.clock()
        self._advance()

    def live_migrate_server(self, server, host=None, block_migration=None):
        self.calls['live_migrate_server'] += 1
        self._start(self.servers_by_id[server.id], 'live', host)

    def migrate_server(self, server, host=None):
        self.calls['migrate_server'] += 1
        self._start(self.servers_by_id[server.id], 'cold', host)

    def confirm_server_resize(self, server):
        self.calls['confirm_server_resize'] += 1
        server = self.servers_by_id[server.id]
        server.status = server.previous_status
        for record in self.records:
            if record.server_id == server.id and record.status == 'finished':
                self._set_status(record, 'confirmed')
        self._touch(server)

    def reset_server_state(self, server, state):
        self.calls['reset_server_state'] += 1
        server = self.servers_by_id[server.id]
        server.status = 'ACTIVE' if state == 'active' else 'ERROR'
        server.task_state = None
        self._touch(server)

    def stop_server(self, server):
        self.calls['stop_server'] += 1
        server = self.servers_by_id[server.id]
        server.status, server.power_state = 'SHUTOFF', 4
        self._touch(server)

    def server_actions(self, server_id):
        # No instance action shows a conductor that gave up.
        return []

    def abort_server_migration(self, migration, server):
        """Nova cancels the migration ``abort_seconds`` later."""
        self.calls['abort_server_migration'] += 1
        record = next(r for r in self.records if r.id == migration.id)
        record.cancel_at = self.clock() + self.abort_seconds
        self._advance()

    def _cancel(self, record):
        self._set_status(record, 'cancelled', record.cancel_at)
        server = self.servers_by_id[record.server_id]
        server.status, server.task_state = 'ACTIVE', None
        self._touch(server, record.cancel_at)


def busy_refusal(nova, server_id):
    """A live migration request that loses the race to another actor.

    The other actor's move starts just before ours reaches Nova, which
    refuses ours with a 409.
    """
    def refused(server, host=None, block_migration=None):
        nova.calls['live_migrate_server'] += 1
        if nova.calls['live_migrate_server'] == 1:
            nova.start_move(server_id)
            raise sdk_exceptions.ConflictException(
                'Cannot live-migrate instance while it is in task_state '
                'migrating')
        return FakeNova.live_migrate_server(nova, server, host,
                                            block_migration)
    return refused
