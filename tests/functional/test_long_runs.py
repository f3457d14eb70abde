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

"""Long drains against a real control plane, the CLI a process of its own.

Credentials that expire (a real keystone whose fernet tokens last seconds,
the APIs taking only what it validates) and requests that never answer
(held on the wire, in front of the real nova-api).
"""

import io
import re
import threading
import time

import eventlet
import testtools
import webob.exc

from nova.tests.functional.api import client as api_client

from tests.functional import base
from tests.functional import real_keystone

HOST, OTHER, THIRD = base.HOSTS
CLOUD = base.PROCESS_CLOUD
# The operator's api_timeout in clouds.yaml, and how long a held request
# stays unanswered: well past it.
API_TIMEOUT = 5
HELD_SECONDS = 3 * API_TIMEOUT
SERVER_PATH = re.compile(r'/servers/[0-9a-f-]{36}$')


@testtools.skipUnless(real_keystone.available(),
                      'no keystone virtualenv (%s)' % real_keystone.VENV)
class TestExpiringCredentials(base.ProcessTestCase):

    def setUp(self):
        super().setUp()
        self.keystone = real_keystone.shared()

    def serve(self, **entry):
        self.clouds_yaml = base.serve_over_http(
            self, self.directory, CLOUD, keystone=self.keystone, **entry)

    def password_cloud(self):
        return {'auth_type': 'password',
                'auth': self.keystone.password_auth()}

    def test_password_credentials_outlive_their_tokens(self):
        self.serve(**self.password_cloud())
        server = self.create_active('web-01', HOST)
        with self.live_migration_held(HOST) as release:
            # The move lasts longer than a token: keystoneauth gets another.
            threading.Timer(real_keystone.TOKEN_SECONDS + 8,
                            release.set).start()
            result = self.run_openstack('host', 'drain', HOST, '-f', 'json')
        self.assertEqual(0, result.exit_code, result)
        self.assertEqual('moved', self.rows(result)['web-01']['Result'])
        self.assertNotEqual(HOST, self.nova_server(server['id'])[
            'OS-EXT-SRV-ATTR:host'])
        self.assertNotIn('WARNING', result.stderr)

    def test_owners_are_named_by_the_identity_api(self):
        self.serve(**self.password_cloud())
        project_id = self.keystone.project_id(real_keystone.PROJECT)
        owned = api_client.TestOpenStackClient(
            'admin', self.api_fixture.base_url, project_id=project_id,
            roles=['reader', 'member', 'admin'])
        owned.microversion = 'latest'
        self.create_active('web-01', HOST, api=owned)
        self.create_active('web-02', HOST)

        result = self.run_openstack('host', 'vms', HOST, '-f', 'json')
        self.assertEqual(0, result.exit_code, result)
        rows = self.rows(result)
        self.assertEqual(project_id, rows['web-01']['Project'])
        self.assertEqual(real_keystone.PROJECT,
                         rows['web-01']['Project Name'])
        # A project keystone does not know keeps its ID alone.
        self.assertIsNone(rows['web-02']['Project Name'])

        table = self.run_openstack('host', 'vms', HOST, '--long')
        self.assertEqual(0, table.exit_code, table)
        line = [row for row in table.stdout.splitlines()
                if 'web-01' in row]
        self.assertEqual(1, len(line), table)
        cells = [c.strip() for c in line[0].split('|')]
        self.assertIn(real_keystone.PROJECT, cells)
        self.assertNotIn(project_id, line[0])

    def test_a_bare_token_expiring_mid_drain_accounts_for_every_vm(self):
        servers = {'a-stopped': self.create_shutoff('a-stopped', HOST),
                   'b-stopped': self.create_shutoff('b-stopped', HOST)}
        for name in ('c-running', 'd-running', 'e-running'):
            servers[name] = self.create_active(name, HOST)
        token = self.keystone.issue_token()
        self.serve(auth_type='v3token', auth={
            'auth_url': self.keystone.url, 'token': token,
            'project_name': real_keystone.PROJECT,
            'project_domain_name': 'Default'})
        # One move at a time, in name order: the stopped VMs move, then
        # c-running's live migration is held until the token is dead.
        with self.live_migration_held(HOST):
            result = self.run_openstack('host', 'drain', HOST,
                                        '--max-parallel', '1', '-f', 'json')

        self.assertEqual(4, result.exit_code, result)
        self.assertIn('The token expires in', result.stderr)
        self.assertIn('no longer accepts the credentials', result.stderr)
        self.assertIn('a password or an application credential',
                      result.stderr)
        self.assertNotIn('Traceback', result.stderr)
        for output in (result.stdout, result.stderr):
            self.assertNotIn(token, output)
        rows = self.rows(result)
        self.assertEqual(sorted(servers), sorted(rows))
        self.assertIn(rows['c-running']['Result'],
                      ('in-progress', 'skipped'))
        for name in ('d-running', 'e-running'):
            self.assertEqual('skipped', rows[name]['Result'], name)
            self.assertIn('not started', rows[name]['Message'])
        for name, row in rows.items():
            self.assertNotEqual('failed', row['Result'], name)
            nova = self.wait_idle(servers[name])
            if row['Result'] == 'moved':
                self.assertNotEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
            if row['Result'] == 'skipped':
                self.assertEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])

        # Renewable credentials finish the drain, moving nothing twice.
        self.clouds_yaml = base.write_clouds_yaml(
            self, self.directory, CLOUD, **self.password_cloud())
        again = self.run_openstack('host', 'drain', HOST, '-f', 'json')
        self.assertEqual(0, again.exit_code, again)
        self.assertEqual([], self.nova_servers_on(HOST))
        for server_id, migrations in self.migrations_per_server().items():
            self.assertEqual(1, len(migrations), server_id)


