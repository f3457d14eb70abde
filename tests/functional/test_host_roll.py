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

"""`openstack host roll` against a real Nova with four nova-computes."""

import json
import os
import sys
import time

import fixtures

from tests.functional import base
from tests.functional import cases

HOSTS = base.HOSTS + ('cld-nl-04.pd.infn.it',)
ONE, TWO, THREE, FOUR = HOSTS
RECORD = 'migrationhelper-roll-default'
SSD = 'CUSTOM_SSD'

# The maintenance: asks Nova (over HTTP, as the roll) how its host looks
# while it runs, writes that down, and fails for a host named in a file
# of failures.
MAINTENANCE = '''
import json, os, subprocess, sys
host, journal = sys.argv[1], sys.argv[2]
status = subprocess.run(['openstack', 'host', 'status', host, '-f', 'json'],
                        capture_output=True, text=True)
seen = json.loads(status.stdout) if status.returncode == 0 else {}
with open(journal, 'a') as f:
    f.write(json.dumps({
        'host': host, 'env': os.environ.get('MIGRATIONHELPER_HOST'),
        'wave': os.environ.get('MIGRATIONHELPER_WAVE'),
        'service': seen.get('Service Status'), 'vms': seen.get('VMs'),
        'placement_empty': seen.get('Placement Empty')}) + '\\n')
failing = os.path.join(os.path.dirname(journal), 'fail-' + host)
if os.path.exists(failing):
    print('firmware update failed on', host)
    sys.exit(2)
'''

# A maintenance that only writes its host down (in-process rolls, where
# no API is served over HTTP), failing likewise.
QUIET_MAINTENANCE = '''
import os, sys
host, journal = sys.argv[1], sys.argv[2]
with open(journal, 'a') as f:
    f.write(host + '\\n')
failing = os.path.join(os.path.dirname(journal), 'fail-' + host)
if os.path.exists(failing):
    print('firmware update failed on', host)
    sys.exit(2)
hold = os.path.join(os.path.dirname(journal), 'hold')
while os.path.exists(hold):
    import time
    time.sleep(0.2)
'''


# A maintenance during which an operator closes the SSD hosts.
CLOSES_THE_SSD_HOSTS = '''
import subprocess, sys
for host in sys.argv[3:]:
    subprocess.run(['openstack', 'compute', 'service', 'set', '--disable',
                    '--disable-reason', 'rack power work', host,
                    'nova-compute'], check=True)
'''


class RollHelpers:

    def write_script(self, text):
        path = os.path.join(self.directory, 'maintain.py')
        with open(path, 'w') as f:
            f.write(text)
        self.journal = os.path.join(self.directory, 'journal')
        return '%s %s {host} %s' % (sys.executable, path, self.journal)

    def journal_lines(self):
        if not os.path.exists(self.journal):
            return []
        with open(self.journal) as f:
            return f.read().splitlines()

    def moves_per_server(self):
        counts = {}
        for m in self.migrations():
            counts[m['instance_uuid']] = counts.get(m['instance_uuid'], 0) + 1
        return counts

    def record(self):
        for aggregate in self.admin_api.api_get(
                '/os-aggregates').body['aggregates']:
            if aggregate['name'] == RECORD:
                return aggregate
        return None


