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

"""One guard for every request a command sends to Nova and Placement.

Reads (planning, listings, polls) are safe to repeat: while the API is
unavailable (502-504 from its proxy, a dropped connection, a request that
timed out) they are sent again with backoff, for up to
READ_RETRY_SECONDS, wherever in a run they are made. Requests that change
something are not repeated here: a move, a confirmation, a reset or an
abort is looked for in Nova before it is sent again (``tasks/issuing``).
Credentials the cloud refuses, and every other error, go to the caller,
which maps them to the documented outcomes.

:class:`GuardedProxy` puts a proxy's reads behind the guard, so that the
plan, the commands and the engine share one behaviour.
"""

import time

from openstack import exceptions as sdk_exceptions

from migrationhelper import errors
from migrationhelper.i18n import _

READ_RETRY_SECONDS = 300

# The calls of the SDK's compute, placement and network proxies that only
# read, or (update_service) set a state to a value: repeating them is
# harmless.
REPEATABLE_CALLS = frozenset((
    'aggregates', 'availability_zones', 'find_server', 'get',
    'get_server', 'get_server_action', 'get_volume', 'hypervisors',
    'migrations',
    'ports', 'server_actions', 'server_groups', 'server_migrations',
    'servers', 'services', 'update_service',
))


class Guard:
    """Retries what is safe to repeat while the API is unavailable."""

    def __init__(self, clock=time.monotonic, sleep=time.sleep, report=None):
        self.clock = clock
        self.sleep = sleep
        self.report = report or (lambda text: None)

    def read(self, call, service='compute'):
        """``call()``, sent again with backoff while the API is unavailable.

        Generators (the SDK's listings) are read whole inside the guard.
        """
        delay = 0.5
        give_up = self.clock() + READ_RETRY_SECONDS
        while True:
            try:
                result = call()
                if hasattr(result, '__next__'):
                    result = list(result)
                return result
            except errors.REQUEST_ERRORS as e:
                if not errors.is_transient(e) or self.clock() >= give_up:
                    raise
                self.report(_('%(service)s API unavailable (%(error)s), '
                              'reading again in %(delay).1fs') % {
                    'service': service, 'error': type(e).__name__,
                    'delay': delay})
                self.sleep(delay)
                delay = min(delay * 2, 10.0)


class GuardedProxy:
    """An SDK proxy whose repeatable calls go through a :class:`Guard`.

    Everything else (moves, confirmations, resets, aborts) passes through
    untouched: the tasks send those once (``tasks/issuing``).
    """

    def __init__(self, proxy, guard, service='compute'):
        self._proxy = proxy
        self._guard = guard
        self._service = service

    def __getattr__(self, name):
        attribute = getattr(self._proxy, name)
        if name not in REPEATABLE_CALLS:
            return attribute

        def guarded(*args, **kwargs):
            return self._guard.read(
                lambda: _answer(attribute(*args, **kwargs)), self._service)
        return guarded


def _answer(result):
    """A REST answer, raised if transient so that the guard sends it again.

    ``get`` with ``raise_exc=False`` returns error answers; the others are
    returned as they are.
    """
    if getattr(result, 'status_code', None) in errors.TRANSIENT_STATUS_CODES:
        sdk_exceptions.raise_from_response(result)
    return result
