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

"""Build one virtualenv per OpenStack client stack, with the plugin in it.

``python tools/client_stacks.py DIR`` makes DIR/<stack>/ for each stack
below and installs the plugin into each without its dependencies, as a
distribution installs it beside the ``openstack`` an operator already
has. The client-stack tests (tests/clients) then drive the
test cloud with each stack's own ``openstack``, a process of its own.

Stacks:

- ``2024.1``: OpenStack 2024.1 (Caracal), as Ubuntu 24.04 LTS ships it.
- ``debian-13``: Debian 13 (trixie)'s own packages: python3-openstackclient
  7.4.0, openstacksdk 4.4.0, osc-lib 3.2.0, cliff 4.9.1, keystoneauth1
  5.10.0 and tqdm 4.67.1 as a packager found them; the rest at OpenStack
  2025.1's upper constraints, which Debian 13 ships. On this machine's
  Python, not trixie's 3.13.
- ``lower-bounds``: every runtime requirement at exactly its lower bound
  in requirements.txt, so that the lower bounds are true.
- ``latest``: the newest release of every requirement.
"""

import pathlib
import re
import subprocess
import sys

TOP = pathlib.Path(__file__).resolve().parent.parent

CARACAL = (
    'python-openstackclient==6.6.0',
    'openstacksdk==3.0.0',
    'osc-lib==3.0.1',
    'cliff==4.6.0',
    'keystoneauth1==5.6.0',
    'oslo.i18n==6.3.0',
    'oslo.utils==7.1.0',
    'oslo.config==9.4.0',
    'stevedore==5.2.0',
    'os-service-types==1.7.0',
    'python-keystoneclient==5.4.0',
    'python-novaclient==18.6.0',
    'pbr==6.0.0',
    'tqdm==4.66.2',
)

TRIXIE = (
    'python-openstackclient==7.4.0',
    'openstacksdk==4.4.0',
    'osc-lib==3.2.0',
    'cliff==4.9.1',
    'keystoneauth1==5.10.0',
    'tqdm==4.67.1',
    'oslo.i18n==6.5.1',
    'oslo.utils==8.2.0',
    'oslo.config==9.7.1',
    'stevedore==5.4.1',
    'os-service-types==1.7.0',
    'python-keystoneclient==5.6.0',
    'python-novaclient==18.9.0',
    'pbr==6.1.1',
)


def runtime_requirements():
    """(name, lower bound) of each line of requirements.txt."""
    found = []
    for line in (TOP / 'requirements.txt').read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r'([A-Za-z0-9_.\-]+)>=([0-9][^,;\s]*)', line)
        if match is None:
            sys.exit('requirements.txt: %r is not "name>=version"' % line)
        found.append(match.groups())
    return found


def stacks():
    requirements = runtime_requirements()
    return {
        '2024.1': list(CARACAL),
        'debian-13': list(TRIXIE),
        'lower-bounds': ['%s==%s' % r for r in requirements],
        'latest': ['--upgrade'] + [name for name, _bound in requirements],
    }


def run(*argv):
    """Run a command; its output is shown only if it fails."""
    print('+', ' '.join(argv), flush=True)
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        sys.stdout.write(done.stdout + done.stderr)
        sys.exit('failed: %s' % ' '.join(argv))


def build(directory):
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wheels = directory / 'wheel'
    for old in wheels.glob('migrationhelper-*.whl'):
        old.unlink()
    run(sys.executable, '-m', 'pip', 'wheel', '--quiet', '--no-deps',
        '--wheel-dir', str(wheels), str(TOP))
    [wheel] = wheels.glob('migrationhelper-*.whl')
    for name, packages in stacks().items():
        venv = directory / name
        pip = str(venv / 'bin' / 'pip')
        # A stack already built is kept (a local re-run); the plugin is
        # always installed afresh.
        marker = venv / 'stack.txt'
        wanted = '\n'.join(packages) + '\n'
        if not (marker.exists() and marker.read_text() == wanted):
            run(sys.executable, '-m', 'venv', '--clear', str(venv))
            run(pip, 'install', '--quiet', *packages)
            marker.write_text(wanted)
        run(pip, 'install', '--quiet', '--no-deps', '--force-reinstall',
            str(wheel))
        run(pip, 'check')
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: python tools/client_stacks.py DIR')
    sys.exit(build(sys.argv[1]))
