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

"""The closing line a drain prints for each host."""

import testtools

from migrationhelper.cloud import hosts
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.workflows import drain


def host(status='enabled'):
    return hosts.ComputeHost('cld-nl-01.pd.infn.it', status=status)


class TestClosingSummary(testtools.TestCase):
    """What an operator reads last of a drain, per host."""

    def outcome(self, result, source='cld-nl-01.pd.infn.it', settled=False):
        return outcomes.Outcome('id', 'vm', 'live-migrate', result, source,
                                settled=settled)

    def request(self, status='enabled', **kwargs):
        return drain.Request(hosts=[host(status=status)], compute_hosts=[],
                             options=engine.Options(), **kwargs)

    def test_an_emptied_host_says_what_to_run_next(self):
        [line] = drain.summary(self.request(), [
            self.outcome(outcomes.MOVED), self.outcome(outcomes.MOVED)])
        self.assertEqual(
            'cld-nl-01.pd.infn.it: service disabled; 2 VMs moved, 0 left; '
            'placement holds nothing there; empty: maintain it, then run '
            'openstack host undrain --restore cld-nl-01.pd.infn.it', line)

    def test_what_is_left_and_held_is_counted(self):
        [line] = drain.summary(self.request(), [
            self.outcome(outcomes.MOVED), self.outcome(outcomes.FAILED),
            self.outcome(outcomes.HELD_IN_PLACEMENT)])
        self.assertIn('1 VM moved, 1 left; placement holds 1 allocation',
                      line)
        self.assertIn('run the same command again', line)

    def test_nothing_to_do_is_one_plain_line(self):
        [line] = drain.summary(self.request('disabled'), [])
        self.assertEqual('cld-nl-01.pd.infn.it: nothing to move; service '
                         'disabled; placement holds nothing there; empty: '
                         'maintain it, then run openstack host undrain '
                         '--restore cld-nl-01.pd.infn.it', line)

    def test_interrupted_says_to_run_it_again(self):
        [line] = drain.summary(self.request(), [
            self.outcome(outcomes.IN_PROGRESS)],
            engine.Stop(engine.INTERRUPTED))
        self.assertIn('stopped early: run the same command again', line)

    def test_a_dry_run_changes_nothing_and_says_so(self):
        [line] = drain.summary(self.request(dry_run=True), [
            self.outcome(outcomes.PLANNED)])
        self.assertEqual('cld-nl-01.pd.infn.it: dry run, nothing changed: '
                         '1 VM would move, 0 would be left', line)

    def test_left_enabled_with_no_disable(self):
        [line] = drain.summary(self.request(disable=False), [
            self.outcome(outcomes.MOVED)])
        self.assertIn('service left enabled', line)
        self.assertNotIn('undrain', line)
