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

"""The restore's record: when the last drain began, read back from Nova."""

import datetime
from unittest import mock

from osc_lib import exceptions
import testtools

from migrationhelper.cloud import hosts
from migrationhelper.moving import engine
from migrationhelper.workflows import disabled_reason
from migrationhelper.workflows import drain
from migrationhelper.workflows import restore

UTC = datetime.timezone.utc
DRAINED = datetime.datetime(2026, 11, 26, 8, 0, 5, tzinfo=UTC)


def host(status='disabled', reason=None):
    return hosts.ComputeHost('cld-nl-01.pd.infn.it', status=status,
                             disabled_reason=reason)


def request(compute_host, since=None):
    return restore.Request(host=compute_host, compute_hosts=[compute_host],
                           options=engine.Options(), since=since)


class TestDrainReason(testtools.TestCase):

    def test_the_time_a_drain_writes_is_read_back(self):
        reason = disabled_reason.compose(user='ops admin', now=DRAINED)
        self.assertEqual(
            'migrationhelper: drained by ops admin at 2026-11-26T08:00:05Z',
            reason)
        self.assertEqual(DRAINED, disabled_reason.drained_at(reason))

    def test_the_operators_reason_keeps_who_and_when(self):
        reason = disabled_reason.compose('CHG-1234 RAM swap', user='alice',
                                         now=DRAINED)
        self.assertEqual('migrationhelper: CHG-1234 RAM swap; drained by '
                         'alice at 2026-11-26T08:00:05Z', reason)
        self.assertEqual(DRAINED, disabled_reason.drained_at(reason))

    def test_a_long_reason_is_cut_to_what_nova_keeps(self):
        reason = disabled_reason.compose('x' * 300, user='alice', now=DRAINED)
        self.assertEqual(disabled_reason.REASON_MAX_LENGTH, len(reason))
        self.assertEqual(DRAINED, disabled_reason.drained_at(reason))

    def test_reasons_without_a_drain_time(self):
        for reason in (None, '', 'failed PSU',
                       'migrationhelper: CHG-1234 kernel upgrade',
                       'migrationhelper: drained by x at yesterday'):
            self.assertIsNone(disabled_reason.drained_at(reason), reason)


class TestParseTime(testtools.TestCase):

    def test_forms_an_operator_types(self):
        for text in ('2026-11-26T08:00:05Z', '2026-11-26T08:00:05',
                     '2026-11-26 08:00:05', '2026-11-26T09:00:05+01:00',
                     '2026-11-26T08:00:05.000000'):
            self.assertEqual(DRAINED, restore.parse_time(text), text)

    def test_not_a_time(self):
        self.assertRaises(ValueError, restore.parse_time, 'yesterday')


class TestDrainBegan(testtools.TestCase):

    def test_from_the_drain_reason_of_a_disabled_host(self):
        reason = disabled_reason.compose(user='ops', now=DRAINED)
        self.assertEqual(DRAINED,
                         restore.drain_began(request(host(reason=reason))))

    def test_since_wins(self):
        since = DRAINED - datetime.timedelta(hours=1)
        reason = disabled_reason.compose(user='ops', now=DRAINED)
        self.assertEqual(since, restore.drain_began(
            request(host(reason=reason), since)))
        self.assertEqual(since, restore.drain_began(
            request(host('enabled'), since)))

    def test_no_record_is_refused_with_the_reason_and_the_way_out(self):
        cases = {
            host('enabled'): 'its service is enabled',
            host(reason='failed PSU'): 'is not a drain\'s',
            host(reason='migrationhelper: CHG-1'): 'does not say when',
        }
        for compute_host, why in cases.items():
            e = self.assertRaises(exceptions.CommandError,
                                  restore.drain_began, request(compute_host))
            self.assertIn(why, str(e))
            self.assertIn('Nothing was changed', str(e))
            self.assertIn('--since', str(e))


class TestNovasClock(testtools.TestCase):

    def test_the_drains_time_is_novas(self):
        ahead = datetime.datetime(2026, 12, 3, 12, 5, 0,
                                  tzinfo=datetime.timezone.utc)
        reason = disabled_reason.compose(user='ops', now=ahead)
        corrected = disabled_reason.on_novas_clock(
            reason, '2026-12-03T12:00:01.123456')
        self.assertEqual(
            'migrationhelper: drained by ops at 2026-12-03T12:00:01Z',
            corrected)
        self.assertEqual(datetime.datetime(
            2026, 12, 3, 12, 0, 1, tzinfo=datetime.timezone.utc),
            disabled_reason.drained_at(corrected))

    def test_reasons_without_a_time_are_kept(self):
        for reason in ('migrationhelper: kernel upgrade', 'hardware'):
            self.assertEqual(reason, disabled_reason.on_novas_clock(
                reason, '2026-12-03T12:00:01'))
        reason = disabled_reason.compose(user='ops')
        self.assertEqual(reason, disabled_reason.on_novas_clock(reason, None))

    def test_the_reason_says_when_the_host_was_disabled(self):
        # Written when the command began; the plan then took a while.
        began = datetime.datetime(2026, 12, 3, 12, 0, 0,
                                  tzinfo=datetime.timezone.utc)
        reason = disabled_reason.compose(user='ops', now=began)
        updates = []

        class Compute:
            def update_service(self, service_id, status, **fields):
                updates.append(fields['disabled_reason'])
                return mock.Mock(updated_at=disabled_reason.drained_at(
                    updates[-1]).strftime('%Y-%m-%dT%H:%M:%S'))
        before = disabled_reason.workstation_now().replace(microsecond=0)
        drain.disable_hosts(Compute(), [mock.Mock(status='enabled',
                                                  service_id='svc')], reason)
        # Stamped when sent: Nova's time of the update (the same here)
        # needs no second update.
        self.assertEqual(1, len(updates))
        self.assertGreaterEqual(disabled_reason.drained_at(updates[0]), before)
