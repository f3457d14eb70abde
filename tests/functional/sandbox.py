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

``python -m tests.functional.sandbox demo`` starts the
cloud, fills it, and runs the commands an operator would, printing each
command line and what it printed. ``... sandbox serve`` serves the compute
and placement APIs over real HTTP on 127.0.0.1, writes a clouds.yaml and
waits for Ctrl-C, so every command can be tried by hand. ``... sandbox
examples`` writes the guide's examples (doc/source/user/examples), which
test_guide_examples checks against what the commands print.

It lives with the tests, outside the package: nothing installed imports
nova.
"""

import contextlib
import hashlib
import os
import re
import shlex
import sys
import tempfile
import time
from unittest import mock
import uuid

from cliff import columns as cliff_columns
from cliff.formatters import table as table_formatter

from tests.functional import base
from tests.functional import real_keystone

DEMO_HOST, OTHER_HOST, THIRD_HOST = base.HOSTS
SANDBOX_CLOUD = 'migrationhelper-sandbox'


class SandboxCloud(base.NovaCloudTestCase):
    """The functional tests' cloud, outside a test run."""

    def runTest(self):
        """Never run: setUp() builds the cloud, doCleanups() ends it."""

    def populate(self):
        populate(self)


def populate(cloud):
    """VMs in every state the howto names, in two projects."""
    # Paused and suspended guests report their power state, as on a real
    # hypervisor.
    cloud.model_guest_power_states()
    b = cloud.project_b_api
    cloud.create_active('web-01', DEMO_HOST)
    cloud.create_active('db-01', DEMO_HOST, api=b)
    cloud.create_paused('batch-paused', DEMO_HOST, api=b)
    cloud.create_shutoff('old-build', DEMO_HOST)
    cloud.create_verify_resize('resized-app', DEMO_HOST)
    cloud.create_failed_migration('half-moved', DEMO_HOST)
    cloud.create_shelved('shelved-dev', DEMO_HOST, api=b)
    cloud.create_active('web-02', OTHER_HOST)
    cloud.create_suspended('laptop-like', OTHER_HOST, api=b)
    cloud.create_rescued('rescue-me', THIRD_HOST)


@contextlib.contextmanager
def running_cloud():
    with base.cloud_outside_a_test(SandboxCloud) as cloud:
        cloud.populate()
        yield cloud


_SHORT = DEMO_HOST.split('.')[0]
# An operator's session, and the guide's example file of each step.
SESSION = (
    (('host', 'status', _SHORT), 'host-status.txt'),
    (('host', 'vms', _SHORT), 'host-vms.txt'),
    (('host', 'drain', _SHORT, '--dry-run'), 'host-drain-dry-run.txt'),
    (('host', 'drain', _SHORT), 'host-drain.txt'),
    (('host', 'vms', _SHORT), 'host-vms-drained.txt'),
    (('host', 'undrain', '--restore', _SHORT, '--dry-run'),
     'host-undrain-restore-dry-run.txt'),
    (('host', 'undrain', '--restore', _SHORT), 'host-undrain-restore.txt'),
    (('host', 'vms', _SHORT), None),
    # A short roll: the host again, maintained by a command (here one that
    # does nothing) and reopened.
    (('host', 'roll', _SHORT, '--exec', 'true', '--dry-run'),
     'host-roll-dry-run.txt'),
    (('host', 'roll', _SHORT, '--exec', 'true'), 'host-roll.txt'),
)
# The guide's examples: what SESSION prints (guide_examples()).
EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                        'doc', 'source', 'user', 'examples')


def command_line(argv):
    return '$ openstack %s\n' % ' '.join(shlex.quote(a) for a in argv)


def run_session(cloud):
    """Each step of SESSION: (argv, file name, merged result)."""
    for argv, name in SESSION:
        # In the order a terminal shows them: the progress, the table, the
        # closing lines.
        yield argv, name, cloud.openstack(*argv, merged=True)


