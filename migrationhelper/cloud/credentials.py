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

"""Credentials over a long run: which renew, and when the cloud refuses.

A drain of a full host takes hours and keystone tokens last one by
default. keystoneauth renews password and application credentials on its
own; a bare token cannot be renewed, and once it expires every request
fails: the run must then stop as on Ctrl-C, with its table, not crash.
"""

import datetime

from keystoneauth1 import identity
from keystoneauth1 import token_endpoint
from openstack import exceptions as sdk_exceptions

from migrationhelper.i18n import _

# Plugins that hold a token and nothing to get another with.
BARE_TOKEN_PLUGINS = (identity.Token, identity.V3Token, identity.V2Token,
                      token_endpoint.Token)


def renewable(auth):
    return not isinstance(auth, BARE_TOKEN_PLUGINS)


def expiry(session):
    """When the session's token expires (aware, UTC), or None if unknown."""
    get_access = getattr(session.auth, 'get_access', None)
    if get_access is None:
        return None
    try:
        return get_access(session).expires
    except Exception:
        # Authenticating fails the command clearly soon enough; this is
        # only a warning.
        return None


def warning(session, now=None):
    """The warning for credentials that cannot be renewed, or None."""
    if session is None or renewable(session.auth):
        return None
    advice = _('for long runs use a password or an application credential')
    expires = expiry(session)
    if expires is None:
        return _('The credentials are a bare token, which cannot be renewed: '
                 'if it expires during the run, the run stops there; '
                 '%s.') % advice
    now = now or datetime.datetime.now(datetime.timezone.utc)
    minutes = max(0, int((expires - now).total_seconds() // 60))
    return _('The token expires in %(minutes)d min (%(when)s) and cannot be '
             'renewed: a run that outlives it stops there; %(advice)s.') % {
        'minutes': minutes, 'advice': advice,
        'when': expires.strftime('%Y-%m-%d %H:%M:%S UTC')}


def expired_message(error):
    """The one line saying the credentials stopped working, and what to do."""
    return _(
        'The cloud no longer accepts the credentials (%s): a token that '
        'expired or was revoked cannot be renewed. No move was started '
        'since; moves in flight go on in Nova. Run the same command again '
        'with renewable credentials (a password or an application '
        'credential) to finish.') % _what(error)


def refused_before_moving(error):
    return _(
        'The cloud no longer accepts the credentials (%s): a token that '
        'expired or was revoked cannot be renewed. No move was started. Run '
        'it again with a new token, or with renewable credentials (a '
        'password or an application credential).') % _what(error)


def _what(error):
    # Never str(error): keep whatever the answer carried off the screen.
    status = getattr(error, 'status_code', None) or getattr(
        error, 'http_status', None)
    if isinstance(error, sdk_exceptions.HttpException):
        return _('the API answered HTTP %s') % status
    if status:
        return _('keystone answered HTTP %s when asked again') % status
    return type(error).__name__
