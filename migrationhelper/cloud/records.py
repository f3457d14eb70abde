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

"""What Nova said of a placement consumer, and of a migration, as records.

Built by the listings (cloud.listings), read by the accounting
(planning.consumers): plain data, no decision.
"""

import dataclasses

from migrationhelper.cloud import vocabulary

# What Nova answered when asked for one consumer as a server.
NOT_FOUND = 'not-found'
NO_ANSWER = 'no-answer'


@dataclasses.dataclass(frozen=True)
class Seen:
    """A server Nova returned for a consumer: where and in what state."""

    compute_host: str | None
    status: str | None
    task_state: str | None = None


@dataclasses.dataclass(frozen=True)
class Migration:
    """The migration record fields the accounting needs."""

    uuid: str
    server_id: str
    source: str | None
    dest: str | None
    status: str
    kind: str | None = None          # migration_type
    updated_at: str | None = None    # as Nova writes it

    @property
    def in_progress(self):
        return self.status not in vocabulary.FINAL_MIGRATION_STATUSES
