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

from migrationhelper.i18n import _
from migrationhelper.v1 import clients
from migrationhelper.v1 import common
from migrationhelper.workflows import smart_migrate


class SmartMigrate(common.MoveCommand):
    _description = _(
        'Move servers off their current host with the move each one\'s '
        'state needs (live or cold migration, confirming resizes, resetting '
        'failed moves, evacuation), and verify each move against Nova')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'servers', metavar='<server>', nargs='+',
            help=_('Server to move (name or ID, any project)'))
        common.add_move_options(parser)
        return parser

    def take_action(self, parsed_args):
        compute = clients.compute(self.app)
        compute_hosts, target = common.compute_hosts_and_target(
            self.app, compute, parsed_args.target_host)
        reporter = self.progress(parsed_args)
        rows, stop = smart_migrate.smart_migrate(
            compute, clients.placement(self.app),
            smart_migrate.Request(
                names=parsed_args.servers, compute_hosts=compute_hosts,
                options=common.engine_options(parsed_args, target),
                target=target, same_version=parsed_args.same_version,
                check_capacity=parsed_args.check_capacity,
                dry_run=parsed_args.dry_run,
                reads=common.plan_reads(self.app, parsed_args)),
            reporter, self.warn)
        return self.results(rows, stop, reporter)
