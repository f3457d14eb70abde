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

"""The drain's record in Nova: the nova-compute service's disabled reason.

``migrationhelper: [why; ]drained by <user> at <time>`` says the service
is ours to enable again (undrain) and when the drain began, from which a
restore finds the VMs it moved off (Nova's migration records since then).
Written by the drain, read by undrain and restore, from any workstation.
"""

import datetime
import getpass
import re

from migrationhelper.cloud import vocabulary
from migrationhelper import defaults

# Not translated: ``host undrain --restore`` reads the time back from Nova,
# whatever the locale of the admin who drained the host.
DRAINED_BY = '%(prefix)s %(why)sdrained by %(user)s at %(when)s'
DRAINED_AT = re.compile(r'^%s (?:.*; )?drained by .* at (\S+)$' %
                        re.escape(defaults.REASON_PREFIX))
# Nova's limit on a service's disabled reason (os-services schema).
REASON_MAX_LENGTH = 255


def workstation_now():
    return datetime.datetime.now(datetime.timezone.utc)


def compose(custom=None, user=None, now=None):
    """Ours, recognisably: why (when the operator says), who and when.

    The time is always there: ``host undrain --restore`` reads it back.
    It is this workstation's until Nova's own replaces it
    (on_novas_clock), once the service is disabled. ``user`` is the
    Keystone user; the local login only when the credentials name none.
    """
    now = now or workstation_now()
    values = {'prefix': defaults.REASON_PREFIX, 'why': '',
              'user': user or getpass.getuser(),
              'when': now.strftime(vocabulary.TIME_FORMAT)}
    if custom:
        room = REASON_MAX_LENGTH - len(DRAINED_BY % values) - len('; ')
        values['why'] = '%s; ' % custom[:max(room, 0)]
    return DRAINED_BY % values


def on_novas_clock(reason, updated_at):
    """``reason`` with the time Nova recorded the service update at.

    ``host undrain --restore`` compares that time with Nova's migration
    records: a workstation clock ahead of Nova's would hide the drain's
    first moves. A reason without a time, or an update without one, is
    kept as it is.
    """
    if drained_at(reason) is None or not updated_at:
        return reason
    try:
        novas = datetime.datetime.fromisoformat(
            updated_at.rstrip('Zz')[:19])
    except ValueError:
        return reason
    return at(reason, novas)


def at(reason, when):
    """``reason`` (one that says when) saying ``when`` instead."""
    head = reason[:reason.rindex(' at ')]
    return '%s at %s' % (head, when.strftime(vocabulary.TIME_FORMAT))


def drained_at(reason):
    """When the drain that wrote ``reason`` began (UTC), or None."""
    match = DRAINED_AT.match(reason or '')
    if match is None:
        return None
    return vocabulary.parse_utc(match.group(1))


def is_ours(reason):
    return bool(reason) and reason.startswith(defaults.REASON_PREFIX)
