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
from openstack import utils as sdk_utils

# Cold migration to a given host.
MIGRATE_TO_HOST_MICROVERSION = '2.56'
# From 2.34 on nova-api answers a live migration at once and its conductor
# runs the pre-checks; before, the POST blocks for them (seconds a move,
# the engine's whole loop with it). The SDK sends 2.30 at most.
ASYNC_LIVE_MIGRATION_MICROVERSION = '2.34'


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


def live_migrate_server(compute, server, host=None):
    """Live-migrate, block migration ``auto``, answered at once where Nova can.

    At 2.34 and later the request is sent through the proxy at that
    microversion (no ``force``: the scheduler validates the host); an
    older cloud gets the SDK's own call.
    """
    if not _supports(compute, ASYNC_LIVE_MIGRATION_MICROVERSION):
        return compute.live_migrate_server(server, host=host,
                                           block_migration='auto')
    response = compute.post(
        '/servers/%s/action' % server.id,
        json={'os-migrateLive': {'host': host, 'block_migration': 'auto'}},
        microversion=ASYNC_LIVE_MIGRATION_MICROVERSION, raise_exc=False)
    sdk_exceptions.raise_from_response(response)
    return None


def _supports(compute, microversion):
    try:
        return sdk_utils.supports_microversion(compute, microversion)
    except (AttributeError, TypeError):
        # Not an SDK proxy (a test's stand-in): its own calls.
        return False
