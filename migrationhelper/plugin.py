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

"""OpenStackClient plugin module.

OSC imports this module on every ``openstack`` call, so it stays small and
imports nothing heavy. The commands talk to Nova and Placement through the
SDK proxies of OSC's client manager; there is no client of our own to build.
"""

from osc_lib import utils

from migrationhelper.i18n import _

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_migrationhelper_api_version'
API_NAME = 'migrationhelper'
API_VERSIONS = ('1',)


def make_client(instance):
    """Return the SDK connection our commands work through."""
    return instance.sdk_connection


def build_option_parser(parser):
    """Hook to add global options."""
    parser.add_argument(
        '--os-migrationhelper-api-version',
        metavar='<migrationhelper-api-version>',
        default=utils.env('OS_MIGRATIONHELPER_API_VERSION'),
        help=_('migrationhelper command set version, default=%s '
               '(Env: OS_MIGRATIONHELPER_API_VERSION)') % DEFAULT_API_VERSION,
    )
    return parser
