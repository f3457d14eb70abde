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
                   'match the source: the least loaded of them in placement '
                   'is chosen and the scheduler validates it'))
        return parser

    def take_action(self, parsed_args):
        # Imported here, not at the top: see migrationhelper.v1.moves.
        from migrationhelper import cloud
        from migrationhelper import engine
        from migrationhelper import plan
        from migrationhelper import progress
        compute = self.app.client_manager.compute
        compute_hosts, target = moves.compute_hosts_and_target(
            compute, parsed_args.target_host)
        servers = cloud.find_servers(compute, parsed_args.servers)
        planned = plan.plan_servers(compute, servers, compute_hosts,
                                    allow_evacuate=parsed_args.evacuate)
        targets_by_source = self._check_targets(
            parsed_args, planned, compute_hosts, target)
        options = moves.engine_options(parsed_args, target,
                                       targets_by_source)
        if parsed_args.dry_run:
            outcomes = engine.planned_outcomes(planned, options)
            interrupted = False
        else:
            reporter = progress.Progress(self.app.stderr)
            runner = engine.Engine(compute, options, reporter)
            reporter.summary = runner.counts
            outcomes = runner.run(planned)
            reporter.close()
            interrupted = runner.interrupted
        return self.results(outcomes, interrupted)

    def _check_targets(self, parsed_args, planned, compute_hosts, target):
        """Refuse a target equal to a source; pick or check versions."""
        from migrationhelper import cloud
        sources = {p.source.host: p.source for p in planned if p.source}
        if target is not None and target.host in sources:
            on_it = [p.server.name or p.server.id for p in planned
                     if p.source and p.source.host == target.host]
            raise exceptions.CommandError(_(
                'Target host %(host)s is where %(servers)s already run(s): '
                'choose another target.') % {
                'host': target.host, 'servers': ', '.join(on_it)})
        targets_by_source = {}
        for source in sources.values():
            if target is not None:
                if not cloud.same_hypervisor(source, target):
                    self._warn_versions(source, target, parsed_args)
                continue
            if parsed_args.same_version:
                targets_by_source[source.host] = self._same_version_target(
                    source, compute_hosts)
        return targets_by_source

    def _warn_versions(self, source, target, parsed_args):
        message = _(
            'Hypervisors differ: %(source)s runs %(stype)s %(sversion)s, '
            '%(target)s runs %(ttype)s %(tversion)s.') % {
            'source': source.host, 'stype': source.hypervisor_type,
            'sversion': source.hypervisor_version, 'target': target.host,
            'ttype': target.hypervisor_type,
            'tversion': target.hypervisor_version}
        if parsed_args.same_version:
            raise exceptions.CommandError(message + ' ' + _(
                '--same-version refuses this target.'))
        self.app.stderr.write(_('WARNING: %s') % message + '\n')

    def _same_version_target(self, source, compute_hosts):
        from migrationhelper import cloud
        candidates = [h for h in compute_hosts
                      if cloud.can_receive(h, excluded=(source.host,)) and
                      cloud.same_hypervisor(h, source)]
        placement = self.app.client_manager.sdk_connection.placement
        chosen = cloud.least_loaded(placement, candidates)
        if chosen is None:
            raise exceptions.CommandError(_(
                'No enabled, up host runs %(type)s %(version)s like '
                '%(source)s (--same-version).') % {
                'type': source.hypervisor_type,
                'version': source.hypervisor_version,
                'source': source.host})
        return chosen
