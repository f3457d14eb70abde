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

"""The guard every request goes through, on a fake clock."""

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions
import testtools

from migrationhelper.cloud import guard
from migrationhelper.moving import engine
from migrationhelper.tests.unit import fake_nova


class Answer:
    """A REST answer, as ``get(..., raise_exc=False)`` returns it."""

    def __init__(self, status_code):
        self.status_code = status_code
        self.headers = {}
        self.reason = 'reason'
        self.url = 'http://placement/x'
        self.text = ''
        self.content = b''

    def json(self):
        return {}


class FlakyProxy:
    """A proxy whose calls fail ``failures`` times, then answer."""

    def __init__(self, failures, error):
        self.failures = failures
        self.error = error
        self.calls = 0

    def _next(self, answer):
        self.calls += 1
        if self.calls <= self.failures:
            if isinstance(self.error, int):
                return Answer(self.error)
            raise self.error
        return answer

    def servers(self, **query):
        self._next(None)
        return iter(['vm'])

    def get(self, path, **kwargs):
        return self._next(Answer(200))

    def live_migrate_server(self, server):
        return self._next('sent')


class TestGuard(testtools.TestCase):

    def guarded(self, proxy):
        self.clock = fake_nova.Clock()
        self.reports = []
        return guard.GuardedProxy(proxy, guard.Guard(
            self.clock, self.clock.sleep, self.reports.append))

    def test_reads_are_sent_again_while_the_api_does_not_answer(self):
        proxy = FlakyProxy(3, ks_exceptions.ConnectTimeout('timed out'))
        self.assertEqual(['vm'], self.guarded(proxy).servers())
        self.assertEqual(4, proxy.calls)
        self.assertEqual(3, len(self.reports))
        self.assertIn('compute API unavailable (ConnectTimeout)',
                      self.reports[0])

    def test_a_transient_rest_answer_is_sent_again(self):
        proxy = FlakyProxy(2, 503)
        self.assertEqual(200, self.guarded(proxy).get('/x').status_code)
        self.assertEqual(3, proxy.calls)

    def test_reads_give_up_after_the_outage_budget(self):
        proxy = FlakyProxy(10 ** 6, ks_exceptions.ConnectFailure('down'))
        self.assertRaises(ks_exceptions.ConnectFailure,
                          self.guarded(proxy).servers)
        self.assertGreaterEqual(self.clock.now, guard.READ_RETRY_SECONDS)
        self.assertLess(self.clock.now, guard.READ_RETRY_SECONDS + 11)

    def test_other_errors_are_the_callers(self):
        proxy = FlakyProxy(1, sdk_exceptions.NotFoundException('gone'))
        self.assertRaises(sdk_exceptions.NotFoundException,
                          self.guarded(proxy).servers)
        self.assertEqual(1, proxy.calls)

    def test_moves_are_never_sent_again_by_the_guard(self):
        proxy = FlakyProxy(1, ks_exceptions.ConnectTimeout('timed out'))
        self.assertRaises(ks_exceptions.ConnectTimeout,
                          self.guarded(proxy).live_migrate_server, 'vm')
        self.assertEqual(1, proxy.calls)


class TestAfterTheMoves(testtools.TestCase):

    def test_no_answer_to_the_last_check_keeps_the_rows(self):
        warnings = []

        def verify(rows):
            raise ks_exceptions.ConnectTimeout('timed out')
        rows, stop = engine.after_the_moves(verify, ['row'], warnings.append)
        self.assertEqual(['row'], rows)
        self.assertIsNone(stop)
        self.assertIn('did not answer the last check', warnings[0])
