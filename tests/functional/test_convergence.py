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

"""Live migrations that do not converge, on a real Nova."""

import re

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS


def converging_slowly(seconds):
    """A fifth of the memory every 3 s: done after 15 s."""
    return 1.0 - 0.2 * int(seconds / 3)


class TestStalls(cases.DrainTestCase):

    def drain_busy_vm(self, left_at, *options, expect=0):
        busy = self.create_active('busy-db', HOST)
        with self.live_copies(left_at):
            result = self.openstack('host', 'drain', HOST, '-f', 'json',
                                    *options)
        self.assertEqual(expect, result.exit_code, result)
        [row] = result.json()
        return busy, row, result

    def migration_status(self, server):
        [migration] = self.admin_api.api_get(
            '/os-migrations?instance_uuid=%s' % server['id']
        ).body['migrations']
        return migration['status']

    def test_a_copy_stuck_at_40_percent_is_aborted(self):
        busy, row, result = self.drain_busy_vm(
            cases.stuck_at_40_percent, '--stall-timeout', '4', expect=3)

        self.assertEqual('failed', row['Result'])
        self.assertIn('no progress for', row['Message'])
        self.assertIn('stuck at 40%, 2.4 GiB of 4.0 GiB left',
                      row['Message'])
        self.assertIn('aborted, the VM is still ACTIVE on %s' % HOST,
                      row['Message'])
        server = self.nova_server(busy['id'])
        self.assertEqual((HOST, 'ACTIVE'), (
            server['OS-EXT-SRV-ATTR:host'], server['status']))
        self.assertEqual('cancelled', self.migration_status(busy))
        # The first reading is said at once; the next would be 30 s later.
        self.assertRegex(result.stderr,
                         r'live-migrating \d+% \([\d.]+ GiB left\)')

    def test_force_complete_finishes_a_stalled_copy(self):
        busy, row, _result = self.drain_busy_vm(
            cases.stuck_at_40_percent, '--stall-timeout', '4',
            '--on-timeout', 'force-complete')

        self.assertEqual('moved', row['Result'])
        self.assertIn('forced to complete', row['Message'])
        server = self.nova_server(busy['id'])
        self.assertNotEqual(HOST, server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual('completed', self.migration_status(busy))

    def test_a_slow_copy_that_keeps_converging_is_left_to_finish(self):
        busy, row, result = self.drain_busy_vm(
            converging_slowly, '--stall-timeout', '6')

        self.assertEqual('moved', row['Result'], row)
        self.assertEqual('completed', self.migration_status(busy))
        self.assertGreater(row['Duration'], 12)
        self.assertRegex(
            result.stderr, r'busy-db \(%s\): live-migrating \d+%% '
            r'\([\d.]+ GiB left\)' % busy['id'])
        percents = [int(p) for p in re.findall(
            r'live-migrating (\d+)%', result.stderr)]
        self.assertEqual(sorted(percents), percents)
