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

"""A real keystone whose fernet tokens expire within seconds.

Set up as an operator would (``keystone-manage db_sync``, ``fernet_setup``,
``bootstrap``, sqlite) in the virtualenv tools/keystone_venv.py builds,
whose path MIGRATIONHELPER_KEYSTONE_VENV gives; served by a process of its
own, once per test process. The test cloud's APIs then take only the
tokens this keystone validates, as keystonemiddleware does.
"""

import atexit
import getpass
import grp
import os
import subprocess
import tempfile
import time

import requests

VENV = 'MIGRATIONHELPER_KEYSTONE_VENV'
# Long enough to plan a drain and move a VM or two (keystoneauth takes a
# token with less than two minutes left for one about to expire, and asks
# for another before every request), short enough for a test to outlive.
TOKEN_SECONDS = 60
USER = 'admin'
PROJECT = 'admin'
PASSWORD = 'correct-horse-battery-staple'
SERVER = os.path.join(os.path.dirname(__file__), 'keystone_server.py')

CONF = """[DEFAULT]
[database]
connection = sqlite:///%(dir)s/keystone.db
[token]
expiration = %(seconds)d
[fernet_tokens]
key_repository = %(dir)s/fernet-keys
[fernet_receipts]
key_repository = %(dir)s/fernet-receipts
[identity]
password_hash_rounds = 4
"""

_running = None


def available():
    venv = os.environ.get(VENV)
    return bool(venv) and os.path.exists(
        os.path.join(venv, 'bin', 'keystone-manage'))


def shared():
    """The test process's keystone, started the first time it is asked."""
    global _running
    if _running is None:
        _running = Keystone(os.environ[VENV])
        atexit.register(_running.stop)
    return _running


class Keystone:

    def __init__(self, venv):
        # Beside the virtualenv, not in a test's temporary directory: it
        # outlives the test that started it, and its log is kept.
        self.directory = tempfile.mkdtemp(prefix='run-', dir=venv)
        conf = os.path.join(self.directory, 'keystone.conf')
        with open(conf, 'w') as f:
            f.write(CONF % {'dir': self.directory,
                            'seconds': TOKEN_SECONDS})
        manage = [os.path.join(venv, 'bin', 'keystone-manage'),
                  '--config-file', conf]
        user = getpass.getuser()
        group = grp.getgrgid(os.getgid()).gr_name
        for argv in (
                ['db_sync'],
                ['fernet_setup', '--keystone-user', user,
                 '--keystone-group', group],
                ['bootstrap', '--bootstrap-password', PASSWORD,
                 '--bootstrap-username', USER,
                 '--bootstrap-project-name', PROJECT,
                 '--bootstrap-role-name', 'admin',
                 '--bootstrap-region-id', 'RegionOne']):
            subprocess.run(manage + argv, check=True, capture_output=True,
                           timeout=300)
        port_file = os.path.join(self.directory, 'port')
        # Its log (a line per request) goes to a file: a pipe nobody reads
        # would fill and hang it.
        with open(os.path.join(self.directory, 'keystone.log'), 'w') as log:
            self.process = subprocess.Popen(
                [os.path.join(venv, 'bin', 'python'), SERVER],
                env=dict(os.environ, OS_KEYSTONE_CONFIG_FILES=conf,
                         KEYSTONE_PORT_FILE=port_file),
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not os.path.exists(port_file):
            if self.process.poll() is not None or \
                    time.monotonic() > deadline:
                raise RuntimeError('keystone did not start: see %s' %
                                   self.directory)
            time.sleep(0.1)
        with open(port_file) as f:
            self.url = 'http://127.0.0.1:%d/v3' % int(f.read())
        self._register_itself()

    def _register_itself(self):
        """Keystone in its own catalog, as every cloud's identity is."""
        headers = {'X-Auth-Token': self.issue_token()}
        service = requests.post(self.url + '/services', headers=headers,
                                json={'service': {'type': 'identity',
                                                  'name': 'keystone'}},
                                timeout=30)
        service.raise_for_status()
        endpoint = {'service_id': service.json()['service']['id'],
                    'interface': 'public', 'region_id': 'RegionOne',
                    'url': self.url}
        requests.post(self.url + '/endpoints', headers=headers,
                      json={'endpoint': endpoint},
                      timeout=30).raise_for_status()

    def stop(self):
        self.process.kill()
        self.process.wait()

    def password_auth(self):
        """The ``auth`` of a clouds.yaml entry with the admin's password."""
        return {'auth_url': self.url, 'username': USER,
                'password': PASSWORD, 'project_name': PROJECT,
                'user_domain_name': 'Default',
                'project_domain_name': 'Default'}

    def issue_token(self):
        """A new admin token, as ``openstack token issue`` gives one."""
        response = requests.post(self.url + '/auth/tokens', json={'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': USER, 'domain': {'name': 'Default'},
                'password': PASSWORD}}},
            'scope': {'project': {'name': PROJECT,
                                  'domain': {'name': 'Default'}}}}},
            timeout=30)
        response.raise_for_status()
        return response.headers['X-Subject-Token']

    def project_id(self, name):
        """The ID keystone gave the project named ``name``."""
        response = requests.get(
            self.url + '/projects', params={'name': name},
            headers={'X-Auth-Token': self.issue_token()}, timeout=30)
        response.raise_for_status()
        return response.json()['projects'][0]['id']

    def validates(self, token):
        """Whether keystone says the token is valid now.

        A token may validate itself, as the policy's token_subject rule
        allows; keystonemiddleware would use a service token.
        """
        if not token:
            return False
        response = requests.get(self.url + '/auth/tokens', headers={
            'X-Auth-Token': token, 'X-Subject-Token': token}, timeout=30)
        return response.status_code == 200