class TestRollProcess(RollHelpers, base.ProcessTestCase):
    """The roll as an `openstack` process over loopback HTTP."""

    hosts = HOSTS

    def setUp(self):
        super().setUp()
        self.clouds_yaml = base.serve_over_http(self, self.directory,
                                                base.PROCESS_CLOUD)

    def test_every_host_maintained_once_each_vm_moved_once(self):
        servers = {
            'web-1': (self.create_active('web-1', ONE), 'ACTIVE'),
            'web-2': (self.create_active('web-2', TWO), 'ACTIVE'),
            'db-1': (self.create_shutoff('db-1', TWO), 'SHUTOFF'),
            'batch': (self.create_paused('batch', FOUR), 'PAUSED'),
            'cache': (self.create_active('cache', FOUR), 'ACTIVE'),
        }
        command = self.write_script(MAINTENANCE)

        result = self.run_openstack('host', 'roll', *HOSTS, '--exec',
                                    command, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        rows = {r['Host']: r for r in json.loads(result.stdout)}
        self.assertEqual({'maintained'},
                         {r['Result'] for r in rows.values()})
        # The empty host first, then fewer VMs first.
        self.assertEqual(1, rows[THREE]['Wave'])
        self.assertEqual(2, rows[ONE]['Wave'])
        self.assertEqual(5, sum(r['VMs Moved'] for r in rows.values()))
        # Each VM moved exactly once, to a host the roll had maintained.
        per_server = self.moves_per_server()
        for name, (server, status) in servers.items():
            self.assertEqual(1, per_server.get(server['id']), name)
            nova = self.nova_server(server['id'])
            self.assertEqual(status, nova['status'], name)
            self.assertIsNone(nova['OS-EXT-STS:task_state'], name)
        for m in self.migrations():
            self.assertLess(rows[m['dest_compute']]['Wave'],
                            rows[m['source_compute']]['Wave'], m)
        self.assertIn('5 moves of 5 VMs (1.00 per VM moved)', result.stderr)
        # The maintenance ran once per host, while Nova showed it disabled
        # and empty, in Nova's listing and in placement.
        seen = [json.loads(line) for line in self.journal_lines()]
        self.assertEqual(sorted(HOSTS), sorted(s['host'] for s in seen))
        for one in seen:
            self.assertEqual(one['host'], one['env'])
            self.assertEqual(('disabled', 0, True),
                             (one['service'], one['vms'],
                              one['placement_empty']), one)
        for host in HOSTS:
            self.assertEqual('enabled', self.service(host)['status'], host)
        record = self.record()
        self.assertEqual(sorted(HOSTS), sorted(record['hosts']))
        self.assertEqual('finished', record['metadata']['roll_state'])
        self.assertNotIn('roll_lease', record['metadata'])

    def test_a_second_roll_of_the_same_name_is_refused(self):
        self.create_active('web-1', ONE)
        command = self.write_script(QUIET_MAINTENANCE)
        hold = os.path.join(self.directory, 'hold')
        open(hold, 'w').close()
        first = self.start_openstack('host', 'roll', ONE, TWO, '--exec',
                                     command, '-f', 'json')
        # The first holds its maintenance until the second was refused.
        for _ in range(600):
            if self.journal_lines():
                break
            time.sleep(0.2)
        self.assertTrue(self.journal_lines(), 'the first roll never started')

        second = self.run_openstack('host', 'roll', ONE, TWO, '--exec',
                                    command)
        os.remove(hold)
        done = self.finish(first)

        self.assertEqual(1, second.exit_code, second)
        self.assertIn('Roll default is running', second.stderr)
        self.assertEqual(0, done.exit_code, done)
        self.assertEqual(2, len(self.journal_lines()))

    def test_a_wave_that_no_longer_fits_stops_before_it_changes_anything(self):
        for host in (TWO, THREE, FOUR):
            self.add_traits(host, SSD)
        ssd = self.create_flavor_with('ssd', {'trait:%s' % SSD: 'required'})
        self.create_active('web', ONE)
        on_two = [self.create_active('db-%d' % i, TWO, flavor=ssd)
                  for i in range(2)]
        path = os.path.join(self.directory, 'close.py')
        with open(path, 'w') as f:
            f.write(CLOSES_THE_SSD_HOSTS)
        self.journal = os.path.join(self.directory, 'journal')

        result = self.run_openstack(
            'host', 'roll', ONE, TWO, '--exec',
            '%s %s {host} - %s %s' % (sys.executable, path, THREE, FOUR),
            '-f', 'json')

        self.assertEqual(3, result.exit_code, result)
        rows = {r['Host']: r for r in json.loads(result.stdout)}
        self.assertEqual('maintained', rows[ONE]['Result'])
        self.assertEqual('pending', rows[TWO]['Result'])
        self.assertIn('not started: the wave no longer fits',
                      rows[TWO]['Message'])
        self.assertIn('Wave 2 no longer fits the cloud as it is now',
                      result.stderr)
        self.assertIn('needs trait %s' % SSD, result.stderr)
        # Nothing of wave 2 changed.
        self.assertEqual('enabled', self.service(TWO)['status'])
        for server in on_two:
            self.assertEqual(TWO, self.host_of(server))
        self.assertNotIn('roll_step:' + TWO, self.record()['metadata'])
        self.assertEqual([ONE], self.record()['hosts'])


class TestRoll(RollHelpers, cases.MovingTestCase):
    """The roll in this process: refusals, failures, resumes, steps."""

    hosts = HOSTS

    def setUp(self):
        super().setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path

    def roll(self, *argv, expect=0):
        result = self.openstack('host', 'roll', *argv, '--log-dir',
                                self.directory, '-f', 'json')
        self.assertEqual(expect, result.exit_code, result)
        return result

    def rows(self, result):
        return {r['Host']: r for r in result.json()}

    def assert_untouched(self, *hosts):
        for host in hosts:
            self.assertEqual('enabled', self.service(host)['status'], host)
        self.assertEqual([], [m for m in self.migrations()
                              if m['source_compute'] in hosts])

    def test_anti_affinity_on_every_host_refused_nothing_changed(self):
        group = self.create_group('spread', 'anti-affinity')
        for i, host in enumerate(HOSTS):
            self.create_active('member-%d' % i, host, group=group)

        result = self.roll(*HOSTS, '--exec', 'true', expect=1)

        self.assertIn('The roll cannot be absorbed (nothing was changed)',
                      result.stderr)
        self.assertIn('anti-affinity group spread', result.stderr)
        self.assertIn('wave 1, host', result.stderr)
        self.assert_untouched(*HOSTS)
        self.assertIsNone(self.record())

    def test_failed_maintenance_stops_then_the_same_command_resumes(self):
        vms = [self.create_active('vm-%d' % i, host)
               for i, host in enumerate((ONE, TWO, TWO, THREE, THREE, THREE))]
        command = self.write_script(QUIET_MAINTENANCE)
        open(os.path.join(self.directory, 'fail-' + TWO), 'w').close()

        result = self.roll(ONE, TWO, THREE, '--exec', command, expect=3)

        rows = self.rows(result)
        self.assertEqual(('maintained', 'failed', 'skipped'), tuple(
            rows[h]['Result'] for h in (ONE, TWO, THREE)))
        self.assertIn('maintenance failed: exit status 2', rows[TWO][
            'Message'])
        self.assertIn('firmware update failed', rows[TWO]['Message'])
        service = self.service(TWO)
        self.assertEqual('disabled', service['status'])
        self.assertIn('maintenance failed', service['disabled_reason'])
        self.assert_untouched(THREE, FOUR)
        self.assertEqual([ONE, TWO], self.journal_lines())
        self.assertEqual([ONE], self.record()['hosts'])

        os.remove(os.path.join(self.directory, 'fail-' + TWO))
        again = self.rows(self.roll(ONE, TWO, THREE, '--exec', command))

        self.assertEqual({'maintained'},
                         {r['Result'] for r in again.values()})
        self.assertIn('earlier run', again[ONE]['Message'])
        # ONE is not maintained again; TWO's maintenance runs again, its
        # VMs did not move again.
        self.assertEqual([ONE, TWO, TWO, THREE], self.journal_lines())
        self.assertEqual({1}, set(self.moves_per_server().values()))
        self.assertEqual(6, len(self.moves_per_server()))
        for vm in vms:
            self.assertEqual('ACTIVE', self.nova_server(vm['id'])['status'])
        for host in HOSTS:
            self.assertEqual('enabled', self.service(host)['status'])

    def test_ctrl_c_mid_roll_then_the_same_command_resumes(self):
        vms = [self.create_active('vm-%d' % i, host)
               for i, host in enumerate((ONE, TWO, TWO))]
        command = self.write_script(QUIET_MAINTENANCE)

        with self.moves_take(2), self.ctrl_c_on_wait(3):
            self.roll(ONE, TWO, '--exec', command, expect=130)

        self.assertIsNone(self.record()['metadata'].get('roll_lease'))
        again = self.rows(self.roll(ONE, TWO, '--exec', command))

        self.assertEqual({'maintained'},
                         {r['Result'] for r in again.values()})
        self.assertEqual([ONE, TWO], sorted(self.journal_lines()))
        self.assertEqual({1}, {self.moves_per_server().get(vm['id'])
                               for vm in vms})

    def test_step_mode_over_three_runs(self):
        web = self.create_active('web', ONE)
        db = self.create_shutoff('db', TWO)
        db2 = self.create_active('db-2', TWO)

        first = self.rows(self.roll(ONE, TWO, expect=3))

        self.assertEqual(('pending', 'pending'),
                         (first[ONE]['Result'], first[TWO]['Result']))
        self.assertIn('awaiting maintenance', first[ONE]['Message'])
        self.assertEqual('disabled', self.service(ONE)['status'])
        self.assertIn('roll default wave 1',
                      self.service(ONE)['disabled_reason'])
        self.assertNotEqual(ONE, self.host_of(web))
        self.assert_untouched(TWO)

        second = self.rows(self.roll(ONE, TWO, expect=3))

        self.assertEqual('maintained', second[ONE]['Result'])
        self.assertIn('awaiting maintenance', second[TWO]['Message'])
        self.assertEqual('enabled', self.service(ONE)['status'])
        self.assertEqual('disabled', self.service(TWO)['status'])
        # TWO's VMs went to ONE, maintained by then.
        self.assertEqual(ONE, self.host_of(db))
        self.assertEqual(ONE, self.host_of(db2))

        third = self.rows(self.roll(ONE, TWO))

        self.assertEqual({'maintained'},
                         {r['Result'] for r in third.values()})
        self.assertEqual('enabled', self.service(TWO)['status'])
        self.assertEqual('SHUTOFF', self.nova_server(db['id'])['status'])
        self.assertEqual({1}, set(self.moves_per_server().values()))
        self.assertEqual('finished', self.record()['metadata']['roll_state'])

    def test_aggregate_selection_dry_run_json_changes_nothing(self):
        aggregate = self.admin_api.post_aggregate(
            {'aggregate': {'name': 'rack-7'}})
        for host in (ONE, TWO):
            self.admin_api.add_host_to_aggregate(aggregate['id'], host)
        web = self.create_active('web', ONE)
        self.create_active('db', TWO)
        self.create_active('db-2', TWO)

        result = self.roll('--aggregate', 'rack-7', '--dry-run')

        rows = result.json()
        self.assertEqual([ONE, TWO], [r['Host'] for r in rows])
        self.assertEqual([1, 2], [r['Wave'] for r in rows])
        self.assertEqual({'planned'}, {r['Result'] for r in rows})
        planned = rows[0]['VMs']
        self.assertEqual([(web['id'], 'live-migrate')],
                         [(v['id'], v['action']) for v in planned])
        self.assertIn(planned[0]['destination'], (THREE, FOUR))
        # TWO's VMs go to ONE, maintained by then.
        self.assertEqual({ONE}, {v['destination'] for v in rows[1]['VMs']})
        self.assertIn('hosts 2, waves 2; 3 moves of 3 VMs (1.00 per VM)',
                      result.stderr)
        self.assert_untouched(*HOSTS)
        self.assertIsNone(self.record())

    def test_unknown_down_and_disabled_by_someone_else_refused(self):
        self.create_active('web', ONE)
        result = self.roll('--aggregate', 'nope', expect=1)
        self.assertIn('No host aggregate is named nope', result.stderr)
        self.down_hosts.add(TWO)
        self.admin_api.put_service(self.service(THREE)['id'], {
            'status': 'disabled', 'disabled_reason': 'RMA ticket 42'})
        result = self.roll(ONE, TWO, THREE, expect=1)
        self.assertIn('%s: its nova-compute service is down' % TWO,
                      result.stderr)
        self.assertIn('%s: disabled by someone else (RMA ticket 42)' % THREE,
                      result.stderr)
        self.assertEqual('enabled', self.service(ONE)['status'])
        self.assertEqual([], self.migrations())
        self.assertIsNone(self.record())

    def test_one_failing_host_of_a_wave_leaves_the_other_maintained(self):
        for i, host in enumerate((ONE, TWO, THREE)):
            self.create_active('vm-%d' % i, host)
        command = self.write_script(QUIET_MAINTENANCE)
        open(os.path.join(self.directory, 'fail-' + ONE), 'w').close()

        result = self.roll(ONE, TWO, THREE, '--max-unavailable', '2',
                           '--exec', command, '--on-failure', 'skip',
                           expect=3)

        rows = self.rows(result)
        self.assertEqual((1, 1, 2), tuple(rows[h]['Wave']
                                          for h in (ONE, TWO, THREE)))
        self.assertEqual(('failed', 'maintained', 'maintained'), tuple(
            rows[h]['Result'] for h in (ONE, TWO, THREE)))
        self.assertEqual('disabled', self.service(ONE)['status'])
        self.assertIn('maintenance failed', self.service(ONE)[
            'disabled_reason'])
        self.assertIn('%s failed and stays disabled' % ONE, result.stderr)
        self.assertEqual(sorted([ONE, TWO, THREE]),
                         sorted(self.journal_lines()))

    def test_until_in_the_past_starts_nothing(self):
        self.create_active('web', ONE)
        usage = self.openstack('host', 'roll', ONE, '--until', 'tomorrow')
        self.assertEqual(2, usage.exit_code, usage)
        self.assertIn('tomorrow is not a time', usage.stderr)
        result = self.roll(ONE, '--exec', 'true', '--until',
                           '2020-01-01T00:00:00Z', expect=3)
        self.assertEqual('pending', self.rows(result)[ONE]['Result'])
        self.assertIn('--until 2020-01-01 00:00:00Z passed', result.stderr)
        self.assert_untouched(ONE)
        self.assertIsNone(self.record())
