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

"""Plan a host: every VM on it with the decision the table makes for it."""

import dataclasses

from migrationhelper import cloud
from migrationhelper import decision


@dataclasses.dataclass(frozen=True)
class PlannedServer:
    server: object          # openstack.compute.v2.server.Server
    facts: decision.ServerFacts
    decision: decision.Decision


def plan_host(compute, host, allow_evacuate=False):
    """List ``host``'s servers and decide the move each one needs.

    The migration listing is only read when an ERROR server needs it.
    """
    servers = cloud.list_host_servers(compute, host)
    latest = {}
    if any(s.status == 'ERROR' for s in servers):
        latest = cloud.latest_migrations(
            cloud.list_host_migrations(compute, host))
    host_facts = cloud.host_facts(host)
    planned = []
    for server in servers:
        facts = cloud.server_facts(compute, server, latest.get(server.id))
        planned.append(PlannedServer(
            server, facts,
            decision.decide(facts, host_facts, allow_evacuate)))
    return sorted(planned, key=lambda p: (p.server.name or '', p.server.id))
