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

"""Server commands: ``server smart-migrate``."""

import logging

from osc_lib import exceptions

from migrationhelper.i18n import _
from migrationhelper.v1 import moves

LOG = logging.getLogger(__name__)


class SmartMigrate(moves.MoveCommand):
    _description = _(
        'Move servers off their current host with the move each one\'s '
        'state needs (live or cold migration, confirming resizes, resetting '
        'failed moves, evacuation), and verify each move against Nova')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'servers', metavar='<server>', nargs='+',
            help=_('Server to move (name or ID, any project)'))
        moves.add_move_options(parser)
        parser.add_argument(
            '--same-version', action='store_true', default=False,
            help=_('Only move to hosts whose hypervisor type and version '
                   'match the source: the placement model picks one of them '
                   'and the scheduler validates it'))
        return parser

    def take_action(self, parsed_args):
        # Imported here, not at the top: see migrationhelper.v1.moves.
        from migrationhelper import cloud
        from migrationhelper import engine
        from migrationhelper import plan
        from migrationhelper import progress
        from migrationhelper import shape
        compute = self.app.client_manager.compute
        compute_hosts, target = moves.compute_hosts_and_target(
            compute, parsed_args.target_host)
        servers = cloud.find_servers(compute, parsed_args.servers)
        planned = plan.plan_servers(compute, servers, compute_hosts,
                                    allow_evacuate=parsed_args.evacuate)
        receiving = self._receivers(parsed_args, planned, compute_hosts,
                                    target)
        verdicts = shape.place_plan(
            compute, self.app.client_manager.sdk_connection.placement,
            planned, receiving, self._same_version_only(
                parsed_args, planned, receiving))
        for warning in verdicts.warnings:
            moves.warn(self.app, warning)
        if verdicts.blocked and parsed_args.check_capacity:
            if not parsed_args.dry_run:
                raise exceptions.CommandError(shape.refusal(verdicts))
            moves.warn(self.app, shape.dry_run_warning(verdicts))
        options = moves.engine_options(parsed_args, target)
        if parsed_args.dry_run:
            outcomes = engine.planned_outcomes(verdicts.planned, options)
            interrupted = False
        else:
            reporter = progress.Progress(self.app.stderr)
            runner = engine.Engine(compute, options, reporter)
            reporter.summary = runner.counts
            outcomes = runner.run(verdicts.planned)
            reporter.close()
            interrupted = runner.interrupted
        return self.results(outcomes, interrupted)

    def _receivers(self, parsed_args, planned, compute_hosts, target):
        """The hosts the servers may go to: --target-host, or any open one.

        A target equal to a server's own host is refused; a target whose
        hypervisor differs from a source is warned about.
        """
        from migrationhelper import cloud
        if target is None:
            return [h for h in compute_hosts if cloud.can_receive(h)]
        sources = {p.source.host: p.source for p in planned if p.source}
        if target.host in sources:
            on_it = [p.server.name or p.server.id for p in planned
                     if p.source and p.source.host == target.host]
            raise exceptions.CommandError(_(
                'Target host %(host)s is where %(servers)s already run(s): '
                'choose another target.') % {
                'host': target.host, 'servers': ', '.join(on_it)})
        if not cloud.can_receive(target):
            raise exceptions.CommandError(_(
                'Target host %s cannot take VMs: its service is disabled or '
                'down.') % target.host)
        if not parsed_args.same_version:
            for source in sources.values():
                if not cloud.same_hypervisor(source, target):
                    moves.warn(self.app, _(
                        'Hypervisors differ: %(source)s runs %(stype)s '
                        '%(sversion)s, %(target)s runs %(ttype)s '
                        '%(tversion)s.') % {
                        'source': source.host,
                        'stype': source.hypervisor_type,
                        'sversion': source.hypervisor_version,
                        'target': target.host,
                        'ttype': target.hypervisor_type,
                        'tversion': target.hypervisor_version})
        return [target]

    def _same_version_only(self, parsed_args, planned, receiving):
        """{source: (hosts with its hypervisor, why)} for --same-version."""
        from migrationhelper import cloud
        if not parsed_args.same_version:
            return None
        only = {}
        for source in {p.source.host: p.source for p in planned
                       if p.source}.values():
            only[source.host] = (
                {h.host for h in receiving
                 if cloud.same_hypervisor(h, source)},
                _('--same-version: %(type)s %(version)s like %(source)s') % {
                    'type': source.hypervisor_type,
                    'version': source.hypervisor_version,
                    'source': source.host})
        return only
