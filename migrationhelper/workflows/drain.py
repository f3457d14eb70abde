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

"""Drain compute hosts: close them, move everything off, verify.

The howto end to end, in the order that keeps it safe: everything that can
be checked without changing anything (host names, the plan, where each VM
can go) is checked first; then every host is disabled before the first
move, so that no VM lands on another host being drained; then the engine
moves the VMs; then each host is listed again and what is left is
reported.
"""

import dataclasses
import shlex


from migrationhelper.cloud import listings
from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.planning import decision
from migrationhelper.planning import destinations
from migrationhelper.planning import plan
from migrationhelper.planning import vm_facts
from migrationhelper.workflows import disabled_reason
from migrationhelper.workflows import emptiness


@dataclasses.dataclass
class Request:
    hosts: list                   # hosts.ComputeHost to drain
    compute_hosts: list           # every compute host of the cloud
    options: engine.Options
    dry_run: bool = False
    disable: bool = True
    reason: str = ''
    check_capacity: bool = True
    reads: plan.Reads = plan.Reads()
    same_version: bool = False
    # Hosts the placement model sends VMs to first (a roll's maintained).
    prefer_hosts: frozenset = frozenset()


def plan_drain(compute, placement, request):
    """The hosts' VMs and pending resizes, and whose their allocations are.

    Each host's migrations are listed once: they tell why ERROR VMs are in
    ERROR, which resizes await confirmation, which records a move will not
    mistake for its own, and which allocations are moves'.

    :returns: (planned servers, [(host, [consumers.Holder])]).
    """
    planned, accounts = [], []
    for host in request.hosts:
        migrations = listings.list_host_migrations(compute, host)
        on_host = plan.plan_host(compute, host, request.options.consent,
                                 migrations, request.reads)
        listed = {p.server.id for p in on_host}
        accounts.append((host, emptiness.account(
            compute, placement, host, [p.server for p in on_host],
            migrations)))
        planned.extend(on_host)
        planned.extend(_pending_resizes(compute, host, migrations, listed))
    return planned, accounts


def _pending_resizes(compute, host, migrations, listed):
    """Cold moves from ``host`` whose VM has left it, not confirmed yet.

    An interrupted drain leaves them awaiting confirmation, or still
    finishing on the destination: Nova points the VM at its destination
    before it marks the migration finished, so a listing of the host may
    miss a VM that no migration listing calls finished yet. The source
    keeps their allocation until they are confirmed, so the drain is not
    over without them. A VM no longer resizing (a stale record) is left
    out.

    :param listed: the IDs of the VMs listed on the host (planned there).
    """
    found, seen = [], set(listed)
    for migration in migrations:
        if migration.source_compute != host.host or \
                migration.migration_type not in vocabulary.COLD_MOVE_TYPES or \
                migration.status in vocabulary.FINAL_MIGRATION_STATUSES or \
                migration.server_id in seen:
            continue
        seen.add(migration.server_id)
        server = compute.get_server(migration.server_id)
        if server.compute_host != host.host and \
                server.status in ('RESIZE', 'VERIFY_RESIZE'):
            found.append(plan.PlannedServer(
                server, host, vm_facts.of_server(compute, server),
                decision.Decision(
                    decision.COLD_MIGRATE,
                    _('a resize from this host awaits confirmation'))))
    return found


def receivers(request):
    """The hosts that can take the VMs: only --target-host, if given."""
    drained = {h.host for h in request.hosts}
    target = request.options.target_host
    return destinations.receivers(
        request.compute_hosts, target, excluded=drained,
        target_refused=_('Target host %s is being drained.') % target.host
        if target is not None and target.host in drained else None)


def disable_hosts(compute, hosts, reason):
    """Close every host to new VMs; leave an operator's own reason be."""
    for host in hosts:
        if host.status == 'disabled':
            continue
        if disabled_reason.drained_at(reason) is not None:
            # The time of the update itself: the plan took a while since
            # the reason was written, and Nova's own time of the update
            # then most often has the same second (no second request).
            reason = disabled_reason.at(
                reason, disabled_reason.workstation_now())
        service = compute.update_service(host.service_id, status='disabled',
                                         disabled_reason=reason)
        novas = disabled_reason.on_novas_clock(
            reason, getattr(service, 'updated_at', None))
        if novas != reason:
            # Nova's clock, for the restore; the workstation's may differ.
            compute.update_service(host.service_id, status='disabled',
                                   disabled_reason=novas)


