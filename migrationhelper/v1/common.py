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

"""What the commands that move VMs share: options, result rows, exit codes.

``server smart-migrate``, ``host drain`` and ``host undrain --restore``
take the same move options and print the same table. cliff imports a
command's module only when that command runs (every one only for
``openstack help``), so imports are made at the top as anywhere else.
"""

import argparse

from osc_lib.command import command
from osc_lib import exceptions

from migrationhelper.cloud import credentials
from migrationhelper.cloud import hosts
from migrationhelper.cloud import listings
from migrationhelper import defaults
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.moving import progress
from migrationhelper.planning import decision
from migrationhelper.planning import plan
from migrationhelper.v1 import clients
from migrationhelper.v1 import notices
from migrationhelper.workflows import restore

RESULT_COLUMNS = (
    'ID', 'Name', 'Action', 'Result', 'Source', 'Destination', 'Duration',
    'Message',
)
# What a table shows unless -c says otherwise: it must fit 80 columns
# (cliff keeps each column at least 8 wide, headings whole), names before
# IDs; the source host is in each host's closing line, and in -c Source.
# Every other output format has every column, whole, in RESULT_COLUMNS'
# order.
RESULT_TABLE_COLUMNS = (
    'Name', 'ID', 'Action', 'Result', 'Destination', 'Message',
)
# How much of a UUID a table shows: enough to tell VMs apart and to find
# one (openstack server show takes no prefix: -c ID or -f json gives it
# whole).
SHORT_ID = 8
ID_COLUMNS = ('ID', 'Project')
# Host names a table shows by their first label when that tells the
# table's hosts apart (the commands take a short name too): a fully
# qualified name is cut in two where cliff wraps it.
HOST_COLUMNS = ('Destination', 'Source')


def table_view(parsed_args, columns, rows, shown):
    """``columns`` and ``rows`` as the output format wants them.

    A table without ``-c`` shows only ``shown``, in that order, its IDs
    short, its hosts by short name where those tell them apart, and
    nothing where there is no value (not "None"); JSON, YAML, CSV, value
    and ``-c`` get every column whole (null in JSON).
    """
    if getattr(parsed_args, 'formatter', None) != 'table' or \
            getattr(parsed_args, 'columns', None):
        return columns, rows
    picks = [columns.index(c) for c in shown]
    short_hosts = {i for i in picks if columns[i] in HOST_COLUMNS and
                   _short_names_tell_apart(row[i] for row in rows)}
    return shown, [tuple(_short_host(row[i]) if i in short_hosts
                         else _cell(columns[i], row[i]) for i in picks)
                   for row in rows]


def _short_host(name):
    return (name or '').split('.')[0]


def _short_names_tell_apart(names):
    names = {n for n in names if n}
    return len({_short_host(n) for n in names}) == len(names)


def _cell(column, value):
    if value is None:
        return ''
    if column in ID_COLUMNS and isinstance(value, str):
        return value[:SHORT_ID]
    return value


EXIT_DONE = 0
EXIT_VMS_LEFT = 3
# The cloud stopped accepting the credentials (a bare token that expired)
# after moves began: the table says what moved, what goes on in Nova and
# what was not started.
EXIT_CREDENTIALS_REFUSED = 4
EXIT_INTERRUPTED = 130


def whole_number(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _('%s is not a whole number') % text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                _('%(value)s is below the minimum of %(min)d') % {
                    'value': text, 'min': minimum})
        return value
    return parse


def utc_time(text):
    """An argparse type: an ISO 8601 time, UTC unless it says otherwise."""
    try:
        return restore.parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _('%s is not a time (e.g. 2026-11-26T08:00:00Z)') % text)


def add_move_options(parser):
    """The options of drain and smart-migrate, which choose where VMs go.

    A restore takes only the engine's (add_engine_options).
    """
    _add_host_choice(parser)
    add_engine_options(parser)
    parser.add_argument(
        '--dry-run', action='store_true', default=False,
        help=_('Print the plan and change nothing'))


