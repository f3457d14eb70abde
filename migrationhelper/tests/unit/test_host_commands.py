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
from openstack import exceptions as sdk_exceptions
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
    def __init__(self, name, metadata=None, hosts=()):
        self.id = name
        self.name = name
        self.metadata = dict(metadata or {})
        self.hosts = list(hosts)


class FakeCompute:
    """Nova's aggregates: unique names; a host is in one at most once."""

    def __init__(self):
        self.by_name = {}

    def aggregates(self):
        return list(self.by_name.values())

    def create_aggregate(self, name):
        if name in self.by_name:
            raise sdk_exceptions.ConflictException()
        self.by_name[name] = FakeAggregate(name)
        return self.by_name[name]

    def get_aggregate(self, aggregate_id):
        return self.by_name[aggregate_id]

    def set_aggregate_metadata(self, aggregate, metadata):
        kept = self.by_name[aggregate.id].metadata
        for key, value in metadata.items():
            if value is None:
                kept.pop(key, None)
            else:
                kept[key] = value
        return self.by_name[aggregate.id]

    def add_host_to_aggregate(self, aggregate, host):
        found = self.by_name[aggregate.id]
        if host in found.hosts:
            raise sdk_exceptions.ConflictException()
        found.hosts.append(host)
        return found

    def remove_host_from_aggregate(self, aggregate, host):
        found = self.by_name[aggregate.id]
        if host not in found.hosts:
            raise sdk_exceptions.NotFoundException()
        found.hosts.remove(host)
        return found


class TestRecord(testtools.TestCase):

    def test_a_step_reads_back_as_written(self):
        step = roll_record.Step(roll_record.Step.RESTORING, 2,
                                'exit status 1', '2026-12-04T10:00:00Z')
        back = roll_record.Step.parse(str(step))
        self.assertEqual(('restoring', 2, 'exit status 1',
                          '2026-12-04T10:00:00Z'),
                         (back.name, back.wave, back.failure, back.since))
        plain = roll_record.Step.parse('draining 1')
        self.assertEqual(('draining', 1, None, None),
                         (plain.name, plain.wave, plain.failure,
                          plain.since))

    def test_steps_of_hosts_mid_way(self):
        record = roll_record.Record(None, FakeAggregate('r', {
            roll_record.STEP + 'cmp-01': 'maintained 1',
            roll_record.STATE: roll_record.RUNNING}))
        self.assertEqual(['cmp-01'], list(record.steps()))
        self.assertEqual(roll_record.RUNNING, record.state)


class TestLease(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.compute = FakeCompute()

    def lease(self, holder):
        return roll_record.Lease(self.compute, 'default', holder, 'cmp-01')

    def test_one_run_holds_it_the_second_is_refused(self):
        first = self.lease('first')
        first.take()
        self.assertEqual('first', first.current()[0])
        second = self.lease('second')
        held = self.assertRaises(roll_record.Held, second.take)
        self.assertEqual('first', held.holder)
        error = self.assertRaises(exceptions.CommandError, roll.check_lease,
                                  second)
        self.assertIn('Roll default is running (first holds it',
                      str(error))
        # Released, it is free again.
        first.release()
        self.assertEqual((None, None), second.current())
        second.take()
        self.assertEqual('second', second.current()[0])

    def test_a_run_adding_the_host_first_wins_a_race(self):
        first, second = self.lease('first'), self.lease('second')
        aggregate = self.compute.create_aggregate(first.name)
        # "second" read no holder, then "first" took it: second's
        # addition of the host fails, and it is refused.
        real_add = self.compute.add_host_to_aggregate

        def add_after_first(aggregate, host):
            self.compute.add_host_to_aggregate = real_add
            first.take()
            return real_add(aggregate, host)
        self.compute.add_host_to_aggregate = add_after_first
        self.assertRaises(roll_record.Held, second.take)
        self.assertEqual(['cmp-01'], aggregate.hosts)
        self.assertEqual('first', first.current()[0])

    def test_a_lapsed_lease_is_taken_over(self):
        self.lease('killed').take()
        lapsed = (roll_record.now() - datetime.timedelta(seconds=5)).strftime(
            '%Y-%m-%dT%H:%M:%SZ')
        self.compute.by_name[self.lease('x').name].metadata[
            roll_record.LEASE] = '%s killed' % lapsed
        roll.check_lease(self.lease('new'))
        taker = self.lease('new')
        taker.take()
        self.assertEqual('new', taker.current()[0])
