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

"""Restore a drained host: bring back the VMs its last drain moved off.

The record is Nova's own, so a restore works from any admin host: the
drain's disabled reason says when it began, and the migrations from the
host since then say where each VM went. A VM still where its migration put
it comes back to the host, live if it runs or is paused, cold (then
confirmed) if it is stopped; one moved on since stays where it is. A VM
deleted since is no error: Nova deletes its migration records with it.

Everything that can be checked without changing anything is checked first
(the record, the host, the room on it); then the service is enabled, as
``host undrain`` does, and the engine moves the VMs to that host. Ctrl-C
disables the service again with the drain's reason, so that running the
same command again finds the record and finishes the restore.
"""

import dataclasses
import datetime
import shlex

from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions

from migrationhelper.cloud import listings
from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.planning import decision
from migrationhelper.planning import destinations
from migrationhelper.planning import plan
from migrationhelper.workflows import disabled_reason
from migrationhelper.workflows import undrain

# The migrations a drain makes; a resize is its owner's, not the drain's.
DRAIN_MIGRATION_TYPES = frozenset((
    vocabulary.LIVE_MIGRATION, vocabulary.COLD_MIGRATION,
    vocabulary.EVACUATION))
# Moves a restore makes: the VM goes back by the host it is on now, which
# is up. Evacuating or offloading is never a way back.
WAYS_BACK = decision.LIVE_MOVES | decision.COLD_MOVES | {decision.WAIT}


@dataclasses.dataclass
class Request:
    host: object                  # hosts.ComputeHost to restore
    compute_hosts: list           # every compute host of the cloud
    options: engine.Options       # its target_host is ``host``
    since: datetime.datetime | None = None    # --since
    force: bool = False
    dry_run: bool = False
    check_capacity: bool = True
    reads: plan.Reads = plan.Reads()


def parse_time(text):
    """An ISO 8601 time as an aware UTC datetime; naive times are UTC.

    :raises ValueError: not a time.
    """
    text = text.strip()
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    when = datetime.datetime.fromisoformat(text)
    if when.tzinfo is None:
        return when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc)


def format_time(when):
    return when.strftime(vocabulary.TIME_FORMAT)


def drain_began(request):
    """When the last drain of the host began: --since, or Nova's record.

    :raises CommandError: the record cannot be established; nothing changed.
    """
    if request.since is not None:
        return request.since
    host = request.host
    began = disabled_reason.drained_at(host.disabled_reason)
    if began is not None and host.status == 'disabled':
        return began
    if host.status != 'disabled':
        why = _('its service is enabled, so Nova no longer holds the '
                'drain\'s disabled reason (enabled by hand, or by a '
                'restore or undrain that ended)')
    elif disabled_reason.is_ours(host.disabled_reason):
        why = _('its disabled reason, "%s", was given at the drain and '
                'does not say when it began') % host.disabled_reason
    else:
        why = _('its disabled reason, "%s", is not a drain\'s') % (
            host.disabled_reason or _('none'))
    raise exceptions.CommandError(_(
        'Cannot tell which VMs the last drain of %(host)s moved: %(why)s. '
        'Nothing was changed. Give the time the drain began with --since '
        '(UTC, e.g. 2026-11-26T08:00:00Z).') % {
        'host': host.host, 'why': why})


def plan_restore(compute, request, since):
    """The VMs to bring back, and the rows of those that stay.

    :returns: (plan.PlannedServer list whose destination is the host,
        outcomes.Outcome list of VMs deleted or moved on since).
    """
    host = request.host
    latest = listings.latest_migrations([
        m for m in compute.migrations(
            source_compute=host.host, changes_since=format_time(since))
        if m.source_compute == host.host and
        parse_time(m.created_at) >= since and
        m.dest_compute not in (None, host.host) and
        m.migration_type in DRAIN_MIGRATION_TYPES])
    away, settled = [], []
    for server_id, migration in latest.items():
        server = _server_or_none(compute, server_id)
        if server is None:
            settled.append(_settled(server_id, '', migration, _(
                'deleted while the restore read it')))
        elif server.compute_host == host.host:
            continue    # back already (a restore that was interrupted)
        elif server.compute_host != migration.dest_compute:
            settled.append(_settled(server.id, server.name, migration, _(
                'moved on to %(now)s since the drain put it on %(then)s: '
                'left there') % {'now': server.compute_host or _('no host'),
                                 'then': migration.dest_compute}))
        else:
            away.append(server)
    planned = plan.plan_servers(compute, away, request.compute_hosts,
                                request.options.consent, request.reads)
    return ([_back_to(p, host) for p in planned],
            settled + offloaded_since(compute, host.host, since))


def offloaded_since(compute, host, since):
    """Rows of the shelved VMs the drain offloaded: they stay offloaded.

    An offloaded VM has no host and no migration record; its shelveOffload
    action's events name the host it left (compute API 2.62+). One listing
    of the VMs offloaded since the drain began, then the actions of those
    few only.
    """
    rows = []
    for server in compute.servers(
            all_projects=True, status='SHELVED_OFFLOADED',
            changes_since=format_time(since)):
        if _offloaded_from(compute, server, host, since):
            rows.append(outcomes.Outcome(
                server.id, server.name, decision.SKIP, outcomes.SKIPPED,
                None, None, 0.0, _(
                    'offloaded by the drain: no host to come back from; it '
                    'stays shelved until its owner unshelves it'),
                settled=True))
    return rows


