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

"""A roll's --exec and --check: words, never a shell; timeouts; record."""

import datetime
import os
import sys

import fixtures
from osc_lib import exceptions
import testtools

from migrationhelper.cloud import hosts
from migrationhelper.cloud import roll_record
from migrationhelper.workflows import host_commands
from migrationhelper.workflows import roll

HOST = hosts.ComputeHost('cmp-01.example.org',
                         hypervisor_hostnames=('node-01.example.org',))


class TestWords(testtools.TestCase):

    def test_split_as_a_shell_would_then_replaced_in_each_word(self):
        words = host_commands.split(
            'ssh "root@{host}" patch --node={hypervisor} "two words"')
        argv, env = host_commands.for_host(words, HOST, 3)
        self.assertEqual(['ssh', 'root@cmp-01.example.org', 'patch',
                          '--node=node-01.example.org', 'two words'], argv)
        self.assertEqual('cmp-01.example.org', env['MIGRATIONHELPER_HOST'])
        self.assertEqual('3', env['MIGRATIONHELPER_WAVE'])

    def test_a_host_name_is_one_word_whatever_it_holds(self):
        odd = hosts.ComputeHost('a b;$(touch x)')
        argv, _env = host_commands.for_host(['echo', '{host}'], odd, 1)
        self.assertEqual(['echo', 'a b;$(touch x)'], argv)

    def test_empty_and_unbalanced_lines_are_refused(self):
        self.assertRaises(ValueError, host_commands.split, '  ')
        self.assertRaises(ValueError, host_commands.split, 'echo "open')


class TestRunAll(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path

    def python(self, code):
        return [sys.executable, '-c', code]

    def test_side_by_side_with_output_kept_and_failures_told(self):
        logs = {k: os.path.join(self.directory, k) for k in ('ok', 'bad')}
        ran = host_commands.run_all({
            'ok': (self.python('print("patched")'), None, logs['ok']),
            'bad': (self.python(
                'import sys\nfor i in range(9): print("line", i)\n'
                'sys.exit(4)'), None, logs['bad'])}, timeout=60)
        self.assertTrue(ran['ok'].ok)
        with open(logs['ok']) as f:
            self.assertEqual('patched\n', f.read())
        self.assertFalse(ran['bad'].ok)
        self.assertEqual('exit status 4', ran['bad'].why)
        self.assertEqual('\n'.join('line %d' % i for i in range(4, 9)),
                         ran['bad'].tail)

    def test_a_command_past_its_timeout_is_stopped(self):
        ran = host_commands.run_all(
            {'slow': (self.python('import time; time.sleep(60)'), None,
                      None)}, timeout=1)
        self.assertFalse(ran['slow'].ok)
        self.assertIn('timed out', ran['slow'].why)
        self.assertLess(ran['slow'].seconds, 10)

    def test_a_command_that_does_not_exist_fails_with_why(self):
        ran = host_commands.run_all(
            {'x': (['/nonexistent/patch'], None, None)}, timeout=5)
        self.assertFalse(ran['x'].ok)
        self.assertIn('could not run /nonexistent/patch', ran['x'].why)


class FakeAggregate:
    def __init__(self, metadata):
        self.name = 'migrationhelper-roll-default'
        self.metadata = metadata
        self.hosts = []


class TestRecord(testtools.TestCase):

    def test_a_step_reads_back_as_written(self):
        step = roll_record.Step(roll_record.Step.MAINTAINING, 2,
                                'exit status 1')
        back = roll_record.Step.parse(str(step))
        self.assertEqual(('maintaining', 2, 'exit status 1'),
                         (back.name, back.wave, back.failure))
        self.assertIsNone(roll_record.Step.parse('draining 1').failure)

    def test_the_lease_reads_back_with_its_holder(self):
        until = roll_record.now().replace(microsecond=0)
        record = roll_record.Record(None, FakeAggregate({
            roll_record.LEASE: '%s ops@ws/12/abc' % until.strftime(
                '%Y-%m-%dT%H:%M:%SZ')}))
        self.assertEqual(('ops@ws/12/abc', until), record.lease())
        self.assertEqual((None, None),
                         roll_record.Record(None, FakeAggregate({})).lease())

    def test_steps_of_hosts_mid_way(self):
        record = roll_record.Record(None, FakeAggregate({
            roll_record.STEP + 'cmp-01': 'maintained 1',
            roll_record.STATE: roll_record.RUNNING}))
        self.assertEqual(['cmp-01'], list(record.steps()))
        self.assertEqual(roll_record.RUNNING, record.state)


class TestLease(testtools.TestCase):

    def lease(self, seconds, holder='other'):
        until = roll_record.now() + datetime.timedelta(seconds=seconds)
        return roll_record.Record(None, FakeAggregate({
            roll_record.LEASE: '%s %s' % (until.strftime(
                '%Y-%m-%dT%H:%M:%SZ'), holder)}))

    def test_a_lease_someone_else_holds_refuses(self):
        error = self.assertRaises(exceptions.CommandError, roll.check_lease,
                                  self.lease(120), 'me')
        self.assertIn('Roll default is running (other holds it', str(error))

    def test_an_expired_lease_or_our_own_does_not(self):
        roll.check_lease(self.lease(-5), 'me')
        roll.check_lease(self.lease(120, 'me'), 'me')
