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

"""Compute host commands: ``host vms``, ``status``, ``drain``, ``undrain``."""

import argparse
import collections
import shlex

from osc_lib.cli import format_columns
from osc_lib.command import command

from migrationhelper import defaults
from migrationhelper.i18n import _
from migrationhelper.v1 import clients
from migrationhelper.v1 import common

# The engine, the decision table and the SDK readers are imported inside
# the functions that use them: OSC imports this module on every call.

VM_COLUMNS = (
    'ID', 'Name', 'Status', 'Task State', 'Power State', 'Flavor', 'Project',
    'Action', 'Reason', 'Live Move', 'Project Name',
)
VM_LONG_COLUMNS = (
    'User', 'vCPUs', 'RAM (MB)', 'Disk (GB)', 'Image', 'Volumes', 'Created',
)
# A table's columns unless -c says otherwise: 80 columns wide at most
# (cliff keeps each column at least 8 wide, headings whole). Why a VM
# cannot move live is in its Reason; 'Live Move' is in -c, --long and
# every other output format.
VM_TABLE_COLUMNS = (
    'Name', 'ID', 'Status', 'Power State', 'Action', 'Reason',
)
# --long in a table: who owns each VM and its size, still within 100
# columns (the Reason wraps first); its other columns (user, resources,
# image, volumes, creation time) come with -c or any other output format.
VM_LONG_TABLE_COLUMNS = (
    'Name', 'ID', 'Status', 'Power State', 'Flavor', 'Project', 'Action',
    'Reason',
)
# The same on a terminal narrower than 100 columns: eight columns of at
# least 8 cannot fit 80.
VM_LONG_NARROW_TABLE_COLUMNS = (
    'Name', 'ID', 'Status', 'Flavor', 'Project', 'Action',
)
WIDE_TERMINAL = 100


def _add_host_argument(parser, dest='host', nargs=None):
    parser.add_argument(
        dest, metavar='<host>', nargs=nargs,
        help=_('Compute host: its nova-compute service host or hypervisor '
               'hostname, or the short name of exactly one of them'))


def _find_host(app, compute, name):
    from migrationhelper.cloud import listings
    listings.check_compute_api(compute)
    return listings.find_compute_host(compute, name,
                                      lambda: clients.placement(app),
                                      lambda text: common.warn(app, text))


def _power_state_name(power_state):
    from migrationhelper.planning import decision
    return decision.POWER_STATE_NAMES.get(power_state, power_state)


def _vm_row(planned, long):
    server = planned.server
    flavor = server.flavor or {}
    row = (
        server.id, server.name, server.status, server.task_state,
        _power_state_name(server.power_state), flavor.get('original_name'),
        server.project_id, planned.decision.action, planned.decision.reason,
        _live_move(planned.live), planned.facts.project_name,
    )
    if not long:
        return row
    image = server.image or {}
    return row + (
        server.user_id, flavor.get('vcpus'), flavor.get('ram'),
        flavor.get('disk'),
        image.get('id') or _('N/A (booted from volume)'),
        format_columns.ListColumn(
            v['id'] for v in server.attached_volumes or []),
        server.created_at,
    )


def _long_table_columns():
    from cliff import utils
    width = utils.terminal_width()
    if width is not None and width < WIDE_TERMINAL:
        return VM_LONG_NARROW_TABLE_COLUMNS
    return VM_LONG_TABLE_COLUMNS


def _live_move(limit):
    """yes, or no / interrupted with why.

    On this cloud, whatever its state now: a stopped VM started again
    would move so.
    """
    why = limit.no_live_move or limit.interrupts
    return '%s: %s' % (limit.verdict, why) if why else limit.verdict