def _add_host_choice(parser):
    parser.add_argument(
        '--target-host', metavar='<host>',
        help=_('Move to this compute host (resolved like every host name; '
               'the scheduler still validates it). Default: the host the '
               'placement model chooses for each VM within its zone, traits, '
               'server groups and room, which the scheduler validates'))
    parser.add_argument(
        '--evacuate', action='store_true', default=False,
        help=_('Evacuate VMs whose host is down even if its service is not '
               'forced down: you confirm the host is fenced'))
    parser.add_argument(
        '--same-version', action='store_true', default=False,
        help=_('Only move to hosts whose hypervisor type and version '
               'match the source: the placement model picks one of them '
               'and the scheduler validates it'))


def add_engine_options(parser, plan_options=True):
    """How the engine moves VMs: the options every moving command has.

    :param plan_options: with --skip-capacity-check and --no-wait, which
        a roll has not: it refuses up front and waits for every move.
    """
    parser.add_argument(
        '--max-parallel', metavar='<count>', type=whole_number(1),
        default=None,
        help=_('Moves in flight at once, in all (default: no cap beyond '
               'Nova\'s own limits, per source host: %(live)d live '
               'migrations, as nova-compute runs one and queues the next, '
               'and %(cold)d cold migrations, evacuations or offloads, '
               'which copy disks off the same host)') % {
            'live': defaults.LIVE_PER_SOURCE,
            'cold': defaults.COLD_PER_SOURCE})
    parser.add_argument(
        '--timeout', metavar='<seconds>', type=whole_number(1),
        default=defaults.DEFAULT_TIMEOUT,
        help=_('Seconds each move may take (default: %d), counted on '
               'Nova\'s side: a live migration waiting in nova-compute\'s '
               'queue (queued, preparing) gets this long to start, then '
               'this long to run from when Nova starts copying it. Waiting '
               'for a task of someone else\'s (a snapshot, another move) '
               'counts from when the VM\'s turn comes')
        % defaults.DEFAULT_TIMEOUT)
    parser.add_argument(
        '--stall-timeout', metavar='<seconds>', type=whole_number(0),
        default=defaults.DEFAULT_STALL_TIMEOUT,
        help=_('A live migration whose memory left to copy has not reached '
               'a new low for this long (default: %d) does not converge: '
               '--on-timeout applies to it at once. A slow copy that keeps '
               'going lower is never stopped by it; 0 turns it off')
        % defaults.DEFAULT_STALL_TIMEOUT)
    parser.add_argument(
        '--on-timeout', choices=defaults.ON_TIMEOUT_CHOICES,
        default=defaults.ABORT,
        help=_('What to do with a live migration still running at the '
               'timeout, or stalled: abort it (default; the VM stays running '
               'on its source), force-complete it (Nova pauses it for the '
               'last copy, or switches to post-copy if its '
               'live_migration_permit_post_copy allows; a VM with PCI or vGPU '
               'devices is aborted instead), or leave it running and report '
               'it in progress. Cold migrations cannot be aborted'))
    parser.add_argument(
        '--allow-downtime', action='store_true', default=False,
        help=_('Move the VMs that cannot move live cleanly anyway: cold '
               '(Nova stops each, copies it and starts it on the new host) '
               'those that cannot move live at all (vTPM, PCI or vGPU '
               'devices, accelerators), and live with their network cut '
               'those with SR-IOV or vDPA ports. Without it they are '
               'skipped and reported (exit status 3); host vms shows '
               'which they are'))
    parser.add_argument(
        '--retries', metavar='<count>', type=whole_number(0),
        default=defaults.DEFAULT_RETRIES,
        help=_('Retries of a failed move, after resetting the VM to active '
               'if the failure left it in ERROR (default: %d)')
        % defaults.DEFAULT_RETRIES)
    if not plan_options:
        return
    parser.add_argument(
        '--skip-capacity-check', dest='check_capacity',
        action='store_false', default=True,
        help=_('Do not refuse when some VMs have nowhere to go (no room, '
               'zone, trait or server group allows a host): move the others '
               'and report those as skipped. They are never attempted'))
    parser.add_argument(
        '--no-wait', dest='wait', action='store_false', default=True,
        help=_('Send the moves as the limits above allow and return once '
               'the last is sent; moves still going on are in-progress'))


