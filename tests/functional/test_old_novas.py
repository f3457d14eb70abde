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

"""Every Nova an operator runs: the compute API capped at older releases.

Nova's API answers as the release's would (a request above its newest
microversion gets 406, the version document names that microversion);
Nova behind the API stays the newest. An operator's whole session must
work on each, and leave Nova as it says.
"""

from nova.tests.functional.api import client as api_client

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS


def _above(version):
    major, minor = version.split('.')
    return '%s.%d' % (major, int(minor) + 1)


class OldNovaSession:
    """An operator's session on a compute API capped at MAX_VERSION.

    Mixed into a RestoreTestCase. The VMs are booted first (on a host of
    the test's choosing: 2.74, newer than most caps), then the cap is on
    before the first command.
    """

    MAX_VERSION = None

    def setUp(self):
        super().setUp()
        self.active = self.create_active('active', HOST)
        self.stopped = self.create_shutoff('stopped', HOST)
        self.cap_compute_api(self.MAX_VERSION)
        self.assertCapped()

    def assertCapped(self):
        """What a client sees: the version document and a 406 above it."""
        client = api_client.TestOpenStackClient(
            'cloud-admin', self.api_fixture.base_url,
            project_id=base.PROJECT_A, roles=['reader', 'member', 'admin'])
        document = client.api_get('').body['version']
        self.assertEqual(self.MAX_VERSION, document['version'])
        client.microversion = self.MAX_VERSION
        client.api_get('/os-hypervisors')
        client.microversion = _above(self.MAX_VERSION)
        client.api_get('/os-hypervisors', check_response_status=[406])
        # Nova's own test clients ask for 'latest': the cap.
        self.assertEqual(self.MAX_VERSION, self.admin_api.api_get(
            '/os-hypervisors').headers['OpenStack-API-Version'].split()[-1])

    def step(self, answers, *argv):
        """Run one command of the session: it must exit 0."""
        result = self.openstack(*argv, '-f', 'json')
        refused = [a for a in answers if a[3] == 406]
        self.assertEqual(0, result.exit_code, '%r\nrequests refused with '
                         '406 (method, path, microversion, status): %s'
                         % (result, refused))
        return result.json()

    def assertOn(self, host, server, status):
        nova = self.nova_server(server['id'])
        self.assertEqual((host, status, None), (
            nova['OS-EXT-SRV-ATTR:host'], nova['status'],
            nova['OS-EXT-STS:task_state']), server['name'])

    def assertOff(self, host, server, status):
        nova = self.nova_server(server['id'])
        self.assertIn(nova['OS-EXT-SRV-ATTR:host'], (OTHER, THIRD),
                      server['name'])
        self.assertNotEqual(host, nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual((status, None), (
            nova['status'], nova['OS-EXT-STS:task_state']), server['name'])

    def test_status_vms_drain_restore_and_smart_migrate(self):
        active, stopped = self.active, self.stopped
        states = {active['id']: 'ACTIVE', stopped['id']: 'SHUTOFF'}
        servers = (active, stopped)
        before = [self.nova_server(s['id']) for s in servers]
        self.assertEqual(sorted(states), sorted(
            s['id'] for s in self.nova_servers_on(HOST)))

        with self.compute_answers() as answers:
            status = self.step(answers, 'host', 'status', HOST)
            self.assertEqual(HOST, status['Host'])
            self.assertEqual('enabled', status['Service Status'])
            self.assertEqual(2, status['VMs'])
            self.assertEqual({'ACTIVE': 1, 'SHUTOFF': 1},
                             status['VMs By Status'])

            rows = {r['ID']: r for r in self.step(answers, 'host', 'vms',
                                                  HOST)}
            self.assertEqual(sorted(states), sorted(rows))
            self.assertEqual({active['id']: 'live-migrate',
                              stopped['id']: 'cold-migrate'},
                             {i: r['Action'] for i, r in rows.items()})
            self.assertNothingChanged(before)

            planned = {r['ID']: r for r in self.step(
                answers, 'host', 'drain', HOST, '--dry-run')}
            self.assertEqual(sorted(states), sorted(planned))
            self.assertEqual({'planned'},
                             {r['Result'] for r in planned.values()})
            self.assertNothingChanged(before)
            self.assertEqual('enabled', self.service(HOST)['status'])
            self.assertEqual([], self.migrations())

            drained = {r['ID']: r for r in self.step(
                answers, 'host', 'drain', HOST)}
            self.assertEqual({i: 'moved' for i in states},
                             {i: r['Result'] for i, r in drained.items()})
            for server in servers:
                self.assertOff(HOST, server, states[server['id']])
            self.assertEqual([], self.nova_servers_on(HOST))
            self.assertEqual('disabled', self.service(HOST)['status'])

            restored = {r['ID']: r for r in self.step(
                answers, 'host', 'undrain', '--restore', HOST)}
            self.assertEqual({i: 'moved' for i in states},
                             {i: r['Result'] for i, r in restored.items()})
            for server in servers:
                self.assertOn(HOST, server, states[server['id']])
            self.assertEqual('enabled', self.service(HOST)['status'])

            [moved] = self.step(answers, 'server', 'smart-migrate',
                                active['id'])
            self.assertEqual((active['id'], 'moved'),
                             (moved['ID'], moved['Result']))
            self.assertOff(HOST, active, 'ACTIVE')
            self.assertOn(HOST, stopped, 'SHUTOFF')

        # Nothing the commands sent was above the cap.
        self.assertEqual([], [a for a in answers if a[3] == 406])


class TestRocky(OldNovaSession, cases.RestoreTestCase):
    """2.65: Rocky, the oldest Nova the commands support."""

    MAX_VERSION = '2.65'


class TestTrain(OldNovaSession, cases.RestoreTestCase):
    """2.79: Train, before 2.87's hypervisor fields."""

    MAX_VERSION = '2.79'


class TestWallaby(OldNovaSession, cases.RestoreTestCase):
    """2.88: Wallaby, whose hypervisors lost their resource fields."""

    MAX_VERSION = '2.88'


class TestAntelope(OldNovaSession, cases.RestoreTestCase):
    """2.95: 2023.1 Antelope (and 2023.2 Bobcat)."""

    MAX_VERSION = '2.95'
