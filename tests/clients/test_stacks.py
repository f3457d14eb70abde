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

"""Each OpenStack client stack we support drives the real-Nova test cloud.

``tox -e clients`` builds one virtualenv per stack (tools/client_stacks.py)
with the plugin installed without its dependencies, then each test serves
the test cloud over loopback HTTP and runs an operator's session with that
stack's own ``openstack``, a process of its own, checking what Nova
reports after each step.
"""

import os
import subprocess

import fixtures

from tests.functional import base

STACKS_DIRECTORY = 'MIGRATIONHELPER_CLIENT_STACKS'
CLOUD = 'client-stack'
HOST, OTHER, THIRD = base.HOSTS
# Generous: an old stack's `openstack` starts slowly on a busy machine; a
# hung command must still end the test.
COMMAND_TIMEOUT = 300


class ClientStackTestCase(base.NovaCloudTestCase):

    stack = None

    def setUp(self):
        super().setUp()
        self.venv = os.path.join(os.environ[STACKS_DIRECTORY], self.stack)
        directory = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = base.serve_over_http(self, directory, CLOUD)
        self.home = self.useFixture(fixtures.TempDir()).path

    def openstack(self, *argv, token=None):
        """The stack's own `openstack`, over HTTP, in a process of its own.

        Logged in by the clouds.yaml alone, as the sandbox's; ``token``
        (in OS_TOKEN, which every release reads) replaces its token.
        """
        env = {
            'PATH': os.path.join(self.venv, 'bin') + os.pathsep +
            os.environ.get('PATH', ''),
            'HOME': self.home,
            'LANG': 'C.UTF-8',
            'OS_CLIENT_CONFIG_FILE': self.clouds_yaml,
            'OS_CLOUD': CLOUD,
        }
        if token is not None:
            env['OS_TOKEN'] = token
        done = subprocess.run(
            [os.path.join(self.venv, 'bin', 'openstack')] + list(argv),
            env=env, capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT)
        return base.Result(list(argv), done.returncode, done.stdout,
                           done.stderr)

    def openstack_json(self, *argv, expect=0):
        result = self.openstack(*argv, '-f', 'json')
        self.assertEqual(expect, result.exit_code, result)
        return result.json()

    def service(self, host):
        return self.admin_api.get_services(
            host=host, binary='nova-compute')[0]

    def test_an_operators_session(self):
        running = self.create_active('web-01', HOST)
        stopped = self.create_shutoff('old-build', HOST)
        elsewhere = self.create_active('app-01', OTHER)

        vms = {r['Name']: r for r in self.openstack_json(
            'host', 'vms', 'cld-nl-01')}
        self.assertEqual('live-migrate', vms['web-01']['Action'])
        self.assertEqual('cold-migrate', vms['old-build']['Action'])

        status = self.openstack_json('host', 'status', 'cld-nl-01')
        self.assertEqual(2, status['VMs'])
        self.assertEqual('enabled', status['Service Status'])

        planned = self.openstack_json('host', 'drain', HOST, '--dry-run')
        self.assertEqual({'planned'}, {r['Result'] for r in planned})
        self.assertEqual('enabled', self.service(HOST)['status'])
        self.assertEqual(HOST, self.nova_server(running['id'])[
            'OS-EXT-SRV-ATTR:host'])

        drained = self.openstack_json('host', 'drain', HOST)
        self.assertEqual({'moved'}, {r['Result'] for r in drained})
        self.assertEqual([], self.nova_servers_on(HOST))
        for server, state in ((running, 'ACTIVE'), (stopped, 'SHUTOFF')):
            nova = self.nova_server(server['id'])
            self.assertEqual(state, nova['status'])
            self.assertIsNone(nova['OS-EXT-STS:task_state'])
        self.assertEqual('disabled', self.service(HOST)['status'])

        restored = self.openstack_json('host', 'undrain', '--restore', HOST)
        self.assertEqual({'moved'}, {r['Result'] for r in restored})
        for server, state in ((running, 'ACTIVE'), (stopped, 'SHUTOFF')):
            nova = self.nova_server(server['id'])
            self.assertEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
            self.assertEqual(state, nova['status'])
        self.assertEqual('enabled', self.service(HOST)['status'])
        undrained = self.openstack_json('host', 'undrain', HOST)
        self.assertEqual('enabled', undrained[0]['Service Status'])

        [moved] = self.openstack_json('server', 'smart-migrate', 'app-01',
                                      '--target-host', THIRD)
        self.assertEqual('moved', moved['Result'])
        nova = self.nova_server(elsewhere['id'])
        self.assertEqual(THIRD, nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('ACTIVE', nova['status'])

    def test_errors_and_exit_codes(self):
        unknown = self.openstack('host', 'drain', 'cld-nl-99')
        self.assertEqual(1, unknown.exit_code, unknown)
        self.assertIn('No compute host named cld-nl-99', unknown.stderr)
        usage = self.openstack('host', 'drain', HOST, '--timeout', 'soon')
        self.assertEqual(2, usage.exit_code, usage)
        # The cloud answers an unknown token as a real one does: 401.
        refused = self.openstack('host', 'drain', HOST, token='expired')
        self.assertEqual(1, refused.exit_code, refused)
        self.assertIn('401', refused.stderr)
        self.assertNotIn('Traceback', refused.stderr)
        self.assertEqual('enabled', self.service(HOST)['status'])


class TestCaracal(ClientStackTestCase):
    """OpenStack 2024.1, as Ubuntu 24.04 LTS ships it."""

    stack = '2024.1'


class TestTrixie(ClientStackTestCase):
    """Debian 13's own packages (tqdm 4.67.1, openstacksdk 4.4.0)."""

    stack = 'debian-13'


class TestLowerBounds(ClientStackTestCase):
    """Every runtime requirement at exactly its lower bound."""

    stack = 'lower-bounds'


class TestLatest(ClientStackTestCase):
    """The newest release of every runtime requirement."""

    stack = 'latest'


def load_tests(loader, tests, pattern):
    # The shared session is not a test of its own.
    suite = loader.suiteClass()
    for case in (TestCaracal, TestTrixie, TestLowerBounds, TestLatest):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite
