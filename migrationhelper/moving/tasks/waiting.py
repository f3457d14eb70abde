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

"""Waiting for Nova: yield until the VM or its migration gets somewhere.

Each wait yields to the engine, which resumes the task when its next poll
is due, or sooner when the cycle's shared listing shows its VM changed.
Polls start fast (most moves of small VMs end in seconds) and slow down
as a move goes on, so that a long migration costs few requests.
"""

from openstack import exceptions as sdk_exceptions

from migrationhelper.cloud import listings
from migrationhelper.cloud import vocabulary
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import convergence
from migrationhelper.moving.tasks import reading
from migrationhelper.planning import decision

# Migration statuses after which Nova updates the VM itself: the end of a
# move, or (finished) a cold migration awaiting confirmation.
MOVE_OVER_STATUSES = vocabulary.FINAL_MIGRATION_STATUSES | {'finished'}
MIN_POLL_INTERVAL = 0.25
MAX_POLL_INTERVAL = 5.0
# How often a running live migration's record is read for the copy's
# progress (one request each), at most: a stall is seen within this much
# of --stall-timeout, and a copy that ends sooner is never read.
COPY_READ_INTERVAL = 5.0


def poll_interval(elapsed):
    return min(MAX_POLL_INTERVAL, max(MIN_POLL_INTERVAL, elapsed / 10.0))


busy = decision.busy


