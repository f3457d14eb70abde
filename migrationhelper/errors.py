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

"""Every exception the tool raises, and the one classifier of API errors.

Modelled on nova/exception.py: typed errors in one place, each raised
where it is found and caught where something can be done about it.
"""

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions


class HostNotFound(exceptions.CommandError):
    """No compute host by that name; nothing was changed."""


class AmbiguousHost(exceptions.CommandError):
    """A short name that is the first label of several hosts."""


class MoveFailed(Exception):
    """One attempt failed; the message says how, for the operator."""


class LeftSource(Exception):
    """The VM is no longer on the source: nothing more may be sent."""


class TimedOut(Exception):
    """The task's deadline passed while it waited."""


class Stalled(TimedOut):
    """Our live migration's copy stopped converging (--stall-timeout)."""


# What a request to a service may raise: classify() says which kind.
REQUEST_ERRORS = (sdk_exceptions.HttpException,
                  ks_exceptions.ConnectionError,
                  ks_exceptions.RequestTimeout)
# What keystoneauth raises when it must authenticate again and cannot.
AUTH_ERRORS = (ks_exceptions.HttpError,
               ks_exceptions.AuthorizationFailure)

# The kinds of API errors.
CREDENTIALS = 'credentials'   # the cloud no longer accepts them
CALLERS = 'callers'           # the caller may not (no admin role)
TRANSIENT = 'transient'       # the API is restarting or does not answer
REFUSED = 'refused'           # Nova refused this request (400, 409, race)
OTHER = 'other'               # Nova could not do it (any other error)

TRANSIENT_STATUS_CODES = frozenset((502, 503, 504))
# What nova-api answers with a 500 when two requests race for one VM: a
# move against another task, or against the VM's deletion.
RACE_ERRORS = ('UnexpectedTaskState', 'UnexpectedDeletingTaskState')


def classify(error):
    """The kind of an API error: one of the kinds above.

    A service answers 401 to a token it no longer accepts, and
    keystoneauth's own HTTP errors and authorization failures come from
    authenticating again, which a token that expired or was revoked cannot
    do. Two requests racing for one VM may get a 500 carrying
    UnexpectedTaskStateError from nova-api: a refusal like a 409.
    """
    status = getattr(error, 'status_code', None)
    # keystoneauth's RequestTimeout (408) is one of its HttpErrors: not
    # answered in time, not refused.
    if isinstance(error, (ks_exceptions.ConnectionError,
                          ks_exceptions.RequestTimeout)):
        return TRANSIENT
    if isinstance(error, sdk_exceptions.HttpException):
        if status == 401:
            return CREDENTIALS
    elif isinstance(error, AUTH_ERRORS):
        return CREDENTIALS
    if status == 403:
        return CALLERS
    if status in TRANSIENT_STATUS_CODES:
        return TRANSIENT
    if isinstance(error, (sdk_exceptions.BadRequestException,
                          sdk_exceptions.ConflictException)):
        return REFUSED
    text = getattr(error, 'details', None) or str(error)
    if status == 500 and any(race in text for race in RACE_ERRORS):
        return REFUSED
    return OTHER


def is_transient(error):
    return classify(error) == TRANSIENT


def is_refusal(error):
    return classify(error) == REFUSED


def credentials_refused(error):
    return classify(error) == CREDENTIALS


def is_callers(error):
    """Refused credentials or role: the caller's to fix, not Nova's."""
    return classify(error) in (CREDENTIALS, CALLERS)