def verify_empty(compute, placement, hosts, rows, sleep=None):
    """List the hosts again, and read placement: what is left is not moved.

    A VM still listed on a host is not moved; an allocation placement
    still holds there is a row of its own (``emptiness``).
    """
    by_id = {row.server_id: row for row in rows}
    for host in hosts:
        servers = listings.list_host_servers(compute, host)
        for server in servers:
            row = by_id.get(server.id)
            if row is None:
                rows.append(outcomes.Outcome(
                    server.id, server.name, decision.SKIP, outcomes.SKIPPED,
                    host.host, None, 0.0,
                    _('arrived on the host during the drain')))
            elif row.result == outcomes.MOVED:
                row.result = outcomes.FAILED
                row.add_note(_('Nova still lists it on %s') % host.host)
        holders = emptiness.account_settled(
            compute, placement, host, servers,
            listings.list_host_migrations(compute, host),
            sleep=sleep or engine.idle)
        emptiness.add_leftover_rows(host, holders, rows)
    return rows


def drain(compute, placement, request, report=None, warn=None):
    """Drain the request's hosts; return (result rows, engine.Stop or None).

    :param report: a progress.Progress (or None) for events on stderr.
    :param warn: called with each thing the plan cannot check.
    """
    warn = warn or (lambda text: None)
    planned, accounts = plan_drain(compute, placement, request)
    emptiness.refuse_unexplained(accounts)
    for warning in emptiness.warnings(accounts):
        warn(warning)
    receiving = receivers(request)
    planned = destinations.place_or_refuse(
        compute, placement, planned, receiving,
        warn, refuse=request.check_capacity,
        only_hosts=destinations.same_hypervisor_only(planned, receiving)
        if request.same_version else None,
        compute_hosts=request.compute_hosts, prefer=request.prefer_hosts)
    if request.dry_run:
        rows = outcomes.planned_outcomes(planned, request.options)
        for host, holders in accounts:
            emptiness.add_leftover_rows(host, holders, rows)
        return rows, None
    if request.disable:
        disable_hosts(compute, request.hosts, request.reason)
    runner = engine.Engine(compute, request.options, report)
    rows = runner.run(planned)
    if runner.stopped:
        return rows, runner.stopped
    return engine.after_the_moves(
        lambda moved: verify_empty(compute, placement, request.hosts, moved),
        rows, warn)


def summary(request, rows, stop=None):
    """One closing line per host: its service, its VMs, placement, next.

    What an operator reads last on stderr, after the table: whether the
    host is closed, moved and left counts, whether placement holds
    anything there, and the command to run next.
    """
    lines = []
    for host in request.hosts:
        mine = [r for r in rows if r.source == host.host]
        held = [r for r in mine if r.result == outcomes.HELD_IN_PLACEMENT]
        vms = [r for r in mine if r.result != outcomes.HELD_IN_PLACEMENT]
        moved = sum(r.result == outcomes.MOVED for r in vms)
        left = sum(not (r.result in (outcomes.MOVED, outcomes.PLANNED) or
                        r.settled) for r in vms)
        planned = sum(r.result == outcomes.PLANNED for r in vms)
        closed = host.status == 'disabled' or (
            request.disable and not request.dry_run)
        values = {
            'host': host.host,
            'service': (_('service disabled') if closed
                        else _('service left enabled')),
            'moved': _vms(moved), 'left': left, 'planned': _vms(planned)}
        if request.dry_run:
            text = _('%(host)s: dry run, nothing changed: %(planned)s would '
                     'move, %(left)d would be left') % values
        elif not vms and not held:
            text = _('%(host)s: nothing to move; %(service)s; placement '
                     'holds nothing there') % values
        else:
            text = _('%(host)s: %(service)s; %(moved)s moved, %(left)d '
                     'left') % values
            text += '; ' + (_('placement holds %s there (rows '
                              'held-in-placement)') % (
                _('1 allocation') if len(held) == 1
                else _('%d allocations') % len(held)) if held
                else _('placement holds nothing there'))
        if request.dry_run:
            pass
        elif stop is not None:
            text += '; ' + _('stopped early: run the same command again to '
                             'finish')
        elif left or held:
            text += '; ' + _('see the rows that are not moved, then run the '
                             'same command again')
        elif closed:
            text += '; ' + _('empty: maintain it, then run openstack host '
                             'undrain --restore %s') % shlex.quote(host.host)
        lines.append(text)
    return lines


def _vms(count):
    return _('1 VM') if count == 1 else _('%d VMs') % count
