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

man_pages = [
    ('cli/index', 'openstack-migrationhelper',
     'move every VM off an OpenStack compute host',
     ['The migrationhelper developers'], 1),
]
