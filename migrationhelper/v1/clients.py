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
negotiates microversions per call; cloud.listings.check_compute_api checks
the one we need up front.

No request may hang a run: every request of the session times out after
the operator's ``api_timeout`` (clouds.yaml), or after
defaults.API_TIMEOUT when none is set; every read goes through the guard
(``migrationhelper.cloud.guard``), which sends it again while the API does not
answer, planning included.
"""

import re

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

from migrationhelper.cloud import guard
from migrationhelper import defaults
from migrationhelper.v1 import notices


def _connection(app):
    connection = app.client_manager.sdk_connection
    if connection.session.timeout is None:
        connection.session.timeout = float(defaults.API_TIMEOUT)
    return connection


def _guarded(app, proxy, service):
    return guard.GuardedProxy(proxy, guard.Guard(
        report=lambda text: notices.warn(app, text)), service)


def compute(app):
    return _guarded(app, _connection(app).compute, 'compute')


def placement(app):
    return _guarded(app, _connection(app).placement, 'placement')


def network(app):
    """The network proxy, or None when the cloud has no network API.

    Only ports are read through it (``vm_reads.ports``).
    """
    return _optional(app, 'network')


def block_storage(app):
    """The block-storage proxy, or None when the cloud has none.

    Only boot volumes are read through it
    (``vm_reads.boot_volume_properties``).
    """
    return _optional(app, 'block_storage')


def identity(app):
    """The identity proxy, or None when the cloud has no identity API.

    Only projects are listed through it (``vm_reads.project_names``).
    """
    return _optional(app, 'identity')


def _optional(app, service):
    """A service's proxy, or None when the cloud does not offer it.

    Credentials without a catalog (``admin_token`` with an endpoint) give
    every service that one endpoint: the compute API's is no other API.
    """
    connection = _connection(app)
    try:
        proxy = getattr(connection, service)
        # The adapter's: the identity proxy's get_endpoint reads a
        # catalog Endpoint resource.
        endpoint = adapter.Adapter.get_endpoint(proxy)
        # The SDK appends the service's version to the endpoint it was
        # given.
        endpoint = (endpoint or '').rstrip('/')
        compute = (connection.compute.get_endpoint() or '').rstrip('/')
        if not endpoint or compute in (
                endpoint, re.sub(r'/v[0-9.]+$', '', endpoint)):
            return None
    except (ks_exceptions.EndpointNotFound, ks_exceptions.CatalogException,
            sdk_exceptions.SDKException):
        return None
    return _guarded(app, proxy, service)


def user_name(app):
    """The Keystone user the credentials name; None for a bare token."""
    try:
        access = app.client_manager.auth_ref
    except (AttributeError, ks_exceptions.ClientException):
        return None
    return (getattr(access, 'username', None) or
            getattr(access, 'user_id', None)) if access else None


def session(app):
    """The keystoneauth session the proxies share."""
    return _connection(app).session
