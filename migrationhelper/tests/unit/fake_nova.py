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
import testtools

from migrationhelper.cloud import hosts
from migrationhelper.moving import engine
from migrationhelper.planning import decision
from migrationhelper.planning import plan

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
POST_COPY = 'running (post-copy)'


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
        # server ID: what its next move does instead of ending well.
        self.drops = set()        # dropped before any record (conductor)
        self.failures = {}        # ends failed; then calls the callable
        self.post_copy = {}       # switches to post-copy this long in
        self.disks = {}           # copies disks this long first
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
            migration_type='live-migration', stuck_left=0.0, ramp=0.0,
            disk_seconds=0.0)
        record.uuid = 'uuid-%d' % record.id
        self.records.append(record)
        return record

    def never_converges(self, server_id, left=0.6, after=5.0):
        """The VM's next live migration stops converging.

        It copies down to ``left`` of the memory in ``after`` seconds, then
        no lower: it never ends unless forced or aborted.
        """
        self.stuck[server_id] = (left, after)

    def delete(self, server_id):
        """Its owner deletes the VM; Nova hides its migrations."""
        del self.servers_by_id[server_id]
        self.records = [r for r in self.records if r.server_id != server_id]

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
            switch = record.start + (getattr(record, 'post_copy_after',
                                             None) or float('inf'))
            if record.status == 'running' and switch <= now:
                self._set_status(record, POST_COPY, switch)
                record.end = min(record.end, switch + 2.0)
            if record.status in ('queued', 'running', POST_COPY) and \
                    record.end <= now and getattr(record, 'fails', None):
                self._fail(record)
                continue
            if record.status in ('queued', 'running', POST_COPY) and \
                    record.end <= now:
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

    def _fail(self, record):
        """The move failed: rolled back, the VM idle on its source."""
        self._set_status(record, 'failed', record.end)
        server = self.servers_by_id[record.server_id]
        server.status = 'ACTIVE' if record.migration_type == \
            'live-migration' else 'SHUTOFF'
        server.task_state = None
        self._touch(server, record.end)
        record.fails()

    def _start(self, server, kind, host):
        now = self.clock()
        source = server.compute_host
        if server.id in self.drops:
            # The conductor fails before it writes a record: the VM is put
            # back, idle, a moment later.
            self.drops.discard(server.id)
            server.task_state = 'migrating' if kind == 'live' \
                else 'resize_prep'
            server.dropped_at = now + 1.0
            self._touch(server)
            return
        if kind == 'live':
            start = max(now, self._busy_until[source])
            end = start + self.live_seconds
            self._busy_until[source] = end
            server.status, server.task_state = 'MIGRATING', 'migrating'
        else:
            start, end = now, now + self.cold_seconds
            # Nova starts a running guest again on its destination.
            server.previous_status = server.status
            server.status, server.task_state = 'RESIZE', 'resize_prep'
        stuck_left, ramp = self.stuck.pop(server.id, (0.0, end - start))
        if stuck_left:
            end = float('inf')
            self._busy_until[source] = end
        self._touch(server)
        self.moves.append((now, end, kind, source))
        reused = [r for r in self.records if r.server_id == server.id and
                  r.status == 'pre-migrating' and kind == 'cold']
        if reused:
            # nova's conductor takes over a record a dead conductor left
            # (_preallocate_migration).
            self.records.remove(reused[0])
        number = reused[0].id if reused else len(self.records) + 1
        self.records.append(Record(
            stuck_left=stuck_left, ramp=ramp,
            fails=self.failures.pop(server.id, None),
            post_copy_after=self.post_copy.pop(server.id, None),
            disk_seconds=self.disks.pop(server.id, 0.0),
            id=number, uuid='uuid-%d' % number, server_id=server.id,
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
        if server_id not in self.servers_by_id:
            raise sdk_exceptions.NotFoundException('no server %s' % server_id)
        server = self.servers_by_id[server_id]
        if getattr(server, 'dropped_at', None) is not None and \
                server.dropped_at <= self.clock():
            server.task_state = server.dropped_at = None
            self._touch(server)
        return copy.copy(server)

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
                   r.status in ('queued', 'running', POST_COPY)]
        for record in running:
            record.memory_total_bytes = MEMORY
            record.memory_remaining_bytes = self._memory_left(record)
            record.memory_processed_bytes = (
                MEMORY - record.memory_remaining_bytes)
            disks_left = record.start + record.disk_seconds - self.clock()
            record.disk_total_bytes = MEMORY
            record.disk_remaining_bytes = int(
                MEMORY * max(0.0, disks_left) / (record.disk_seconds or 1))
        return running

    def _memory_left(self, record):
        if record.status == 'queued':
            return MEMORY
        if record.disk_seconds:
            # A block migration copies the disks first, memory after.
            record.start_memory = record.start + record.disk_seconds
            if self.clock() < record.start_memory:
                return MEMORY
            copied = (self.clock() - record.start_memory) / (
                record.ramp or 1.0)
            return int(MEMORY * max(record.stuck_left, 1.0 - copied))
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


def planned(server, action):
    return plan.PlannedServer(
        server, hosts.ComputeHost(server.compute_host),
        decision.ServerFacts(server.status), decision.Decision(action))


class EngineTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = Clock()
        self.nova = FakeNova(self.clock)

    def run_engine(self, plans, **options):
        self.engine = engine.Engine(
            self.nova, engine.Options(**options), clock=self.clock,
            sleep=self.clock.sleep)
        return self.engine.run(plans)

    def live(self, name, host='src'):
        return planned(self.nova.add(name, host), decision.LIVE_MIGRATE)

    def cold(self, name, host='src'):
        return planned(self.nova.add(name, host, 'SHUTOFF'),
                       decision.COLD_MIGRATE)

    def run_reported(self, plans, **options):
        """Run the engine; return the rows and (time, VM, text) reports."""
        reports = []

        class Report:
            def __call__(_self, task, text):
                reports.append((self.clock.now, task.server.name, text))

            def status(_self, counts):
                pass
        self.engine = engine.Engine(
            self.nova, engine.Options(**options), progress=Report(),
            clock=self.clock, sleep=self.clock.sleep)
        return self.engine.run(plans), reports
