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

"""What an operator sees: `openstack host drain` in a real terminal.

tmux runs the command in a pane of a fixed width, against the test cloud
over loopback HTTP, and the test reads the screen as a person would: every
VM's story is there, line by line, no status line is left half
overwritten, and the result table is intact.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import fixtures
import testtools

from tests.functional import base

HOST, OTHER, THIRD = base.HOSTS
CLOUD = 'terminal'
# Long enough to fill a status line on its own.
LONG_NAME = 'customer-portal-frontend-with-a-name-longer-than-any-status-line'
EVENT = re.compile(r'^\[ *\d+\.\ds\] ')
EXIT = re.compile(r'^EXIT=(\d+)$', re.MULTILINE)
# What only the status line shows: none of it may be left on the screen.
STATUS = re.compile(r'moved \d+, skipped \d+|elapsed \d+:\d\d')
SCREEN_TIMEOUT = 300


@testtools.skipUnless(shutil.which('tmux'), 'tmux is not installed')
class TerminalTestCase(base.NovaCloudTestCase):

    def setUp(self):
        super().setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = base.serve_over_http(self, self.directory, CLOUD)
        self.socket = os.path.join(self.directory, 'tmux.sock')

    def tmux(self, *argv):
        return subprocess.run(
            ['tmux', '-S', self.socket, '-f', os.devnull] + list(argv),
            check=True, capture_output=True, text=True, timeout=30).stdout

    def run_in_terminal(self, columns, *argv):
        """Start ``openstack *argv`` in a pane ``columns`` wide."""
        script = os.path.join(self.directory, 'command.sh')
        with open(script, 'w') as f:
            # The pane stays after the command so that it can be read. A
            # trap (not an ignored signal, which the command would inherit)
            # keeps the shell alive through Ctrl-C to say the exit status.
            f.write("trap 'true' INT\n\"$@\"\necho \"EXIT=$?\"\n"
                    "exec sleep %d\n" % SCREEN_TIMEOUT)
        openstack = os.path.join(os.path.dirname(sys.executable),
                                 'openstack')
        env = {
            'OS_CLIENT_CONFIG_FILE': self.clouds_yaml, 'OS_CLOUD': CLOUD,
            'OS_TOKEN': base.ADMIN_TOKEN, 'LANG': 'C.UTF-8',
            'HOME': self.directory,
        }
        self.tmux('new-session', '-d', '-s', 'operator', '-x', str(columns),
                  '-y', '50', *('-e%s=%s' % item for item in env.items()),
                  'sh', script, openstack, *argv)
        self.addCleanup(self.tmux, 'kill-server')
        self.tmux('set-option', '-g', 'history-limit', '5000')

    def screen(self):
        """Every line of the pane, scrollback included, as shown.

        A line the terminal wrapped is joined again (-J).
        """
        rows = [row.rstrip() for row in self.tmux(
            'capture-pane', '-p', '-J', '-t', 'operator',
            '-S', '-5000').split('\n')]
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def wait_for(self, pattern):
        deadline = time.monotonic() + SCREEN_TIMEOUT
        while time.monotonic() < deadline:
            screen = '\n'.join(self.screen())
            match = re.search(pattern, screen, re.MULTILINE)
            if match:
                return match
            time.sleep(0.2)
        self.fail('%r never appeared:\n%s' % (pattern, screen))

    def finished(self):
        """The screen once the command ended, and its exit status."""
        exit_status = int(self.wait_for(EXIT.pattern).group(1))
        return self.screen(), exit_status

    def assertStoriesTold(self, rows, servers):
        """Each VM's events, whole, and no status line left behind."""
        for server, story in servers:
            told = [line for line in rows
                    if '(%s): ' % server['id'] in line and EVENT.match(line)]
            for event in story:
                self.assertTrue(any(event in line for line in told),
                                '%s: no %r in\n%s' % (server['name'], event,
                                                      '\n'.join(rows)))
        for row in rows:
            self.assertIsNone(STATUS.search(row), '\n'.join(rows))
            self.assertNotIn('^C', row)

    def assertTableIntact(self, rows, servers, columns):
        """A rectangle of | and + rows, in one piece, naming every VM.

        Never wider than the terminal: a row the terminal wrapped is
        joined again by screen(), so a wrapped row is longer than
        ``columns``. Names first, then the IDs' first characters.
        """
        table = [r for r in rows if r[:1] in ('+', '|')]
        self.assertTrue(table, '\n'.join(rows))
        self.assertEqual(1, len({len(r) for r in table}), '\n'.join(table))
        self.assertLessEqual(len(table[0]), columns, '\n'.join(table))
        first = rows.index(table[0])
        self.assertEqual(table, rows[first:first + len(table)],
                         'the table is interrupted:\n' + '\n'.join(rows))
        headings = [h.strip() for h in table[1].split('|')[1:-1]]
        self.assertEqual(['Name', 'ID'], headings[:2], table[1])
        # The ID column, read down.
        ids = ''.join(r.split('|')[2].strip() for r in table[3:]
                      if r.startswith('|'))
        for server in servers:
            self.assertIn(server['id'][:8], ids, '\n'.join(table))