class ListHostVMs(command.Lister):
    _description = _(
        'List every VM on a compute host, in all projects, with the move '
        'each one needs to leave the host')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_host_argument(parser)
        parser.add_argument(
            '--long', action='store_true', default=False,
            help=_('Also show flavor and project (in a table; on a '
                   'terminal narrower than 100 columns, instead of power '
                   'state and reason); with -f json, yaml, csv or value '
                   'also the user, flavor resources, image, volumes and '
                   'creation time'))
        return parser

    def take_action(self, parsed_args):
        from migrationhelper.cloud import hosts
        from migrationhelper.planning import destinations
        from migrationhelper.planning import plan
        compute = clients.compute(self.app)
        compute_hosts, _target = common.compute_hosts_and_target(
            self.app, compute, None)
        host = hosts.resolve(parsed_args.host, compute_hosts)
        verdicts = destinations.place_plan(
            compute, clients.placement(self.app),
            plan.plan_host(compute, host, reads=plan.Reads(
                network=clients.network(self.app),
                volumes=clients.block_storage(self.app),
                identity=clients.identity(self.app))),
            hosts.receiving_hosts(compute_hosts, excluded=(host.host,)))
        for warning in verdicts.warnings:
            common.warn(self.app, warning)
        planned = verdicts.planned
        if not planned:
            self.app.stderr.write(_('No VM on %s.\n') % host.host)
        columns = VM_COLUMNS + (VM_LONG_COLUMNS if parsed_args.long else ())
        rows = [_vm_row(p, parsed_args.long) for p in planned]
        shown, cells = common.table_view(
            parsed_args, columns, rows,
            _long_table_columns() if parsed_args.long else VM_TABLE_COLUMNS)
        if 'Project' not in shown or shown is columns:
            return shown, cells
        # A table names the owner where the identity API gave its name.
        at = shown.index('Project')
        return shown, [
            cell[:at] + (p.facts.project_name or cell[at],) + cell[at + 1:]
            for p, cell in zip(planned, cells)]


HOST_STATUS_FIELDS = (
    'Host', 'Hypervisor Hostnames', 'Service ID', 'Service Status',
    'Service State', 'Disabled Reason', 'Forced Down', 'Hypervisor Type',
    'Hypervisor Version', 'vCPUs Used', 'vCPUs Capacity', 'RAM Used (MB)',
    'RAM Capacity (MB)', 'Disk Used (GB)', 'Disk Capacity (GB)', 'VMs',
    'VMs By Status', 'Migrations In Progress', 'Allocations',
    'Placement Empty',
)


def _migration_summary(migration):
    return {
        'id': migration.id,
        'server': migration.server_id,
        'type': migration.migration_type,
        'source': migration.source_compute,
        'dest': migration.dest_compute,
        'status': migration.status,
    }


class ShowHostStatus(command.ShowOne):
    _description = _(
        'Show a compute host: its service, hypervisor, resources used and '
        'usable in placement, VMs by status, migrations in progress, and '
        'every allocation placement holds on it by consumer: VMs on the '
        'host, moves, evacuated VMs, leftovers of failed moves, orphans, '
        'and consumers of a cell that does not answer')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_host_argument(parser)
        return parser

    def take_action(self, parsed_args):
        compute = clients.compute(self.app)
        host = _find_host(self.app, compute, parsed_args.host)
        from migrationhelper.cloud import listings
        from migrationhelper.cloud import providers
        from migrationhelper.planning import capacity
        from migrationhelper.planning import consumers
        from migrationhelper.workflows import emptiness
        placement = clients.placement(self.app)
        resources = providers.host_resources(placement, host)
        servers = listings.list_host_servers(compute, host)
        migrations = listings.list_host_migrations(compute, host)
        moving = listings.migrations_in_progress(migrations)
        holders = emptiness.account(compute, placement, host, servers,
                                    migrations)
        by_status = collections.Counter(s.status for s in servers)
        values = (
            host.host,
            format_columns.ListColumn(host.hypervisor_hostnames),
            host.service_id, host.status, host.state, host.disabled_reason,
            host.forced_down, host.hypervisor_type, host.hypervisor_version,
            resources[capacity.VCPU].used, resources[capacity.VCPU].capacity,
            resources[capacity.MEMORY_MB].used,
            resources[capacity.MEMORY_MB].capacity,
            resources[capacity.DISK_GB].used,
            resources[capacity.DISK_GB].capacity,
            len(servers),
            format_columns.DictColumn(dict(sorted(by_status.items()))),
            format_columns.ListDictColumn(
                [_migration_summary(m) for m in moving]),
            AllocationsColumn([consumers.summary(h) for h in holders]),
            not holders,
        )
        if parsed_args.formatter == 'table':
            # Nothing, not "None", where Nova gave no value (null in JSON).
            values = tuple('' if v is None else v for v in values)
        return HOST_STATUS_FIELDS, values


