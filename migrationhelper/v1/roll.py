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

"""``openstack host roll``: maintain many hosts, a wave at a time."""

import argparse
import os
import re

from osc_lib.cli import format_columns

from migrationhelper.i18n import _
from migrationhelper.v1 import clients
from migrationhelper.v1 import common
from migrationhelper.workflows import host_commands
from migrationhelper.workflows import roll

COLUMNS = (
    'Host', 'Wave', 'Result', 'VMs Moved', 'Drain (s)', 'Maintenance (s)',
    'Ready (s)', 'Log', 'Message', 'VMs',
)
TABLE_COLUMNS = ('Host', 'Wave', 'Result', 'VMs Moved', 'Message')
DRY_RUN_TABLE_COLUMNS = ('Host', 'Wave', 'Result', 'VMs')


class VMsColumn(format_columns.ListDictColumn):
    """A host's VMs: each on a line in a table, a list of dicts in JSON."""

    def human_readable(self):
        return '\n'.join(
            '%s -> %s' % (vm.get('name'), vm.get('destination') or
                          vm.get('result') or '-')
            for vm in self._value)


def _command_line(text):
    try:
        return host_commands.split(text)
    except ValueError as e:
        # Not echoed: a command line may hold a secret.
        raise argparse.ArgumentTypeError(
            _('not a command line: %s') % e)


def _roll_name(text):
    # It names an aggregate and log files: no path, no spaces.
    if not re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9._-]{0,62}', text):
        raise argparse.ArgumentTypeError(_(
            '%r is not a roll name: letters, digits, ".", "_" and "-", at '
            'most 63, starting with a letter or digit') % text)
    return text