class TestDrainOnATerminal(TerminalTestCase):

    def drain_in_terminal(self, columns):
        servers = [
            (self.create_active(LONG_NAME, HOST),
             ('live-migrating to', 'moved')),
            (self.create_shutoff('old-build', HOST),
             ('cold-migrating to', 'confirming the resize', 'moved')),
            (self.create_failed_migration('half-moved', HOST),
             ('resetting state to active', 'moved')),
        ]
        self.run_in_terminal(columns, 'host', 'drain', HOST)
        rows, exit_status = self.finished()
        self.assertEqual(0, exit_status, '\n'.join(rows))
        self.assertStoriesTold(rows, servers)
        self.assertTableIntact(rows, [s for s, _story in servers], columns)
        # The host's closing line is what the operator reads last.
        text = '\n'.join(rows)
        closing = '%s: service disabled; 3 VMs moved, 0 left' % HOST
        self.assertGreater(text.index(closing), text.rindex('+---'), text)
        self.assertEqual([], self.nova_servers_on(HOST))

    def test_80_columns(self):
        self.drain_in_terminal(80)

    def smart_migrate_in_terminal(self, columns):
        servers = [self.create_active(LONG_NAME, HOST),
                   self.create_shutoff('old-build', HOST)]
        self.run_in_terminal(columns, 'server', 'smart-migrate',
                             *[s['id'] for s in servers])
        rows, exit_status = self.finished()
        self.assertEqual(0, exit_status, '\n'.join(rows))
        self.assertStoriesTold(rows, [
            (servers[0], ('live-migrating to', 'moved')),
            (servers[1], ('cold-migrating to', 'moved'))])
        self.assertTableIntact(rows, servers, columns)
        self.assertEqual([], self.nova_servers_on(HOST))

    def test_smart_migrate_80_columns(self):
        self.smart_migrate_in_terminal(80)

    def test_smart_migrate_100_columns(self):
        self.smart_migrate_in_terminal(100)

    def restore_in_terminal(self, columns):
        servers = [self.create_active(LONG_NAME, HOST),
                   self.create_shutoff('old-build', HOST)]
        drained = self.openstack('host', 'drain', HOST)
        self.assertEqual(0, drained.exit_code, drained)
        self.run_in_terminal(columns, 'host', 'undrain', '--restore', HOST)
        rows, exit_status = self.finished()
        self.assertEqual(0, exit_status, '\n'.join(rows))
        self.assertStoriesTold(rows, [
            (servers[0], ('live-migrating to %s' % HOST, 'moved')),
            (servers[1], ('cold-migrating to %s' % HOST, 'moved'))])
        self.assertTableIntact(rows, servers, columns)
        self.assertEqual(sorted(s['id'] for s in servers),
                         sorted(s['id'] for s in self.nova_servers_on(HOST)))

    def test_undrain_restore_80_columns(self):
        self.restore_in_terminal(80)

    def test_undrain_restore_100_columns(self):
        self.restore_in_terminal(100)

    def test_100_columns(self):
        self.drain_in_terminal(100)

    def test_ctrl_c_leaves_a_clean_screen_and_says_what_goes_on(self):
        held = self.create_active(LONG_NAME, HOST)
        waiting = self.create_active('web-02', HOST)
        with self.live_migration_held(HOST):
            self.run_in_terminal(100, 'host', 'drain', HOST,
                                 '--max-parallel', '1')
            self.wait_for(r'\(%s\): live-migrating to' % held['id'])
            # Let the status line be drawn after the event.
            time.sleep(1)
            self.tmux('send-keys', '-t', 'operator', 'C-c')
            rows, exit_status = self.finished()
        self.assertEqual(130, exit_status, '\n'.join(rows))
        self.assertStoriesTold(rows, [(held, ('live-migrating to',))])
        text = '\n'.join(rows)
        self.assertIn('Interrupted: no new move was started, the one move '
                      'sent', text)
        self.assertIn('%s (%s): live-migrate from %s' % (
            LONG_NAME, held['id'], HOST), text)
        self.assertLess(text.index('Interrupted:'), text.index('+---'))
        self.assertTableIntact(rows, [held, waiting], 100)


