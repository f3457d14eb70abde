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

"""What the decision table is given of a VM and its host, read from Nova."""

from migrationhelper.cloud import forensics
from migrationhelper.planning import decision


def of_server(compute, server, latest_migration=None):
    """The :class:`decision.ServerFacts` of one server."""
    failed = None
    if server.status == 'ERROR':
        failed = forensics.failed_move(compute, server, latest_migration)
    return decision.ServerFacts(
        status=server.status,
        task_state=server.task_state,
        power_state=server.power_state,
        project_id=server.project_id,
        user_id=server.user_id,
        fault=(server.fault or {}).get('message'),
        failed_migration=failed,
    )


def of_host(host):
    """The table's view of a host; None (a server without one) counts as up.

    A server with no known host (offloaded, never scheduled) has nowhere to
    be moved from; the table then skips it by its status.
    """
    if host is None:
        return decision.HostFacts()
    return decision.HostFacts(is_up=host.is_up, forced_down=host.forced_down)
