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

"""The SDK proxies the commands work through, whatever OSC hands plugins.

Before python-openstackclient 7.0, ``client_manager.compute`` is
novaclient; the SDK connection (osc-lib's ``sdk_connection``) is there in
every release we support, so both proxies come from it. The SDK
negotiates microversions per call; cloud.check_compute_api checks the one
we need up front.
"""


def compute(app):
    return app.client_manager.sdk_connection.compute


def placement(app):
    return app.client_manager.sdk_connection.placement