class RollHosts(common.MoveCommand):
    _description = _(
        'Maintain many compute hosts, a wave at a time: drain each (every '
        'rule of host drain), run the maintenance, wait until it is ready, '
        'reopen it. Each VM moves once where a host already maintained has '
        'room; the whole sequence is checked before anything changes, and '
        'each wave again before it starts. The roll\'s record is a host '
        'aggregate in Nova: run the same command again to resume')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'hosts', metavar='<host>', nargs='*', default=[],
            help=_('Compute host to maintain (repeat for more; with '
                   '--aggregate and --zone, their union)'))
        parser.add_argument(
            '--aggregate', metavar='<name>', action='append', default=[],
            help=_('Maintain the hosts of this host aggregate (repeatable)'))
        parser.add_argument(
            '--zone', metavar='<name>', action='append', default=[],
            help=_('Maintain the hosts of this availability zone '
                   '(repeatable)'))
        parser.add_argument(
            '--exclude', metavar='<host>', action='append', default=[],
            help=_('Leave this host out of the selection (repeatable)'))
        parser.add_argument(
            '--max-unavailable', metavar='<count>',
            type=common.whole_number(1), default=1,
            help=_('Hosts maintained at once, one wave (default: 1)'))
        parser.add_argument(
            '--exec', metavar='<command>', dest='exec_words',
            type=_command_line,
            help=_('The maintenance of each empty host: a command line, '
                   'split into words as a shell would and run without one; '
                   '{host} (the nova-compute host) and {hypervisor} are '
                   'replaced in each word, MIGRATIONHELPER_HOST and '
                   'MIGRATIONHELPER_WAVE are set. Without it the roll '
                   'drains a wave and exits 3 naming the hosts awaiting '
                   'maintenance; run the same command again once done'))
        parser.add_argument(
            '--exec-timeout', metavar='<seconds>',
            type=common.whole_number(1), default=3600,
            help=_('Seconds --exec may take per host (default: 3600)'))
        parser.add_argument(
            '--check', metavar='<command>', dest='check_words',
            type=_command_line,
            help=_('A host is ready once nova-compute and its hypervisor '
                   'are up and this command (same word rules as --exec) '
                   'exits 0; tried every few seconds'))
        parser.add_argument(
            '--ready-timeout', metavar='<seconds>',
            type=common.whole_number(1), default=1800,
            help=_('Seconds a maintained host may take to be ready '
                   '(default: 1800)'))
        parser.add_argument(
            '--on-failure', choices=roll.ON_FAILURE_CHOICES,
            default=roll.STOP,
            help=_('A host whose drain leaves VMs, whose --exec fails or '
                   'which is not ready in time stays disabled, saying why; '
                   'stop (default) starts no new wave, skip goes on up to '
                   '--max-failures'))
        parser.add_argument(
            '--max-failures', metavar='<count>',
            type=common.whole_number(0), default=1,
            help=_('Failed hosts --on-failure skip goes on after (default: '
                   '1)'))
        parser.add_argument(
            '--restore', action='store_true', default=False,
            help=_('Bring back the VMs the roll moved off each host when it '
                   'reopens (they then move twice)'))
        parser.add_argument(
            '--name', metavar='<roll>', default='default', type=_roll_name,
            help=_('The roll\'s name (default: default): its record is the '
                   'host aggregate migrationhelper-roll-<roll>. One run of a '
                   'name at a time; a finished roll run again starts over'))
        parser.add_argument(
            '--until', metavar='<time>', type=common.utc_time,
            help=_('Start no wave after this time (UTC, e.g. '
                   '2026-12-05T06:00:00Z); exit 3 saying where it stopped'))
        parser.add_argument(
            '--log-dir', metavar='<directory>',
            help=_('Where each host\'s --exec output is kept (default: '
                   '~/.local/state/migrationhelper)'))
        common.add_engine_options(parser, plan_options=False)
        parser.add_argument(
            '--dry-run', action='store_true', default=False,
            help=_('Print each host in the order it will be maintained, '
                   'its wave and its VMs\' planned destinations; change '
                   'nothing'))
        return parser

    def take_action(self, parsed_args):
        compute = clients.compute(self.app)
        compute_hosts, _target = common.compute_hosts_and_target(
            self.app, compute, None)
        selected = roll.select_hosts(
            compute, compute_hosts, parsed_args.hosts, parsed_args.aggregate,
            parsed_args.zone, parsed_args.exclude)
        log_dir = parsed_args.log_dir or os.path.join(
            os.path.expanduser('~'), '.local', 'state', 'migrationhelper')
        request = roll.Request(
            name=parsed_args.name, hosts=selected,
            compute_hosts=compute_hosts,
            options=common.engine_options(parsed_args),
            max_unavailable=parsed_args.max_unavailable,
            exec_words=parsed_args.exec_words,
            exec_timeout=parsed_args.exec_timeout,
            check_words=parsed_args.check_words,
            ready_timeout=parsed_args.ready_timeout,
            on_failure=parsed_args.on_failure,
            max_failures=parsed_args.max_failures,
            restore=parsed_args.restore, until=parsed_args.until,
            dry_run=parsed_args.dry_run,
            reads=common.plan_reads(self.app, parsed_args),
            user=clients.user_name(self.app), log_dir=log_dir,
            settings=settings_text(parsed_args, selected))
        reporter = self.progress(parsed_args)
        if not parsed_args.dry_run:
            os.makedirs(log_dir, exist_ok=True)
        result = roll.roll(
            compute, clients.placement(self.app), request, reporter,
            warn=self.warn,
            say=reporter.note if reporter is not None else None)
        self.end_progress(result.moves, result.stop, reporter)
        self._exit_code = exit_code(result)
        self.closing = result.closing
        if result.sequence is not None and parsed_args.dry_run:
            self.closing = [dry_run_summary(result)]
        return common.table_view(
            parsed_args, COLUMNS, [_row(r, result) for r in result.hosts],
            DRY_RUN_TABLE_COLUMNS if parsed_args.dry_run else TABLE_COLUMNS)


def dry_run_summary(result):
    sequence = result.sequence
    return _(
        'Dry run, nothing changed: hosts %(hosts)d, waves %(waves)d; '
        '%(moves)d moves of %(vms)d VMs (%(per).2f per VM)') % {
        'hosts': len(result.hosts), 'waves': len(sequence.waves),
        'moves': sequence.moves, 'vms': sequence.vms_moved,
        'per': sequence.moves_per_vm}


def _row(row, result):
    vms = row.vms or [
        {'id': o.server_id, 'name': o.name, 'action': o.action,
         'result': o.result, 'destination': o.destination,
         'message': o.message}
        for o in result.moves if o.source == row.host]
    return (row.host, row.wave, row.result, row.vms_moved, row.drain,
            row.maintenance, row.ready, row.log, row.message,
            VMsColumn(vms))


def exit_code(result):
    """A stop's status as any moving command's; else 3 while hosts are left."""
    if result.stop is not None:
        return common.exit_code(result.moves, result.stop)
    if all(r.result in (roll.MAINTAINED, roll.PLANNED)
           for r in result.hosts):
        return common.EXIT_DONE
    return common.EXIT_VMS_LEFT


def settings_text(parsed_args, selected):
    """The roll's settings as its record shows them."""
    return ' '.join(
        ['max-unavailable=%d' % parsed_args.max_unavailable,
         'on-failure=%s' % parsed_args.on_failure,
         'exec=%s' % ('yes' if parsed_args.exec_words else 'no'),
         'restore=%s' % ('yes' if parsed_args.restore else 'no'),
         'hosts=%d' % len(selected)])
