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

"""A sandbox cloud anyone can drain: the functional tests' cloud, at hand.

``python -m migrationhelper.tests.functional.sandbox demo`` starts the
cloud, fills it, and runs the commands an operator would, printing each
command line and what it printed. ``... sandbox serve`` serves the compute
and placement APIs over real HTTP on 127.0.0.1, writes a clouds.yaml and
waits for Ctrl-C, so every command can be tried by hand.

It lives with the tests: the runtime package never imports nova.
"""

import contextlib
import os
import shlex
import sys
import tempfile
import time

from migrationhelper.tests.functional import base
from migrationhelper.tests.functional import real_keystone

DEMO_HOST, OTHER_HOST, THIRD_HOST = base.HOSTS
SANDBOX_CLOUD = 'migrationhelper-sandbox'


class SandboxCloud(base.NovaCloudTestCase):
    """The functional tests' cloud, outside a test run."""

    def runTest(self):
        """Never run: setUp() builds the cloud, doCleanups() ends it."""

    def populate(self):
        """VMs in every state the howto names, in two projects."""
        # Paused and suspended guests report their power state, as on a
        # real hypervisor.
        self.model_guest_power_states()
        b = self.project_b_api
        self.create_active('web-01', DEMO_HOST)
        self.create_active('db-01', DEMO_HOST, api=b)
        self.create_paused('batch-paused', DEMO_HOST, api=b)
        self.create_shutoff('old-build', DEMO_HOST)
        self.create_verify_resize('resized-app', DEMO_HOST)
        self.create_failed_migration('half-moved', DEMO_HOST)
        self.create_shelved('shelved-dev', DEMO_HOST, api=b)
        self.create_active('web-02', OTHER_HOST)
        self.create_suspended('laptop-like', OTHER_HOST, api=b)
        self.create_rescued('rescue-me', THIRD_HOST)


@contextlib.contextmanager
def running_cloud():
    with base.cloud_outside_a_test(SandboxCloud) as cloud:
        cloud.populate()
        yield cloud


def demo(out=sys.stdout):
    """Run an operator's session and print it, command by command."""
    short = DEMO_HOST.split('.')[0]
    session = (
        ('host', 'status', short),
        ('host', 'vms', short),
        ('host', 'drain', short, '--dry-run'),
        ('host', 'drain', short),
        ('host', 'vms', short),
        ('host', 'undrain', '--restore', short, '--dry-run'),
        ('host', 'undrain', '--restore', short),
        ('host', 'vms', short),
    )
    with running_cloud() as cloud:
        out.write('A cloud with three hosts (%s) and VMs in every state '
                  'on %s.\n\n' % (', '.join(base.HOSTS), DEMO_HOST))
        exit_codes = []
        for argv in session:
            out.write('$ openstack %s\n' % ' '.join(
                shlex.quote(a) for a in argv))
            # In the order a terminal shows them: the progress, the table,
            # the closing lines.
            result = cloud.openstack(*argv, merged=True)
            out.write(result.stdout)
            out.write('(exit status %s)\n\n' % result.exit_code)
            out.flush()
            exit_codes.append(result.exit_code)
    out.write("The test cloud's own logs are in %s.\n" % base.CLOUD_LOG)
    # The session is a smoke test too: every step must have worked.
    return 0 if exit_codes == [0] * len(session) else 1


def serve(where=None, out=sys.stdout):
    """Serve the APIs over HTTP on loopback until Ctrl-C.

    :param where: the clouds.yaml to write (a name ending in .yaml or .yml)
        or the directory to write it in; by default a new directory.
    """
    wanted = None
    if where and where.endswith(('.yaml', '.yml')):
        wanted = os.path.abspath(where)
        directory = os.path.dirname(wanted)
    else:
        directory = where or tempfile.mkdtemp(prefix='migrationhelper-')
    # Made if it is not there yet.
    os.makedirs(directory, exist_ok=True)
    with running_cloud() as cloud:
        path = base.serve_over_http(cloud, directory, SANDBOX_CLOUD,
                                    **_identity())
        if wanted and wanted != path:
            os.replace(path, wanted)
            path = wanted
        env = _write_env(directory, path)
        openstack = os.path.join(os.path.dirname(sys.executable),
                                 'openstack')
        out.write('The sandbox cloud is up on 127.0.0.1 (identity, compute '
                  'and placement); its clouds.yaml is %s.\n' % path)
        out.write('In another terminal, to put this openstack on PATH and '
                  'point it at the sandbox:\n\n')
        out.write('. %s\n\n' % shlex.quote(env))
        out.write('then, for example: openstack host vms %s -f json\n'
                  'or without it: OS_CLIENT_CONFIG_FILE=%s %s --os-cloud %s '
                  'host vms %s\n'
                  'Ctrl-C stops it. The cloud\'s own logs are in %s.\n'
                  % (DEMO_HOST.split('.')[0], shlex.quote(path),
                     shlex.quote(openstack), SANDBOX_CLOUD,
                     DEMO_HOST.split('.')[0], base.CLOUD_LOG))
        out.flush()
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            out.write('Stopped.\n')
    return 0


def _identity():
    """A real keystone and a password, as an operator's cloud has.

    Stock OSC commands (``server list --host``, ``server migration list``)
    need an identity API, and a password renews its tokens, so the tool
    has no bare token to warn about. Without the keystone virtualenv
    (tox -e sandbox builds it) the cloud takes an admin token, as the
    functional tests' cloud does.
    """
    if not real_keystone.available():
        return {}
    keystone = real_keystone.shared()
    return {'keystone': keystone, 'auth_type': 'password',
            'auth': keystone.password_auth()}


def _write_env(directory, clouds_yaml):
    """A file to source: this environment's openstack, the sandbox cloud."""
    path = os.path.join(directory, 'sandbox.env')
    with open(path, 'w') as f:
        f.write('export PATH=%s:"$PATH"\n' % shlex.quote(
            os.path.dirname(sys.executable)))
        f.write('export OS_CLIENT_CONFIG_FILE=%s\n' % shlex.quote(
            clouds_yaml))
        f.write('export OS_CLOUD=%s\n' % SANDBOX_CLOUD)
    return path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ['demo']:
        return demo()
    if argv[:1] == ['serve']:
        return serve(*argv[1:2])
    sys.stderr.write('usage: python -m %s demo|serve [directory]\n'
                     % __name__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
