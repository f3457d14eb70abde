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

"""Nova's and placement's words, each defined once.

Statuses, types, actions and resource classes as the APIs spell them
(nova/objects/migration.py, nova/compute/instance_actions.py,
nova/compute/task_states.py, os-resource-classes), and the one time form
we write. Every other module uses these names; none defines its own.
"""

import datetime

# Migration statuses after which nothing more happens to the move.
FINAL_MIGRATION_STATUSES = frozenset((
    'completed', 'confirmed', 'reverted', 'done', 'error', 'failed',
    'cancelled',
))
# ... of a move that ended well: Nova deletes its source allocation right
# after it writes the status, so for a moment both show.
SUCCESSFUL_MIGRATION_STATUSES = frozenset(('completed', 'confirmed', 'done'))
FAILED_MIGRATION_STATUSES = frozenset(('error', 'failed'))
# A live migration Nova is carrying out; in post-copy the guest already
# runs on the destination and the move can no longer be aborted.
POST_COPY = 'running (post-copy)'
LIVE_MIGRATION_RUNNING = frozenset(('running', POST_COPY, 'post-migrating'))

# Migration types (migration_type).
LIVE_MIGRATION = 'live-migration'
COLD_MIGRATION = 'migration'
RESIZE = 'resize'
EVACUATION = 'evacuation'
COLD_MOVE_TYPES = frozenset((COLD_MIGRATION, RESIZE))

# Instance actions that move a VM.
MOVE_ACTIONS = frozenset((
    'migrate', 'live-migration', 'resize', 'evacuate', 'confirmResize',
))

# Task states of a VM that placement holds room for before Nova lists it
# on its host.
ARRIVING_TASKS = frozenset((
    'scheduling', 'block_device_mapping', 'networking', 'spawning',
    'unshelving',
))

# Standard resource classes the plan counts.
VCPU = 'VCPU'
PCPU = 'PCPU'
MEMORY_MB = 'MEMORY_MB'
DISK_GB = 'DISK_GB'
MEM_ENCRYPTION_CONTEXT = 'MEM_ENCRYPTION_CONTEXT'

# The one time form we write (disabled reasons, changes-since): UTC, to
# the second.
TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def parse_utc(text):
    """A time written in TIME_FORMAT, as an aware UTC datetime, or None."""
    try:
        return datetime.datetime.strptime(text or '', TIME_FORMAT).replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def to_second(timestamp):
    """An API time to the second, comparable as text ('' if none).

    Nova writes times with and without microseconds and zone: the first
    19 characters are the same form in all of them.
    """
    return (timestamp or '')[:19].replace(' ', 'T')


def newest_migration(migrations):
    """The migration record created last, or None."""
    return max(migrations, key=lambda m: m.created_at or '', default=None)