def _after_a_move(match):
    """A match of the requests ``match`` picks once a POST was sent."""
    moved = []

    def after(environ, body):
        if environ['REQUEST_METHOD'] == 'POST':
            moved.append(True)
        return bool(moved) and match(environ, body)
    return after


def _first(match):
    """A should_hold that picks the first request ``match`` says yes to."""
    picked = []

    def should_hold(environ, body):
        if picked or not match(environ, body):
            return False
        picked.append(environ['PATH_INFO'])
        return True
    return should_hold


class HeldRequestsTestCase(base.ProcessTestCase):

    def serve(self, should_hold, before=True):
        """Serve the cloud, holding the requests ``should_hold`` picks.

        :param before: held before Nova sees them (no answer at all, and
            Nova never acts); otherwise Nova acts and its answer is lost on
            the way back.
        """
        ended = []
        # A held request never outlives its test: nothing reaches the
        # cloud once its fixtures are gone.
        self.addCleanup(ended.append, True)

        def wait():
            deadline = time.monotonic() + HELD_SECONDS
            while not ended and time.monotonic() < deadline:
                eventlet.sleep(0.1)

        def hold(app):
            def held(environ, start_response):
                length = int(environ.get('CONTENT_LENGTH') or 0)
                body = environ['wsgi.input'].read(length) if length else b''
                environ['wsgi.input'] = io.BytesIO(body)
                if not should_hold(environ, body):
                    return app(environ, start_response)
                if before:
                    wait()
                    # The client gave up long ago.
                    return webob.exc.HTTPGatewayTimeout()(environ,
                                                          start_response)
                answer = app(environ, start_response)
                wait()
                return answer
            return held
        self.clouds_yaml = base.serve_over_http(
            self, self.directory, CLOUD, compute_middleware=hold,
            api_timeout=API_TIMEOUT)


