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

"""Progress on stderr, so stdout carries only the result table.

On a terminal, one live line that is rewritten; otherwise one line per
event with a timestamp, so that a cron log tells the story.
"""

import time


class Progress:

    def __init__(self, stream, live=None, clock=time.monotonic):
        self.stream = stream
        # Set to a callable returning {label: count} to show a summary
        # (done, in flight, failed, left) on the live line.
        self.summary = None
        if live is None:
            isatty = getattr(stream, 'isatty', None)
            live = bool(isatty and isatty())
        self.live = live
        self.clock = clock
        self.started = clock()

    def __call__(self, move, text):
        self.event(move.server.name, move.server.id, text)

    def event(self, name, server_id, text):
        elapsed = self.clock() - self.started
        line = '[%6.1fs] %s (%s): %s' % (elapsed, name, server_id, text)
        if self.live:
            if self.summary is not None:
                line = '%s | %s' % (', '.join(
                    '%s %d' % item for item in self.summary().items()), line)
            # \r and "erase line": the next event replaces this one.
            self.stream.write('\r\x1b[K' + line)
        else:
            self.stream.write(line + '\n')
        self.stream.flush()

    def close(self):
        if self.live:
            self.stream.write('\n')
            self.stream.flush()
