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

"""Undrain: the nova-compute services of drained hosts enabled again.

Only a service a drain disabled (its reason says so, see
disabled_reason) is enabled, unless the operator forces it; every host is
checked before any is enabled, so a refusal changes nothing.
"""

from osc_lib import exceptions

from migrationhelper.i18n import _
from migrationhelper.workflows import disabled_reason


def check_undrain(host, force=False):
    """Raise CommandError if undrain must not enable ``host``'s service.

    The service was disabled for another reason than a drain, and
    ``force`` is not set.
    """
    if host.status == 'disabled' and not (
            disabled_reason.is_ours(host.disabled_reason) or force):
        raise exceptions.CommandError(_(
            'The service of %(host)s was not disabled by a drain (reason: '
            '%(reason)s); --force enables it anyway.') % {
            'host': host.host, 'reason': host.disabled_reason or _('none')})


def undrain(compute, host, force=False):
    """Enable a host's service again if a drain disabled it; its status.

    :raises CommandError: see check_undrain; nothing is changed.
    """
    check_undrain(host, force)
    if host.status != 'disabled':
        return host.status
    return compute.update_service(host.service_id, status='enabled').status


def undrain_hosts(compute, hosts, force=False, dry_run=False, say=None):
    """Enable each host's service; [(host, status now, reason before)].

    :param say: told what a dry run would do.
    :raises CommandError: a host that must not be enabled, before any is.
    """
    say = say or (lambda text: None)
    for host in hosts:
        check_undrain(host, force=force)
    rows = []
    for host in hosts:
        if dry_run:
            status = host.status
            if status == 'disabled':
                say(_('Dry run: the service of %s would be enabled; nothing '
                      'was changed.') % host.host)
        else:
            status = undrain(compute, host, force=force)
        rows.append((host.host, status, host.disabled_reason))
    return rows
