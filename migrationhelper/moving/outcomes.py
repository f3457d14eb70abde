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

"""The result table's rows: what happened to each VM, or would happen.

``Outcome`` is one row; :func:`planned_outcomes` is the dry run, made from
the plan with nothing changed.
"""

import dataclasses

from migrationhelper.planning import decision

MOVED = 'moved'
SKIPPED = 'skipped'
FAILED = 'failed'
PLANNED = 'planned'
IN_PROGRESS = 'in-progress'
# Off the host, but not as it should be (ERROR on its destination after a
# failed confirmation, say): the host is empty of it, the operator must
# look at it where it is now.
LEFT_UNHEALTHY = 'left-unhealthy'
# Not a VM: an allocation placement still holds on the emptied host (an
# orphan, a failed move's leftover); its row is keyed by the consumer.
HELD_IN_PLACEMENT = 'held-in-placement'

# Results of VMs that are, or may be, on another host now.
OFF_SOURCE = frozenset((MOVED, IN_PROGRESS, LEFT_UNHEALTHY))

# The Destination of a planned move whose host the scheduler will pick.
SCHEDULER = 'scheduler'


@dataclasses.dataclass
class Outcome:
    """One row of the result table."""

    server_id: str
    name: str
    action: str                    # what was done, after any re-decision
    result: str
    source: str | None
    destination: str | None = None
    duration: float = 0.0
    message: str = ''
    # Nothing is left to do for it, so it is not left behind: its owner
    # deleted it, or (restoring) it was moved on since the drain.
    settled: bool = False

    def add_note(self, text):
        """Say more of the row, after what it says already."""
        self.message = '; '.join(filter(None, (self.message, text)))


def planned_outcomes(planned, options):
    """The dry run: what would be done, with nothing changed."""
    outcomes = []
    for p in planned:
        source = p.source.host if p.source else p.server.compute_host
        skipped = p.decision.action == decision.SKIP
        outcomes.append(Outcome(
            p.server.id, p.server.name, p.decision.action,
            SKIPPED if skipped else PLANNED, source,
            None if skipped else _destination(p, options), 0.0,
            p.decision.reason))
    return outcomes


def _destination(planned, options):
    """Where a planned move goes: the model's host, or the scheduler's.

    A VM waiting for a task, or a move that needs no room, has no host
    chosen for it: the scheduler will pick one when it moves.
    """
    if planned.destination:
        return planned.destination
    if options.target_host is not None:
        return options.target_host.host
    return SCHEDULER


def all_done(rows):
    """Every VM moved (or planned, in a dry run), or settled elsewhere.

    A settled VM (deleted by its owner, moved on since a drain) is not
    left behind.
    """
    return all(o.result in (MOVED, PLANNED) or o.settled for o in rows)