class TestUnansweredRequests(HeldRequestsTestCase):

    def test_a_read_that_never_answers_is_read_again(self):
        def server_read(environ, body):
            return (environ['REQUEST_METHOD'] == 'GET' and
                    SERVER_PATH.search(environ['PATH_INFO']) is not None)
        self.serve(_first(_after_a_move(server_read)))
        server = self.create_active('web-01', HOST)

        result = self.run_openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertIn('compute API unavailable (ConnectTimeout)',
                      result.stderr)
        self.assertEqual('moved', self.rows(result)['web-01']['Result'])
        self.assertNotEqual(HOST, self.nova_server(server['id'])[
            'OS-EXT-SRV-ATTR:host'])

    def test_no_answer_to_the_last_check_is_read_again(self):
        def host_listing(environ, body):
            return (environ['PATH_INFO'].endswith('/servers/detail') and
                    'host=' in environ.get('QUERY_STRING', ''))
        self.serve(_first(_after_a_move(host_listing)))
        server = self.create_active('web-01', HOST)

        result = self.run_openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertIn('compute API unavailable (ConnectTimeout)',
                      result.stderr)
        self.assertNotIn('did not answer the last check', result.stderr)
        self.assertEqual('moved', self.rows(result)['web-01']['Result'])
        self.assertNotEqual(HOST, self.nova_server(server['id'])[
            'OS-EXT-SRV-ATTR:host'])

    def test_a_hung_listing_while_planning_is_read_again(self):
        def migration_listing(environ, body):
            return environ['PATH_INFO'].endswith('/os-migrations')
        self.serve(_first(migration_listing))
        server = self.create_active('web-01', HOST)

        result = self.run_openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertIn('compute API unavailable (ConnectTimeout)',
                      result.stderr)
        self.assertNotIn('Traceback', result.stderr)
        self.assertEqual('moved', self.rows(result)['web-01']['Result'])
        self.assertNotEqual(HOST, self.nova_server(server['id'])[
            'OS-EXT-SRV-ATTR:host'])
        self.assertEqual([1], [len(m) for m in
                               self.migrations_per_server().values()])

    def test_a_lost_answer_to_a_live_migration_is_not_sent_twice(self):
        def live_migration(environ, body):
            return b'os-migrateLive' in body
        self.serve(live_migration, before=False)
        servers = [self.create_active('web-%02d' % i, HOST)
                   for i in range(2)]

        result = self.run_openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertIn('no answer (ConnectTimeout)', result.stderr)
        self.assertEqual({'moved'}, {r['Result'] for r in
                                     self.rows(result).values()})
        self.assertEqual([], self.nova_servers_on(HOST))
        per_server = self.migrations_per_server()
        self.assertEqual(sorted(s['id'] for s in servers),
                         sorted(per_server))
        for server_id, migrations in per_server.items():
            self.assertEqual(1, len(migrations), server_id)


def _lost_action(name):
    """A server action whose body names ``name``."""
    def match(environ, body):
        return environ['REQUEST_METHOD'] == 'POST' and name in body
    return match


def _abort(environ, body):
    return environ['REQUEST_METHOD'] == 'DELETE' and \
        '/migrations/' in environ['PATH_INFO']


class TestLostAnswersToEveryWrite(HeldRequestsTestCase):
    """Nova acts, and the answer is lost: reset, abort, force-complete.

    Live migrations last 5 s unless aborted or force-completed.
    """

    compute_driver = 'fake.FakeLiveMigrateDriver'

    def assertNoTraceback(self, result):
        self.assertNotIn('Traceback', result.stderr)
        self.assertIn('no answer (ConnectTimeout)', result.stderr)

    def test_reset_state(self):
        self.serve(_lost_action(b'os-resetState'), before=False)
        server = self.create_failed_migration('failed-move', HOST)

        result = self.run_openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertNoTraceback(result)
        self.assertEqual('moved', self.rows(result)['failed-move']['Result'])
        nova = self.nova_server(server['id'])
        self.assertEqual('ACTIVE', nova['status'])
        self.assertNotEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])

    def test_abort(self):
        self.serve(_abort, before=False)
        server = self.create_active('slow', HOST)

        result = self.run_openstack('server', 'smart-migrate', 'slow',
                                    '--timeout', '1', '-f', 'json')

        self.assertEqual(3, result.exit_code, result)
        self.assertIn('the abort got ConnectTimeout', result.stderr)
        self.assertNotIn('Traceback', result.stderr)
        row = self.rows(result)['slow']
        self.assertEqual('failed', row['Result'])
        self.assertIn('aborted, the VM is still ACTIVE', row['Message'])
        nova = self.wait_idle(server)
        self.assertEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])

    def test_force_complete(self):
        self.serve(_lost_action(b'force_complete'), before=False)
        server = self.create_active('slow', HOST)

        result = self.run_openstack(
            'server', 'smart-migrate', 'slow', '--timeout', '1',
            '--on-timeout', 'force-complete', '-f', 'json')

        # The lost answer (api_timeout, 5 s) is within the force's own
        # deadline (never under defaults.MIN_TIMEOUT_AFTER_ABORT): the
        # move is followed to its end, which Nova reached.
        self.assertEqual(0, result.exit_code, result)
        self.assertNotIn('Traceback', result.stderr)
        row = self.rows(result)['slow']
        self.assertEqual('moved', row['Result'])
        self.assertIn('forced to complete', row['Message'])
        nova = self.wait_idle(server)
        self.assertNotEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('ACTIVE', nova['status'])