def compute_hosts_and_target(app, compute, target_name):
    """Every compute host, and --target-host resolved among them."""
    listings.check_compute_api(compute)
    compute_hosts = listings.list_compute_hosts(
        compute, lambda: clients.placement(app),
        lambda text: notices.warn(app, text))
    target = None
    if target_name:
        target = hosts.resolve(target_name, compute_hosts)
    return compute_hosts, target


def engine_options(parsed_args, target_host=None):
    return engine.Options(
        target_host=target_host,
        retries=parsed_args.retries,
        timeout=parsed_args.timeout,
        on_timeout=parsed_args.on_timeout,
        stall_timeout=parsed_args.stall_timeout,
        wait=getattr(parsed_args, 'wait', True),
        max_parallel=parsed_args.max_parallel,
        consent=decision.Consent(
            evacuate=getattr(parsed_args, 'evacuate', False),
            downtime=parsed_args.allow_downtime),
    )


def plan_reads(app, parsed_args):
    """What the plan reads beyond the listings (ports), and the consent."""
    return plan.Reads(network=clients.network(app),
                      volumes=clients.block_storage(app),
                      identity=clients.identity(app))


def result_rows(rows):
    return [(o.server_id, o.name, o.action, o.result, o.source,
             o.destination, o.duration, o.message) for o in rows]


def exit_code(rows, stop=None):
    """0 when every VM moved (or a dry run), 3 when VMs are left.

    A settled VM (deleted by its owner, moved on since a drain) is not
    left behind. A run that stopped early says why: 130 on Ctrl-C, 4 when
    the credentials stopped working.
    """
    if stop is not None:
        if stop.kind == engine.CREDENTIALS_REFUSED:
            return EXIT_CREDENTIALS_REFUSED
        return EXIT_INTERRUPTED
    if outcomes.all_done(rows):
        return EXIT_DONE
    return EXIT_VMS_LEFT


class MoveCommand(command.Lister):
    """A Lister whose exit status tells whether VMs were left behind."""

    _exit_code = EXIT_DONE
    # Lines for stderr once the table is printed: what an operator reads
    # last.
    closing = ()

    def warn(self, text):
        notices.warn(self.app, text)

    def progress(self, parsed_args):
        """Where the moves tell their story; None for a dry run.

        A run that moves VMs first says so when its credentials cannot be
        renewed.
        """
        if parsed_args.dry_run:
            return None
        text = credentials.warning(clients.session(self.app))
        if text:
            self.warn(text)
        return progress.Progress(self.app.stderr)

    def end_progress(self, rows, stop=None, progress=None):
        """Clear the status line before the table.

        After a stop, say what goes on in Nova (``rows``' moves in flight)
        and why the run stopped.
        """
        if progress is not None:
            if stop is not None:
                progress.interrupted(rows)
            else:
                progress.close()
        if stop is not None and stop.error is not None:
            self.app.stderr.write(
                credentials.expired_message(stop.error) + '\n')

    def results(self, rows, stop=None, progress=None):
        """The table to print; the exit status is kept for run().

        :param stop: the engine.Stop of a run that stopped early, or None.
        :param progress: see end_progress().
        """
        self.end_progress(rows, stop, progress)
        self._exit_code = exit_code(rows, stop)
        return table_view(self._parsed_args, RESULT_COLUMNS,
                          result_rows(rows), RESULT_TABLE_COLUMNS)

    def run(self, parsed_args):
        self._parsed_args = parsed_args
        try:
            super().run(parsed_args)
        except errors.REQUEST_ERRORS + errors.AUTH_ERRORS as e:
            # Before the engine ran (it stops on its own once moving).
            if not errors.credentials_refused(e):
                raise
            raise exceptions.CommandError(
                credentials.refused_before_moving(e))
        for line in self.closing:
            self.app.stderr.write(progress.printable(line) + '\n')
        return self._exit_code
