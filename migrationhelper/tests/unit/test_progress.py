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

import testtools

from migrationhelper import progress


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class TestProgress(testtools.TestCase):

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

    def test_live_line_is_rewritten_with_the_counts(self):
        stream, clock = io.StringIO(), FakeClock()
        reporter = progress.Progress(stream, live=True, clock=clock)
        reporter.summary = lambda: {'done': 1, 'failed': 0,
                                    'in flight': 2, 'left': 3}
        reporter.event('db-01', 'id-2', 'moved')
        reporter.close()
        self.assertEqual(
            '\r\x1b[Kdone 1, failed 0, in flight 2, left 3 | '
            '[   0.0s] db-01 (id-2): moved\n', stream.getvalue())

    def test_a_terminal_is_detected(self):
        class Terminal(io.StringIO):
            def isatty(self):
                return True
        self.assertTrue(progress.Progress(Terminal()).live)
        self.assertFalse(progress.Progress(io.StringIO()).live)

    def test_names_are_printed_as_they_are(self):
        stream = io.StringIO()
        reporter = progress.Progress(stream, live=False, clock=FakeClock())
        reporter.event('$(rm -rf /) `id` "q"', 'id-3', 'moved')
        self.assertIn('$(rm -rf /) `id` "q" (id-3)', stream.getvalue())