def _offloaded_from(compute, server, host, since):
    for action in compute.server_actions(server.id):
        if action.action != 'shelveOffload' or \
                parse_time(action.start_time) < since:
            continue
        detail = compute.get_server_action(action.request_id, server.id)
        for event in detail.events or []:
            event_host = (event.get('host') if isinstance(event, dict)
                          else getattr(event, 'host', None))
            if event_host == host:
                return True
    return False


def _server_or_none(compute, server_id):
    try:
        server = compute.get_server(server_id)
    except sdk_exceptions.NotFoundException:
        return None
    return None if server.status == 'DELETED' else server


def _settled(server_id, name, migration, why):
    return outcomes.Outcome(
        server_id, name, decision.SKIP, outcomes.SKIPPED,
        migration.dest_compute, None, 0.0, why, settled=True)


def _back_to(planned, host):
    """The move back to ``host``, or SKIP with the reason it cannot."""
    action = planned.decision.action
    if action in WAYS_BACK:
        return dataclasses.replace(planned, destination=host.host)
    if action == decision.SKIP:
        return planned
    return dataclasses.replace(planned, decision=decision.Decision(
        decision.SKIP, _('%(why)s: it cannot go back by %(action)s; %(owner)s')
        % {'why': planned.decision.reason or planned.server.status,
           'action': action, 'owner': planned.facts.owner}))


def check_host(request):
    """The host must be up to take VMs, and ours to enable."""
    host = request.host
    if not host.is_up:
        raise exceptions.CommandError(_(
            'nova-compute on %s is down: start it before restoring. Nothing '
            'was changed.') % host.host)
    undrain.check_undrain(host, request.force)


def restore(compute, placement, request, report=None, warn=None):
    """Restore the request's host.

    :returns: (result rows, engine.Stop or None, when the drain began).
    :raises CommandError: before anything changed.
    """
    warn = warn or (lambda text: None)
    since = drain_began(request)
    check_host(request)
    planned, settled = plan_restore(compute, request, since)
    planned = destinations.place_or_refuse(
        compute, placement, planned, [request.host], warn,
        refuse=request.check_capacity)
    if request.dry_run:
        return (outcomes.planned_outcomes(planned, request.options) +
                settled, None, since)
    undrain.undrain(compute, request.host, request.force)
    runner = engine.Engine(compute, request.options, report)
    rows = runner.run(planned)
    if runner.stopped:
        if runner.stopped.kind == engine.INTERRUPTED:
            _disable_again(compute, request.host)
        # Refused credentials can change nothing more: the service stays
        # enabled, and --since finishes the restore.
        return rows + settled, runner.stopped, since
    rows, stop = engine.after_the_moves(
        lambda moved: verify_back(compute, request.host, moved), rows, warn)
    return rows + settled, stop, since


def _disable_again(compute, host):
    """Ctrl-C: the service as the drain left it, with the drain's record."""
    if host.status == 'disabled':
        compute.update_service(host.service_id, status='disabled',
                               disabled_reason=host.disabled_reason)


def verify_back(compute, host, rows):
    """A VM moved back must be on the host, not merely off where it was."""
    on_host = {s.id for s in listings.list_host_servers(compute, host)}
    for row in rows:
        if row.result == outcomes.MOVED and row.server_id not in on_host:
            row.result = outcomes.FAILED
            row.add_note(_('Nova does not list it on %s') % host.host)
    return rows


def check_hosts(requests):
    """Every host's record and state, before any VM moves.

    :raises CommandError: a host that cannot be restored; nothing changed.
    """
    for request in requests:
        drain_began(request)
        check_host(request)


def restore_hosts(compute, placement, requests, report=None, warn=None,
                  say=None):
    """Restore each request's host in turn, as ``host undrain --restore``.

    Every host is checked first (check_hosts): a refusal of the second
    host changes nothing on the first. A stop (Ctrl-C, refused
    credentials) ends the run; the hosts not reached are named.

    :param say: told at once of a host with nothing to restore.
    :returns: (rows of every host, engine.Stop or None, closing lines: how
        to go on).
    """
    say = say or (lambda text: None)
    check_hosts(requests)
    every, stop, closing = [], None, []
    for number, request in enumerate(requests):
        rows, stop, since = restore(compute, placement, request, report, warn)
        every.extend(rows)
        if not rows and stop is None:
            say(_nothing_to_restore(request, since))
        elif not request.dry_run and (
                stop is not None or not outcomes.all_done(rows)):
            closing.append(_how_to_go_on(request.host, since, stop))
        if stop is not None:
            not_started = [r.host.host for r in requests[number + 1:]]
            if not_started and not request.dry_run:
                closing.append(_(
                    'Not restored yet, the run stopped first: %s; run the '
                    'same command again for them.') % ', '.join(not_started))
            break
    return every, stop, closing


def _nothing_to_restore(request, since):
    return _(
        'Nothing to restore: Nova records no migration off %(host)s since '
        '%(since)s (%(where)s) of a VM that is still where it went.') % {
        'host': request.host.host, 'since': format_time(since),
        'where': _('--since') if request.since is not None
        else _('when its drain began, by its disabled reason')}


def _how_to_go_on(host, since, stop):
    disabled_again = (stop is not None and
                      stop.kind == engine.INTERRUPTED and
                      host.status == 'disabled')
    return _(
        'Not every VM is back on %(name)s. %(state)s; to go on, run: '
        'openstack host undrain --restore %(host)s --since %(since)s') % {
        'name': host.host,
        'state': (_('The service is disabled again with the drain\'s '
                    'reason') if disabled_again
                  else _('The service is enabled')),
        'host': shlex.quote(host.host), 'since': format_time(since)}
