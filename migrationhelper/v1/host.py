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

import collections

from cliff import utils
from osc_lib.cli import format_columns
from osc_lib.command import command

from migrationhelper.cloud import hosts
from migrationhelper.cloud import listings
from migrationhelper.cloud import vocabulary
from migrationhelper import defaults
from migrationhelper.i18n import _
from migrationhelper.planning import consumers
from migrationhelper.planning import decision
from migrationhelper.planning import plan
from migrationhelper.v1 import clients
from migrationhelper.v1 import common
from migrationhelper.v1 import notices
from migrationhelper.workflows import disabled_reason
from migrationhelper.workflows import drain
from migrationhelper.workflows import host_status
from migrationhelper.workflows import host_vms
from migrationhelper.workflows import restore
from migrationhelper.workflows import undrain

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
    listings.check_compute_api(compute)
    return listings.find_compute_host(compute, name,
                                      lambda: clients.placement(app),
                                      lambda text: common.warn(app, text))


def _power_state_name(power_state):
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
        compute = clients.compute(self.app)
        compute_hosts, _target = common.compute_hosts_and_target(
            self.app, compute, None)
        host, planned = host_vms.host_vms(
            compute, clients.placement(self.app), parsed_args.host,
            compute_hosts, plan.Reads(
                network=clients.network(self.app),
                volumes=clients.block_storage(self.app),
                identity=clients.identity(self.app)),
            lambda text: notices.warn(self.app, text))
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
        status = host_status.host_status(
            compute, clients.placement(self.app), host)
        resources = status.resources
        values = (
            host.host,
            format_columns.ListColumn(host.hypervisor_hostnames),
            host.service_id, host.status, host.state, host.disabled_reason,
            host.forced_down, host.hypervisor_type, host.hypervisor_version,
            resources[vocabulary.VCPU].used,
            resources[vocabulary.VCPU].capacity,
            resources[vocabulary.MEMORY_MB].used,
            resources[vocabulary.MEMORY_MB].capacity,
            resources[vocabulary.DISK_GB].used,
            resources[vocabulary.DISK_GB].capacity,
            len(status.servers),
            format_columns.DictColumn(status.by_status),
            format_columns.ListDictColumn(
                [_migration_summary(m) for m in status.moving]),
            AllocationsColumn([consumers.summary(h)
                               for h in status.holders]),
            not status.holders,
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
        compute = clients.compute(self.app)
        compute_hosts, target = common.compute_hosts_and_target(
            self.app, compute, parsed_args.target_host)
        drained = hosts.resolve_all(parsed_args.hosts, compute_hosts)
        reporter = self.progress(parsed_args)
        request = drain.Request(
            hosts=drained, compute_hosts=compute_hosts,
            options=common.engine_options(parsed_args, target),
            dry_run=parsed_args.dry_run, disable=parsed_args.disable,
            reason=disabled_reason.compose(parsed_args.disable_reason,
                                           user=clients.user_name(self.app)),
            check_capacity=parsed_args.check_capacity,
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
            '--since', metavar='<time>', type=common.utc_time,
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
        compute_hosts, _target = common.compute_hosts_and_target(
            self.app, compute, None)
        undrained = hosts.resolve_all(parsed_args.hosts, compute_hosts)
        if parsed_args.restore:
            return self._restore(compute, compute_hosts, undrained,
                                 parsed_args)
        return UNDRAIN_COLUMNS, undrain.undrain_hosts(
            compute, undrained, force=parsed_args.force,
            dry_run=parsed_args.dry_run,
            say=lambda text: self.app.stderr.write(text + '\n'))

    def _restore(self, compute, compute_hosts, undrained, parsed_args):
        """Restore each host in turn; the rows of all, one exit status."""
        requests = [restore.Request(
            host=host, compute_hosts=compute_hosts,
            options=common.engine_options(parsed_args, host),
            since=parsed_args.since, force=parsed_args.force,
            dry_run=parsed_args.dry_run,
            check_capacity=parsed_args.check_capacity,
            reads=common.plan_reads(self.app, parsed_args))
            for host in undrained]
        # Refusals before the credentials' warning, as a drain's.
        restore.check_hosts(requests)
        reporter = self.progress(parsed_args)
        rows, stop, self.closing = restore.restore_hosts(
            compute, clients.placement(self.app), requests, reporter,
            warn=self.warn, say=lambda text: self.app.stderr.write(
                text + '\n'))
        return self.results(rows, stop, reporter)
