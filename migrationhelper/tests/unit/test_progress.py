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

"""Progress on stderr: a live line on a terminal, lines in a log."""

import io
import os

import fixtures
import testtools

from migrationhelper.moving import outcomes
from migrationhelper.moving import progress


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Terminal(io.StringIO):
    """A terminal's stream: what was written, and the lines it shows."""

    def isatty(self):
        return True

    def fileno(self):
        return 2

    def screen(self):
        """Each line as a terminal shows it: a \\r goes back to column 0."""
        lines = []
        for line in self.getvalue().split('\n'):
            shown = ''
            for part in line.split('\r'):
                shown = part + shown[len(part):]
            lines.append(shown.rstrip())
        return lines


class TestProgress(testtools.TestCase):

    def terminal(self, columns=100):
        """A terminal's stream, ``columns`` wide."""
        self.useFixture(fixtures.MockPatch(
            'os.get_terminal_size',
            return_value=os.terminal_size((columns, 24))))
        return Terminal()

    def test_one_line_per_event_for_logs(self):
        stream, clock = io.StringIO(), FakeClock()
        reporter = progress.Progress(stream, live=False, clock=clock)
        clock.now += 2.5
        reporter.event('web-01', 'id-1', 'live-migrating')
        reporter.event('web-01', 'id-1', 'moved')
        reporter.close()
        self.assertEqual(
            '[   2.5s] web-01 (id-1): live-migrating\n'
            '[   2.5s] web-01 (id-1): moved\n', stream.getvalue())

    def test_on_a_terminal_events_stay_above_one_status_line(self):
        stream, clock = self.terminal(), FakeClock()
        reporter = progress.Progress(stream, live=True, clock=clock)
        clock.now += 65
        reporter.status({'moved': 1, 'failed': 0, 'in flight': 2, 'left': 3})
        reporter.event('db-01', 'id-2', 'moved')
        reporter.event('web-01', 'id-1', 'live-migrating')
        reporter.close()
        screen = stream.screen()
        # Both events stay, each on a line of its own; the status line was
        # drawn, then cleared: nothing is left after the last event.
        self.assertEqual(['[  65.0s] db-01 (id-2): moved',
                          '[  65.0s] web-01 (id-1): live-migrating', ''],
                         screen)
        self.assertIn('moved 1, failed 0, in flight 2, left 3 | elapsed '
                      '1:05', stream.getvalue())

    def test_the_status_line_fits_the_terminal(self):
        stream = self.terminal(columns=40)
        reporter = progress.Progress(stream, live=True, clock=FakeClock())
        reporter.status({'moved': 100, 'failed': 100, 'in flight': 100,
                         'left': 100})
        drawn = [part for part in stream.getvalue().split('\r') if part]
        self.assertTrue(drawn)
        for part in drawn:
            self.assertLessEqual(len(part.rstrip()), 40, part)
        reporter.close()

    def test_the_status_text_is_fitted_by_our_own_arithmetic(self):
        # Whatever tqdm does (it shortens only from 4.69 on), the text it
        # is given already fits: one column short of the width.
        counts = {'moved': 100, 'failed': 100, 'in flight': 100, 'left': 100}
        for columns, expected in (
                (100, 'moved 100, failed 100, in flight 100, left 100 | '
                      'elapsed 0:00'),
                (40, 'm 100, f 100, i 100, l 100 | 0:00'),
                (20, 'm 100, f 100, i 100')):
            reporter = progress.Progress(io.StringIO(), live=False,
                                         clock=FakeClock())
            reporter._counts = counts
            with fixtures.MockPatchObject(reporter, '_columns',
                                          return_value=columns):
                self.assertEqual(expected, reporter._status_text())

    def test_after_ctrl_c_it_says_what_goes_on_in_nova(self):
        stream = io.StringIO()
        reporter = progress.Progress(stream, live=False, clock=FakeClock())
        reporter.interrupted([
            outcomes.Outcome('id-1', 'web-01', 'live-migrate',
                             outcomes.IN_PROGRESS, 'cld-nl-01'),
            outcomes.Outcome('id-2', 'db-01', 'live-migrate',
                             outcomes.SKIPPED, 'cld-nl-01'),
        ])
        self.assertEqual(
            'Interrupted: no new move was started, the one move sent '
            'already in Nova goes on; every VM is usable where it is. Run '
            'the same command again to finish.\n'
            '  web-01 (id-1): live-migrate from cld-nl-01\n',
            stream.getvalue())

    def test_a_terminal_is_detected(self):
        self.assertTrue(progress.Progress(Terminal()).live)
        self.assertFalse(progress.Progress(io.StringIO()).live)

    def test_control_characters_in_names_are_escaped(self):
        stream = io.StringIO()
        reporter = progress.Progress(stream, live=False, clock=FakeClock())
        reporter.event('evil\x1b[2J\rname\nx', 'id-4', 'moved')
        self.assertEqual(
            '[   0.0s] evil\\x1b[2J\\x0dname\\x0ax (id-4): moved\n',
            stream.getvalue())

    def test_names_are_printed_as_they_are(self):
        stream = io.StringIO()
        reporter = progress.Progress(stream, live=False, clock=FakeClock())
        reporter.event('$(rm -rf /) `id` "q"', 'id-3', 'moved')
        self.assertIn('$(rm -rf /) `id` "q" (id-3)', stream.getvalue())