class AllocationsColumn(format_columns.ListDictColumn):
    """Placement's allocations on a host: counts by kind in a table.

    Every allocation whole (consumer, kind, resources, providers, note)
    in JSON, YAML and the other machine formats.
    """

    def human_readable(self):
        kinds = collections.Counter(a['kind'] for a in self._value)
        return ', '.join('%s %d' % (kind, n) for kind, n in sorted(
            kinds.items())) or _('none')


class DrainHost(common.MoveCommand):
    _description = _(
        'Empty compute hosts: disable their nova-compute service, move '
        'every VM off with the move its state needs, wait, verify and report '
        'what is left. Safe to run again: a drained host is left as it is, '
        'and moves an interrupted run left in flight are waited for')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_host_argument(parser, dest='hosts', nargs='+')
        common.add_move_options(parser)
        parser.add_argument(
            '--disable-reason', metavar='<reason>',
            help=_('Why the service is disabled; it is stored as '
                   '"%s <reason>; drained by <user> at <time>" (who and '
                   'when are always kept: undrain --restore reads them)')
            % defaults.REASON_PREFIX)
        parser.add_argument(
            '--no-disable', dest='disable', action='store_false',
            default=True,
            help=_('Leave the nova-compute services enabled (new VMs may '
                   'then land on the hosts being drained)'))
        return parser

    def take_action(self, parsed_args):
        from migrationhelper.cloud import hosts
        from migrationhelper.workflows import drain
        compute = clients.compute(self.app)
        compute_hosts, target = common.compute_hosts_and_target(
            self.app, compute, parsed_args.target_host)
        drained = hosts.resolve_all(parsed_args.hosts, compute_hosts)
        reporter = self.progress(parsed_args)
        request = drain.Request(
            hosts=drained, compute_hosts=compute_hosts,
            options=common.engine_options(parsed_args, target),
            dry_run=parsed_args.dry_run, disable=parsed_args.disable,
            reason=drain.disable_reason(parsed_args.disable_reason,
                                        user=clients.user_name(self.app)),
            check_capacity=parsed_args.check_capacity,
            allow_evacuate=parsed_args.evacuate,
            reads=common.plan_reads(self.app, parsed_args),
            same_version=parsed_args.same_version)
        outcomes, stop = drain.drain(
            compute, clients.placement(self.app), request, reporter,
            warn=self.warn)
        table = self.results(outcomes, stop, reporter)
        self.closing = drain.summary(request, outcomes, stop)
        return table


UNDRAIN_COLUMNS = ('Host', 'Service Status', 'Previous Disabled Reason')
# Options that only mean something with --restore (argparse dests).
RESTORE_ONLY = ('since', 'max_parallel', 'timeout', 'on_timeout',
                'stall_timeout', 'retries',
                'allow_downtime', 'check_capacity', 'wait')


def _since(text):
    from migrationhelper.workflows import restore
    try:
        return restore.parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _('%s is not a time (e.g. 2026-11-26T08:00:00Z)') % text)


