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

"""Build the virtualenv of the real keystone the functional tests run.

``python tools/keystone_venv.py <directory>`` makes a virtualenv there with
keystone installed, unless it already has it. Keystone runs as a process
of its own (tests/functional/keystone_server.py): it and
nova each own oslo.config's global configuration, so they cannot share a
process, and their dependencies need not agree.
"""

import pathlib
import sys

from client_stacks import run   # this directory is sys.path[0]

KEYSTONE = 'keystone==30.0.0'


def build(directory):
    directory = pathlib.Path(directory)
    python = directory / 'bin' / 'python'
    manage = directory / 'bin' / 'keystone-manage'
    if manage.exists():
        return
    run(sys.executable, '-m', 'venv', str(directory))
    run(str(python), '-m', 'pip', 'install', '--quiet', KEYSTONE)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: keystone_venv.py <directory>')
    build(sys.argv[1])
