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

"""Does a live migration converge? Its memory copy, as Nova records it.

Pure. libvirt's monitor in nova-compute saves the copy's progress on the
migration record (``memory_total_bytes``, ``memory_processed_bytes``,
``memory_remaining_bytes``; compute API 2.23 and later). A VM that
dirties memory as fast as it is copied never gets below some amount left:
its migration is *stalled* once the least memory left seen so far has not
gone lower for the stall timeout. A slow copy that keeps going lower is
never stalled, however long it takes.
"""

import dataclasses

# A progress line off a terminal at most this often per VM.
REPORT_EVERY_SECONDS = 30.0


@dataclasses.dataclass
class Convergence:
    """What one live migration's copy has done, seen poll after poll."""

    stall_timeout: float
    total: int = 0
    remaining: int | None = None
    # The least memory left seen so far, and when it was first seen.
    lowest: int | None = None
    lowest_since: float | None = None
    reported_at: float | None = None
    # A block migration's disk copy, which comes before the memory copy.
    disk_total: int = 0
    disk_remaining: int | None = None

    def observe_disks(self, total, remaining):
        """One reading of the disk copy; True while the disks are copied.

        Memory left does not count toward a stall meanwhile: the memory
        copy starts after the disks, and its clock starts then.
        """
        if not total or not remaining:
            return False
        self.disk_total, self.disk_remaining = total, remaining
        self.lowest = self.lowest_since = None
        return True

    @property
    def disk_percent(self):
        return max(0, min(100, int(100 * (self.disk_total -
                                          self.disk_remaining) /
                                   self.disk_total)))

    def observe(self, now, total, remaining):
        """One reading of the migration record; missing fields are ignored.

        A driver that reports nothing (zeros, or no fields) is never
        stalled: nothing is known of its copy.
        """
        if not total or remaining is None:
            return
        self.total, self.remaining = total, remaining
        if self.lowest is None or remaining < self.lowest:
            self.lowest, self.lowest_since = remaining, now

    @property
    def percent(self):
        """Memory copied, in percent of the VM's, or None before any data."""
        if self.remaining is None:
            return None
        return max(0, min(100, int(100 * (self.total - self.remaining) /
                                   self.total)))

    def stalled(self, now):
        """Seconds without a new low of memory left, if past the timeout."""
        if not self.stall_timeout or self.lowest_since is None:
            return None
        still = now - self.lowest_since
        return still if still >= self.stall_timeout else None

    def report_due(self, now):
        """Whether to say the progress now: first, then every 30 s."""
        if self.percent is None and self.disk_remaining is None:
            return False
        if self.reported_at is None or \
                now - self.reported_at >= REPORT_EVERY_SECONDS:
            self.reported_at = now
            return True
        return False


def size_text(amount):
    """Bytes for a person: 1.5 GiB, 300 MiB."""
    for unit, size in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if amount >= size:
            return '%.1f %s' % (amount / size, unit)
    return '%d B' % amount
