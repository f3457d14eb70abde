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

"""Is the host really empty? Nova's listing and placement's, reconciled.

A listing alone can be wrong: Nova's filtered listings skip a cell that
does not answer, and failed moves leave allocations behind. So a host is
empty when Nova lists no VM on it *and* placement holds nothing on its
providers; whatever placement holds is accounted for by consumer
(``consumers.classify``), at a constant number of requests per host plus
one per consumer the listings do not explain.
"""

import datetime
import time

from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions

from migrationhelper.cloud import listings
from migrationhelper.cloud import providers
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import outcomes
from migrationhelper.planning import consumers
from migrationhelper.planning import decision

# Nova deletes a finished move's source allocation just after it writes the
# move's final status: the last check reads again for up to this long
# before it calls such an allocation left behind.
SETTLE_SECONDS = 15.0
SETTLE_POLL_SECONDS = 0.25


def account(compute, placement, host, servers, migrations):
    """Every allocation on the host's providers, as consumers.Holders.

    :param servers: the servers Nova lists on the host.
    :param migrations: the SDK's migrations from or to the host.
    """
    servers = list(servers)
    server_ids = {s.id for s in servers}
    held = consumers.by_consumer(providers.tree_allocations(placement, host))
    records = listings.migration_records(migrations)
    seen = listings.look_up_consumers(compute, consumers.to_look_up(
        held, host.host, server_ids, records))
    # Our clock, not Nova's: minutes of skew would only delay the verdict
    # or, for a VM Nova shows idle, bring it forward.
    stale_before = (datetime.datetime.now(datetime.timezone.utc) -
                    datetime.timedelta(seconds=consumers.STUCK_AFTER_SECONDS)
                    ).strftime('%Y-%m-%dT%H:%M:%S')
    idle = {s.id for s in servers if not decision.busy(s)}
    # A stuck move's VM may be elsewhere by now (moved by a later move):
    # read only the VMs of old records the listing does not show.
    for server_id in {m.server_id for m in consumers.stale_moves(
            records, stale_before)} - server_ids:
        try:
            if not decision.busy(compute.get_server(server_id)):
                idle.add(server_id)
        except sdk_exceptions.HttpException as e:
            if errors.is_callers(e):
                raise
    stuck = consumers.stuck_moves(records, idle, stale_before)
    return consumers.classify(held, host.host, server_ids, records, seen,
                              stuck)


def account_settled(compute, placement, host, servers, migrations,
                    clock=time.monotonic, sleep=time.sleep):
    """:func:`account`, read again while a finished move's lingers."""
    give_up = clock() + SETTLE_SECONDS
    servers = list(servers)
    while True:
        holders = account(compute, placement, host, servers, migrations)
        if not any(h.may_clear_soon for h in holders) or clock() >= give_up:
            return holders
        sleep(SETTLE_POLL_SECONDS)


def refuse_unexplained(accounts):
    """Raise CommandError for hosts Nova cannot account for; change nothing.

    :param accounts: [(host, [Holder])]. A host whose cell does not answer
        (from compute API 2.69 Nova lists its service with status UNKNOWN
        and nothing more), or on which placement holds what Nova cannot
        explain, may hold VMs the listing does not show: it is never
        called empty, and nothing is done to it.
    """
    lines = []
    for host, holders in accounts:
        if host.status == 'UNKNOWN' or host.service_id is None:
            lines.append(_('%s: Nova cannot read its cell (service status '
                           'UNKNOWN): its VMs can be neither listed nor '
                           'moved') % host.host)
        elif not (host.hypervisor_ids or host.hypervisor_hostnames):
            lines.append(_('%s: Nova shows no compute node for it, so '
                           'placement cannot be read for it') % host.host)
        lines.extend('%s: %s' % (host.host, consumers.describe(h))
                     for h in holders if h.kind in consumers.UNEXPLAINED)
    if lines:
        raise exceptions.CommandError(_(
            'Nova cannot account for everything on the host, so it would '
            'never be known empty. Nothing was changed.\n%s')
            % '\n'.join(lines))


def warnings(accounts):
    """One line per allocation the drain will not clear, before it acts."""
    return [_('%(host)s: %(what)s; the host will not be called empty') % {
        'host': host.host, 'what': consumers.describe(h)}
        for host, holders in accounts for h in holders
        if h.kind in consumers.TO_CLEAR]


def add_leftover_rows(host, holders, rows):
    """Rows for what placement holds on the host besides its listed VMs.

    VMs on the host, and moves of VMs that have a row, are in the table
    already. An evacuated VM's allocation on its dead host goes when
    nova-compute starts there again: its row says so and stays as it is.
    Everything else is a row of its own, keyed by the consumer, and is
    settled only if it clears itself.
    """
    by_id = {row.server_id: row for row in rows}
    for holder in holders:
        if holder.kind == consumers.VM:
            continue
        row = by_id.get(holder.server_id)
        if holder.kind in (consumers.MOVING_FROM,
                           consumers.EVACUATED) and row is not None:
            row.add_note(consumers.describe(holder))
            continue
        rows.append(outcomes.Outcome(
            holder.consumer, row.name if row is not None else '',
            decision.SKIP, outcomes.HELD_IN_PLACEMENT, host.host, None, 0.0,
            consumers.describe(holder),
            settled=holder.kind in consumers.CLEAR_THEMSELVES))
    return rows
