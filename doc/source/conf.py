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

import configparser
from importlib import metadata
import os
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COMMANDS = 'openstack.migrationhelper.v1'


def _commands_from_the_source():
    """The commands autoprogram-cliff documents, installed or not.

    It finds them by their entry points, which only an installed package
    has: a distribution building the man page from the source tree (before
    installing it) would get a page without commands. Then the entry
    points of setup.cfg are given to it from a dist-info of our own.
    """
    sys.path.insert(0, ROOT)
    if metadata.entry_points(group=COMMANDS):
        return
    setup_cfg = configparser.ConfigParser()
    setup_cfg.read(os.path.join(ROOT, 'setup.cfg'))
    where = tempfile.mkdtemp(prefix='migrationhelper-doc-')
    info = os.path.join(where, 'migrationhelper_commands-0.dist-info')
    os.makedirs(info)
    with open(os.path.join(info, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: migrationhelper-commands\n'
                'Version: 0\n')
    with open(os.path.join(info, 'entry_points.txt'), 'w') as f:
        f.write('[%s]\n%s\n' % (
            COMMANDS, setup_cfg['entry_points'][COMMANDS].strip()))
    sys.path.insert(0, where)


_commands_from_the_source()

# The command reference is generated from the commands themselves by
# cliff's autoprogram-cliff, so --help and the docs cannot drift apart.
extensions = ['cliff.sphinxext']
source_suffix = '.rst'
master_doc = 'index'
project = 'migrationhelper'
copyright = '2026, The migrationhelper developers'
exclude_patterns = []
html_theme = 'alabaster'
autoprogram_cliff_application = 'openstack'
# cliff's output formatter options, the same for every command: described
# once, in the command reference's "Output formats".
autoprogram_cliff_ignored = [
    '--help', '--format', '--column', '--noindent', '--prefix', '--quote',
    '--max-width', '--fit-width', '--print-empty', '--sort-column',
    '--sort-ascending', '--sort-descending',
]

man_pages = [
    ('cli/index', 'openstack-migrationhelper',
     'move every VM off an OpenStack compute host',
     ['The migrationhelper developers'], 1),
]