def demo(out=sys.stdout):
    """Run an operator's session and print it, command by command."""
    with running_cloud() as cloud:
        out.write('A cloud with three hosts (%s) and VMs in every state '
                  'on %s.\n\n' % (', '.join(base.HOSTS), DEMO_HOST))
        exit_codes = []
        for argv, _name, result in run_session(cloud):
            out.write(command_line(argv))
            out.write(result.stdout)
            out.write('(exit status %s)\n\n' % result.exit_code)
            out.flush()
            exit_codes.append(result.exit_code)
    out.write("The test cloud's own logs are in %s.\n" % base.CLOUD_LOG)
    # The session is a smoke test too: every step must have worked.
    return 0 if exit_codes == [0] * len(SESSION) else 1


class _Stable:
    """Output made the same from run to run, for the guide's examples.

    Each UUID (and its 8-character table prefix) becomes one of a fixed
    series, in the order it first appears; each time, one fixed time;
    cells before the table wraps them. The progress lines (their timing
    varies) and the sandbox's warnings are left out: 'What the terminal
    shows' describes them.
    """

    ID = re.compile(r'\b[0-9a-f]{8}(?:(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})?\b')
    TIME = re.compile(r'\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d')
    PROGRESS = re.compile(r'^\[ *\d+\.\ds\] |^WARNING: ')

    def __init__(self):
        self.ids = {}

    def _id(self, match):
        found = match.group()
        if found[:8] not in self.ids:
            self.ids[found[:8]] = str(uuid.UUID(hashlib.md5(
                str(len(self.ids)).encode()).hexdigest()))
        return self.ids[found[:8]][:len(found)]

    def text(self, text):
        return self.TIME.sub('2026-11-26T08:00:00', self.ID.sub(self._id,
                                                                text))

    def lines(self, output):
        return self.text(''.join(
            line for line in output.splitlines(keepends=True)
            if not self.PROGRESS.search(line)))

    def cell(self, value):
        if isinstance(value, cliff_columns.FormattableColumn):
            value = value.human_readable()
        return self.text(value) if isinstance(value, str) else value

    @contextlib.contextmanager
    def tables(self):
        """Tables drawn from stable cells, 100 columns wide."""
        formatter = table_formatter.TableFormatter
        emit_list, emit_one = formatter.emit_list, formatter.emit_one

        def stable_list(formatter, names, data, *args, **kwargs):
            rows = [[self.cell(v) for v in row] for row in data]
            return emit_list(formatter, names, rows, *args, **kwargs)

        def stable_one(formatter, names, data, *args, **kwargs):
            return emit_one(formatter, names, [self.cell(v) for v in data],
                            *args, **kwargs)
        with mock.patch.dict(os.environ, {'CLIFF_MAX_TERM_WIDTH': '100'}), \
                mock.patch.object(formatter, 'emit_list', stable_list), \
                mock.patch.object(formatter, 'emit_one', stable_one):
            yield


def guide_examples(cloud):
    """{file name: the text the guide shows} for SESSION on ``cloud``."""
    stable = _Stable()
    examples = {}
    with stable.tables():
        for argv, name, result in run_session(cloud):
            if name is not None:
                examples[name] = command_line(argv) + stable.lines(
                    result.stdout) + '(exit status %s)\n' % result.exit_code
    return examples


def write_examples(out=sys.stdout):
    """Render the guide's examples into EXAMPLES."""
    with running_cloud() as cloud:
        examples = guide_examples(cloud)
    os.makedirs(EXAMPLES, exist_ok=True)
    for name, text in examples.items():
        with open(os.path.join(EXAMPLES, name), 'w') as f:
            f.write(text)
        out.write('wrote %s\n' % os.path.normpath(
            os.path.join(EXAMPLES, name)))
    return 0


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
    if argv[:1] == ['examples']:
        return write_examples()
    sys.stderr.write('usage: python -m %s demo|serve [FILE.yaml|directory]'
                     '|examples\n' % __name__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