class TestReadingOnATerminal(TerminalTestCase):
    """host vms (and --long) and host status fit 80 and 100 columns."""

    def setUp(self):
        super().setUp()
        self.servers = [self.create_active(LONG_NAME, HOST),
                        self.create_shutoff('old-build', HOST),
                        self.create_paused('paused', HOST)]

    def shown(self, columns, *argv):
        self.run_in_terminal(columns, *argv)
        rows, exit_status = self.finished()
        self.assertEqual(0, exit_status, '\n'.join(rows))
        return rows

    def host_vms_fit(self, columns):
        rows = self.shown(columns, 'host', 'vms', HOST)
        self.assertTableIntact(rows, self.servers, columns)

    def host_status_fits(self, columns):
        rows = self.shown(columns, 'host', 'status', HOST)
        table = [r for r in rows if r[:1] in ('+', '|')]
        self.assertTrue(table, '\n'.join(rows))
        for row in table:
            self.assertLessEqual(len(row), columns, '\n'.join(table))
        # Allocations counted by kind: one line, not one per VM.
        [allocations] = [r for r in table if '| Allocations' in r]
        self.assertIn('vm 3', allocations)

    def test_host_vms_80_columns(self):
        self.host_vms_fit(80)

    def test_host_vms_100_columns(self):
        self.host_vms_fit(100)

    def test_host_vms_long_80_columns(self):
        rows = self.shown(80, 'host', 'vms', HOST, '--long')
        self.assertTableIntact(rows, self.servers, 80)

    def test_host_vms_long_100_columns(self):
        rows = self.shown(100, 'host', 'vms', HOST, '--long')
        self.assertTableIntact(rows, self.servers, 100)
        headings = [r for r in rows if r.startswith('| Name')]
        self.assertIn('Flavor', headings[0])
        self.assertIn('Project', headings[0])

    def test_host_status_80_columns(self):
        self.host_status_fits(80)

    def test_host_status_100_columns(self):
        self.host_status_fits(100)


class TestRollOnATerminal(TerminalTestCase):

    def roll_in_terminal(self, columns):
        web = self.create_active(LONG_NAME, HOST)
        db = self.create_shutoff('old-build', OTHER)
        self.run_in_terminal(columns, 'host', 'roll', HOST, OTHER,
                             '--exec', 'true', '--log-dir', self.directory)
        rows, exit_status = self.finished()
        text = '\n'.join(rows)
        self.assertEqual(0, exit_status, text)
        # The roll's own story and each VM's, as event lines.
        for line in ('wave 1: %s' % HOST, 'maintaining %s' % HOST,
                     '%s maintained and reopened' % OTHER):
            self.assertTrue(any(line in r and EVENT.match(r) for r in rows),
                            '%r not told:\n%s' % (line, text))
        self.assertStoriesTold(rows, [(web, ('live-migrating to', 'moved')),
                                      (db, ('cold-migrating to', 'moved'))])
        # No status line left behind, the roll's included.
        for row in rows:
            self.assertNotIn('hosts maintained', row, text)
        table = [r for r in rows if r[:1] in ('+', '|')]
        self.assertEqual(1, len({len(r) for r in table}), text)
        self.assertLessEqual(len(table[0]), columns, text)
        self.assertEqual(['Host', 'Wave', 'Result', 'VMs Moved', 'Message'],
                         [h.strip() for h in table[1].split('|')[1:-1]])
        closing = '2 moves of 2 VMs (1.00 per VM moved)'
        self.assertGreater(text.index(closing), text.rindex('+---'), text)

    def test_roll_80_columns(self):
        self.roll_in_terminal(80)

    def test_roll_100_columns(self):
        self.roll_in_terminal(100)