class Waiting:
    """The waits of a task (a mixin of base.Task)."""

    def schedule_poll(self):
        now = self.clock()
        self.next_poll = now + poll_interval(now - self.started)

    def check_deadline(self):
        """Raise errors.TimedOut once the move has had --timeout seconds.

        A live migration's seconds count from when Nova starts copying it:
        one waiting behind another in nova-compute's queue gets --timeout
        seconds in the queue, then --timeout seconds to run. The cycle's
        shared listing says when it starts (its record's status); without
        one, its record is read. While it runs, the record is read every
        COPY_READ_INTERVAL (one request) for the copy's progress:
        errors.Stalled when it no longer converges.
        """
        now = self.clock()
        if self.queued_since is None and self.copy is None:
            if now >= self.deadline:
                raise errors.TimedOut()
            return
        migration = None
        if self.queued_since is not None:
            migration = self.listed_move(self.known)
            # Without a listing, its record is read; not right after it was
            # sent (stale): Nova has only just queued it.
            if migration is None and not self.stale:
                migration = self.progress_record()
            status = migration.status if migration is not None else None
            if status not in vocabulary.LIVE_MIGRATION_RUNNING:
                if now - self.queued_since >= self.options.timeout:
                    raise errors.TimedOut()
                return
            queued = int(now - self.queued_since)
            self.report(_('Nova started it after %ds in its queue') % queued
                        if queued else _('Nova started it'))
            self.queued_since = None
            self.deadline = now + self.options.timeout
            self.copy_read_at = now
        listed = self.listed_move(self.known)
        if listed is not None and listed.status == vocabulary.POST_COPY:
            self.switched_to_post_copy()
        if now >= self.deadline:
            raise errors.TimedOut()
        if self.copy is not None and \
                now - self.copy_read_at >= self.copy_read_interval():
            self.copy_read_at = now
            migration = self.progress_record()
            if migration is not None and \
                    migration.status in vocabulary.LIVE_MIGRATION_RUNNING:
                self.watch_copy(now, migration)

    def copy_read_interval(self):
        stall_timeout = self.options.stall_timeout
        if stall_timeout:
            return min(COPY_READ_INTERVAL, stall_timeout / 4.0)
        return COPY_READ_INTERVAL

    def listed_move(self, known):
        """The VM's newest move from the source not in ``known``, listed.

        As this cycle's shared listing shows it; None if it showed none.
        Each step of a move changes its record, so a record the listing
        (of changes since before the move) leaves out has not changed.
        """
        if self.listed_moves is None or known is None:
            return None
        new = [m for m in self.listed_moves if listings.is_new(known, m) and
               m.source_compute == self.source]
        return self.claim(vocabulary.newest_migration(new))

    def progress_record(self):
        """The running migration's record; None if Nova would not say.

        A progress read must never fail the move: Nova's own response
        schema refuses some records libvirt writes (nothing processed yet,
        with ``[api] response_validation = error``). Refused credentials
        stop the run as anywhere else.
        """
        try:
            return self.running_migration()
        except sdk_exceptions.HttpException as e:
            if errors.is_callers(e):
                raise
            return None

    def watch_copy(self, now, migration):
        """Say how far the copy is; errors.Stalled once it stops converging.

        A block migration copies the disks first: the memory copy, and the
        stall rule, start after them. Once in post-copy the migration can
        be neither aborted nor stalled: the watch ends.
        """
        if migration.status == vocabulary.POST_COPY:
            self.switched_to_post_copy()
            return
        copy = self.copy
        # Compute API 2.23 fields; an SDK that lacks them reports nothing.
        # Before any memory is processed: with storage mirrored, a busy
        # guest keeps some disk left during the memory copy too.
        memory_started = getattr(migration, 'memory_processed_bytes', None)
        if not memory_started and copy.observe_disks(
                getattr(migration, 'disk_total_bytes', None),
                getattr(migration, 'disk_remaining_bytes', None)):
            if copy.report_due(now):
                self.report(_('copying disks %(percent)d%% (%(left)s '
                              'left)') % {
                    'percent': copy.disk_percent,
                    'left': convergence.size_text(copy.disk_remaining)})
            return
        copy.observe(now, getattr(migration, 'memory_total_bytes', None),
                     getattr(migration, 'memory_remaining_bytes', None))
        if copy.report_due(now):
            self.report(_('live-migrating %(percent)d%% (%(left)s left)') % {
                'percent': copy.percent,
                'left': convergence.size_text(copy.remaining)})
        still = copy.stalled(now)
        if still is not None:
            self.stall_note = _(
                'no progress for %(seconds)ds (--stall-timeout): stuck at '
                '%(percent)d%%, %(left)s of %(total)s left') % {
                'seconds': still, 'percent': copy.percent,
                'left': convergence.size_text(copy.lowest),
                'total': convergence.size_text(copy.total)}
            raise errors.Stalled()

    def switched_to_post_copy(self):
        if self.post_copy:
            return
        self.post_copy = True
        self.copy = None
        self.report(_('switched to post-copy: it runs on the destination '
                      'now and can no longer be aborted'))

    def pause(self):
        """Yield until the next poll, after checking the deadline."""
        self.check_deadline()
        self.schedule_poll()
        self.fresh = False
        self.listed_moves = None
        yield

    def wait_until(self, done, look_first=True, on_move=False):
        """Poll until ``done(server)``; raise errors.TimedOut at the deadline.

        The first look is a GET, unless ``look_first`` is false (right after
        a request, when the answer is known to be "not yet"); later looks
        use what the engine's listing of the cycle says, when ``on_move``
        says the VM is waited on for a move (whose migration record Nova
        updates at each step).
        """
        server = self.refresh() if look_first else None
        while True:
            if server is not None and done(server):
                return server
            self.waiting = True
            self.waiting_on_move = on_move
            try:
                yield from self.pause()
            finally:
                self.waiting = False
                self.waiting_on_move = False
            server = self.polled()

    def wait_idle(self, look_first=True, on_move=False):
        return (yield from self.wait_until(lambda s: not busy(s),
                                           look_first, on_move))

    def wait_move(self, look_first=True):
        """Wait until Nova is done with a move of the VM."""
        return (yield from self.wait_idle(look_first, on_move=True))

    def waits_on_move(self):
        """Waiting for a move whose record the engine's listing shows."""
        return self.waiting and self.waiting_on_move

    def look_at_moves(self, migrations):
        """What the engine's listing of this cycle shows of the VM's moves.

        :returns: (whether a move took a step, reading.UNCHANGED when the
            VM need not be read: its move is between steps, or what the
            task sent has no record listed yet (Nova lists a record from
            its first update on); else None).
        """
        news = self.note_moves(migrations)
        newest = vocabulary.newest_migration(
            [m for m in migrations if listings.is_new(self.known or {}, m)])
        if newest is None and self.stale or newest is not None and \
                newest.status not in MOVE_OVER_STATUSES:
            return news, reading.UNCHANGED
        return news, None

    def note_moves(self, migrations):
        """What the engine's listing saw of the VM's changed migrations.

        :returns: whether one is new or has another status than the last
            listing showed (a step of the move; libvirt's progress updates
            change no status).
        """
        statuses = listings.known_migrations(migrations)
        changed = any(self.move_statuses.get(i) != status
                      for i, status in statuses.items())
        self.move_statuses.update(statuses)
        self.listed_moves = list(migrations)
        if self.known is not None and any(
                listings.is_new(self.known, m) for m in migrations):
            self.move_listed = True
        return changed

    def stand_by_until_idle(self, look_first=True):
        """Wait for someone else's task to end, holding no lane meanwhile.

        The lane is taken back (the engine grants it) when the VM, idle,
        is still on the source and something must be sent.
        """
        self.lane.stand_by()
        server = yield from self.wait_idle(look_first)
        self.lane.stop_standing_by()
        return server

    def take_lane(self, kind):
        """Yield until the engine grants a lane of ``kind`` again."""
        if self.lane.holds:
            return
        self.lane.ask(kind)
        while not self.lane.holds:
            # Due only when the engine grants it (grant_lane).
            self.next_poll = float('inf')
            yield

    def migration_end(self, known):
        """The move's migration record once Nova has closed it.

        Nova clears the task state and moves the VM before it marks the
        migration completed; reading it too early would see "running".
        When this cycle's shared listing showed it closed already, that is
        Nova's word, and it is not read again.
        """
        while True:
            migration = self.listed_move(known)
            if migration is None or migration.status not in \
                    vocabulary.FINAL_MIGRATION_STATUSES:
                migration = self.new_migration(known)
            if migration is None or \
                    migration.status in vocabulary.FINAL_MIGRATION_STATUSES:
                return migration
            yield from self.pause()