class UndrainHost(common.MoveCommand):
    _description = _(
        'Enable the nova-compute service of drained hosts again, if host '
        'drain disabled them; with --restore, also move back the VMs the '
        'last drain of each moved off it, one host after the other. Without '
        '--restore the table is one row per host; with it, one row per VM, '
        'as host drain prints')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_host_argument(parser, dest='hosts', nargs='+')
        parser.add_argument(
            '--force', action='store_true', default=False,
            help=_('Enable it even if it was disabled for another reason '
                   'than a drain'))
        parser.add_argument(
            '--dry-run', action='store_true', default=False,
            help=_('Print what would be done and change nothing, not even '
                   'the service'))
        parser.add_argument(
            '--restore', action='store_true', default=False,
            help=_('Then move back every VM that the last drain of the host '
                   'moved off it and that is still where the drain put it: '
                   'live if it runs or is paused, cold (then confirmed) if '
                   'it is stopped. Nova\'s migration records since the drain '
                   'began say which, so it works from any admin host. VMs '
                   'deleted or moved on since are left where they are'))
        group = parser.add_argument_group(_('restore options'))
        group.add_argument(
            '--since', metavar='<time>', type=_since,
            help=_('When the drain began (ISO 8601, UTC unless an offset is '
                   'given). Default: the time in the drain\'s disabled '
                   'reason; needed when the service was enabled since or '
                   'the reason was replaced'))
        common.add_engine_options(group)
        self._parser = parser
        return parser

    def take_action(self, parsed_args):
        if not parsed_args.restore:
            given = [d for d in RESTORE_ONLY if getattr(parsed_args, d) !=
                     self._parser.get_default(d)]
            if given:
                self._parser.error(_('--%s only applies with --restore') %
                                   given[0].replace('_', '-'))
        compute = clients.compute(self.app)
        from migrationhelper.cloud import hosts
        from migrationhelper.workflows import drain
        compute_hosts, _target = common.compute_hosts_and_target(
            self.app, compute, None)
        undrained = hosts.resolve_all(parsed_args.hosts, compute_hosts)
        if parsed_args.restore:
            return self._restore(compute, compute_hosts, undrained,
                                 parsed_args)
        # Every host checked before any is enabled: a refusal changes
        # nothing.
        for host in undrained:
            drain.check_undrain(host, force=parsed_args.force)
        rows = []
        for host in undrained:
            if parsed_args.dry_run:
                status = host.status
                if status == 'disabled':
                    self.app.stderr.write(_(
                        'Dry run: the service of %s would be enabled; nothing '
                        'was changed.\n') % host.host)
            else:
                status = drain.undrain(compute, host,
                                       force=parsed_args.force)
            rows.append((host.host, status, host.disabled_reason))
        return UNDRAIN_COLUMNS, rows

    def _restore(self, compute, compute_hosts, undrained, parsed_args):
        """Restore each host in turn; the rows of all, one exit status."""
        from migrationhelper.workflows import restore
        requests = [restore.Request(
            host=host, compute_hosts=compute_hosts,
            options=common.engine_options(parsed_args, host),
            since=parsed_args.since, force=parsed_args.force,
            dry_run=parsed_args.dry_run,
            check_capacity=parsed_args.check_capacity,
            reads=common.plan_reads(self.app, parsed_args))
            for host in undrained]
        # Each host's record and state checked before any VM moves: a
        # refusal of the second host changes nothing on the first.
        for request in requests:
            restore.drain_began(request)
            restore.check_host(request)
        reporter = self.progress(parsed_args)
        every, stop, left = [], None, []
        for number, request in enumerate(requests):
            host = request.host
            rows, stop, since = self._restore_host(
                compute, request, parsed_args, reporter)
            every.extend(rows)
            if common.exit_code(rows, stop) != common.EXIT_DONE:
                left.append((host, since, stop))
            if stop is not None:
                not_started = [r.host.host for r in requests[number + 1:]]
                break
        else:
            not_started = []
        columns, table = self.results(every, stop, reporter)
        if not parsed_args.dry_run:
            self._say_how_to_go_on(left, not_started)
        return columns, table

    def _restore_host(self, compute, request, parsed_args, reporter):
        from migrationhelper.workflows import restore
        host = request.host
        rows, stop, since = restore.restore(
            compute, clients.placement(self.app), request, reporter,
            warn=self.warn)
        if not rows and stop is None:
            self.app.stderr.write(_(
                'Nothing to restore: Nova records no migration off %(host)s '
                'since %(since)s (%(where)s) of a VM that is still where it '
                'went.\n') % {
                'host': host.host, 'since': restore.format_time(since),
                'where': _('--since') if parsed_args.since is not None
                else _('when its drain began, by its disabled reason')})
        return rows, stop, since

    def _say_how_to_go_on(self, left, not_started):
        from migrationhelper.moving import engine
        from migrationhelper.workflows import restore
        for host, since, stop in left:
            disabled_again = (stop is not None and
                              stop.kind == engine.INTERRUPTED and
                              host.status == 'disabled')
            self.app.stderr.write(_(
                'Not every VM is back on %(name)s. %(state)s; to go on, run: '
                'openstack host undrain --restore %(host)s --since '
                '%(since)s\n') % {
                'name': host.host,
                'state': (_('The service is disabled again with the '
                            'drain\'s reason') if disabled_again
                          else _('The service is enabled')),
                'host': shlex.quote(host.host),
                'since': restore.format_time(since)})
        if not_started:
            self.app.stderr.write(_(
                'Not restored yet, the run stopped first: %s; run the same '
                'command again for them.\n') % ', '.join(not_started))
