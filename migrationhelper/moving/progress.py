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

Every event of a VM's story (issued, retried, confirmed, moved) is a line
that stays: the time since the start, the VM, what happened. On a
terminal one status line sits below them (done, in flight, failed, left,
elapsed), rewritten in place, fitted to the terminal's width as it
changes, and cleared at the end, so that the table starts on a clean
screen: tqdm draws it, imported only then. Off a terminal (cron,
``| tee``) the events are plain lines and nothing else.
"""

import os
import time

from migrationhelper.i18n import _


def printable(text):
    """``text`` with control characters escaped: names are data.

    A VM name or a fault message could otherwise move the cursor, clear
    the screen or break one event into several lines.
    """
    return ''.join(map(_escaped, text))


def _escaped(char):
    if char.isprintable():
        return char
    return ('\\x%02x' if ord(char) < 0x100 else '\\u%04x') % ord(char)


def _elapsed(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return '%d:%02d:%02d' % (hours, minutes, seconds)
    return '%d:%02d' % (minutes, seconds)


class Progress:
    """Where the engine tells what happens: ``progress(task, text)``."""

    def __init__(self, stream, live=None, clock=time.monotonic):
        self.stream = stream
        if live is None:
            isatty = getattr(stream, 'isatty', None)
            live = bool(isatty and isatty())
        self.live = live
        self.clock = clock
        self.started = clock()
        self._counts = None
        self._line = None       # the status line's tqdm, once drawn
        # What the counts are of, before them (a roll's wave and phases).
        self.title = ''

    def __call__(self, move, text):
        self.event(move.server.name, move.server.id, text)

    def event(self, name, server_id, text):
        """One line of a VM's story, above the status line if there is one."""
        self.note('%s (%s): %s' % (name, server_id, text))

    def note(self, text):
        """A line of the run's own story (a roll's waves), as an event's."""
        line = printable('[%6.1fs] %s' % (self.clock() - self.started, text))
        if self.live:
            # Clears the status line, writes the line, draws it again.
            self._status_line().write(line, file=self.stream)
        else:
            self.stream.write(line + '\n')
            self.stream.flush()

    def status(self, counts):
        """The status line's numbers: {label: count}, shown on a terminal."""
        self._counts = counts
        if self.live:
            self._status_line().set_description_str(
                self._status_text(), refresh=True)

    def redraw(self):
        """The status line again: its title or its elapsed time changed."""
        self.status(self._counts)

    def interrupted(self, rows):
        """After Ctrl-C: what goes on in Nova, before the table."""
        from migrationhelper.moving import outcomes
        self.close()
        moving = [o for o in rows if o.result == outcomes.IN_PROGRESS]
        self.stream.write(_(
            'Interrupted: no new move was started, %(moving)s sent already '
            'in Nova goes on; every VM is usable where it is. Run the same '
            'command again to finish.\n') % {
            'moving': (_('the one move') if len(moving) == 1 else
                       _('each of the %d moves') % len(moving))})
        for outcome in moving:
            self.stream.write(printable('  %s (%s): %s from %s' % (
                outcome.name, outcome.server_id, outcome.action,
                outcome.source)) + '\n')
        self.stream.flush()

    def close(self):
        """Clear the status line: the table starts on a clean line."""
        if self._line is None:
            return
        self._line.close()
        self._line = None
        # A ^C the terminal echoed after the status line is past what
        # tqdm clears: blank the whole row.
        self.stream.write('\r%s\r' % (' ' * (self._columns() - 1)))
        self.stream.flush()

    def _status_text(self):
        """The numbers, fitted to the terminal by our own arithmetic.

        One column short of the width, so that the cursor never wraps; the
        labels shortened to their first letter when they do not fit, then
        cut. tqdm shortens a line only from 4.69 on, and distributions
        ship older ones.
        """
        width = self._columns() - 1
        elapsed = _elapsed(self.clock() - self.started)
        items = list((self._counts or {}).items())
        for short in (False, True):
            counts = ', '.join('%s %d' % (label[:1] if short else label, n)
                               for label, n in items)
            clock = elapsed if short else _('elapsed %s') % elapsed
            text = '%s | %s' % (counts, clock) if counts else clock
            if self.title:
                text = '%s | %s' % (self.title, text)
            if len(text) <= width:
                return text
        return text[:max(width, 1)]

    def _status_line(self):
        if self._line is None:
            import tqdm
            # No monitor thread: only this thread writes to the terminal.
            tqdm.tqdm.monitor_interval = 0
            self._line = tqdm.tqdm(
                file=self.stream, bar_format='{desc}', dynamic_ncols=True,
                leave=False, mininterval=0, miniters=1,
                desc=self._status_text())
        return self._line

    def _columns(self):
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            return 80
