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

"""Calls that older openstacksdk releases lack, made through the proxy.

We support every client stack from OpenStack 2024.1 (openstacksdk 3.0) on.
Where a release lacks a call or an argument, the request is sent as plain
REST through the same SDK proxy (a keystoneauth adapter, which has the
session, the endpoint and the microversion header), never through a
client of our own. Features are detected, never versions compared.
"""

import inspect

from openstack import exceptions as sdk_exceptions

# Cold migration to a given host.
MIGRATE_TO_HOST_MICROVERSION = '2.56'


def _accepts(method, argument):
    try:
        return argument in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def migrate_server(compute, server, host=None):
    """Cold-migrate, to ``host`` if given (openstacksdk 3 has no host)."""
    if host is None:
        return compute.migrate_server(server)
    if _accepts(compute.migrate_server, 'host'):
        return compute.migrate_server(server, host=host)
    response = compute.post(
        '/servers/%s/action' % server.id, json={'migrate': {'host': host}},
        microversion=MIGRATE_TO_HOST_MICROVERSION, raise_exc=False)
    sdk_exceptions.raise_from_response(response)
    return None
