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

"""A task's place in the engine's limits, kept by the task and the engine.

The engine runs at most so many moves per kind and source host (its
lanes) and ``--max-parallel`` in all. A task holds its lane while it uses
the source; it stands by, holding none and not counted in flight, while
someone else's task runs on its VM; it asks for a lane again when it has
something to send, and the engine grants it.
"""


class Lane:

    def __init__(self, kind, source):
        self.kind = kind
        self.source = source
        self.holds = True
        self.standing_by = False
        self.wants = False

    @property
    def key(self):
        """(kind, source host): the limit that applies."""
        return (self.kind, self.source)

    @property
    def in_flight(self):
        """Counted against --max-parallel."""
        return not (self.standing_by or self.wants)

    def stand_by(self):
        """Someone else's task runs: hold no lane meanwhile."""
        self.holds = False
        self.standing_by = True

    def stop_standing_by(self):
        self.standing_by = False

    def ask(self, kind):
        """Ask the engine for a lane of ``kind``; granted by grant()."""
        self.kind = kind
        self.wants = True

    def grant(self):
        self.holds = True
        self.wants = False
        self.standing_by = False

    def leave(self):
        """The source's part is over: the engine may start the next move."""
        self.holds = False
