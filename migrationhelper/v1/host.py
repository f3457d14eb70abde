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

"""Compute host commands: ``host vms`` and ``host status``."""

import collections
import logging

from osc_lib.cli import format_columns
from osc_lib.command import command

from migrationhelper import capacity
from migrationhelper import cloud
from migrationhelper import decision
from migrationhelper.i18n import _
from migrationhelper import plan

LOG = logging.getLogger(__name__)

VM_COLUMNS = (
    'ID', 'Name', 'Status', 'Task State', 'Power State', 'Flavor', 'Project',
    'Action', 'Reason',
)
VM_LONG_COLUMNS = (
    'User', 'vCPUs', 'RAM (MB)', 'Disk (GB)', 'Image', 'Volumes', 'Created',
)


def _power_state_name(power_state):
    return decision.POWER_STATE_NAMES.get(power_state, power_state)


def _vm_row(planned, long):
    server = planned.server
    flavor = server.flavor or {}
    row = (
        server.id, server.name, server.status, server.task_state,
        _power_state_name(server.power_state), flavor.get('original_name'),
        server.project_id, planned.decision.action, planned.decision.reason,
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


class ListHostVMs(command.Lister):
    _description = _(
        'List every VM on a compute host, in all projects, with the move '
        'each one needs to leave the host')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'host', metavar='<host>',
            help=_('Compute host: service host or hypervisor hostname, or '
                   'the short name of exactly one of them'))
        parser.add_argument(
            '--long', action='store_true', default=False,
            help=_('Also show owner, flavor resources, image, volumes and '
                   'creation time'))
        return parser

    def take_action(self, parsed_args):
        compute = self.app.client_manager.compute
        cloud.check_compute_api(compute)
        host = cloud.find_compute_host(compute, parsed_args.host)
        planned = plan.plan_host(compute, host)
        columns = VM_COLUMNS + (VM_LONG_COLUMNS if parsed_args.long else ())
        return columns, (_vm_row(p, parsed_args.long) for p in planned)


HOST_STATUS_FIELDS = (
    'Host', 'Hypervisor Hostnames', 'Service ID', 'Service Status',
    'Service State', 'Disabled Reason', 'Forced Down', 'Hypervisor Type',
    'Hypervisor Version', 'vCPUs Used', 'vCPUs Capacity', 'RAM Used (MB)',
    'RAM Capacity (MB)', 'Disk Used (GB)', 'Disk Capacity (GB)', 'VMs',
    'VMs By Status', 'Migrations In Progress',
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
        'usable in placement, VMs by status and migrations in progress')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'host', metavar='<host>',
            help=_('Compute host: service host or hypervisor hostname, or '
                   'the short name of exactly one of them'))
        return parser

    def take_action(self, parsed_args):
        compute = self.app.client_manager.compute
        cloud.check_compute_api(compute)
        host = cloud.find_compute_host(compute, parsed_args.host)
        placement = self.app.client_manager.sdk_connection.placement
        resources = cloud.host_resources(placement, host)
        servers = cloud.list_host_servers(compute, host)
        moving = cloud.migrations_in_progress(
            cloud.list_host_migrations(compute, host))
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
        )
        return HOST_STATUS_FIELDS, values
