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

"""Plan VMs: each one with its source host and the table's decision."""

import dataclasses

from migrationhelper import cloud
from migrationhelper import decision


@dataclasses.dataclass(frozen=True)
class PlannedServer:
    server: object          # openstack.compute.v2.server.Server
    source: object          # hosts.ComputeHost the server is on
    facts: decision.ServerFacts
    decision: decision.Decision
    # The host the placement model chose for it, if any.
    destination: str | None = None
    # Skipped because the model found nowhere for it to go.
    blocked: bool = False
    # IDs of the migrations Nova had recorded when the plan was made, so
    # that a move finds its own record without listing them first (None:
    # not read).
    known_migrations: frozenset | None = None


def plan_host(compute, host, allow_evacuate=False, migrations=None):
    """List ``host``'s servers and decide the move each one needs.

    :param migrations: the host's migrations, when the caller read them
        (a drain does, once per host); otherwise they are read only when an
        ERROR server needs them.
    """
    servers = cloud.list_host_servers(compute, host)
    if migrations is None and any(s.status == 'ERROR' for s in servers):
        migrations = cloud.list_host_migrations(compute, host)
    planned = _plan(compute, servers, {host.host: host},
                    cloud.latest_migrations(migrations or []),
                    allow_evacuate)
    if migrations is None:
        return planned
    known = frozenset(m.id for m in migrations)
    return [dataclasses.replace(p, known_migrations=known) for p in planned]


def plan_servers(compute, servers, compute_hosts, allow_evacuate=False):
    """Decide the move of each of ``servers``, wherever they are."""
    latest = {}
    for server in servers:
        if server.status == 'ERROR':
            latest.update(cloud.latest_migrations(
                compute.migrations(server_id=server.id)))
    return _plan(compute, servers, {h.host: h for h in compute_hosts},
                 latest, allow_evacuate)


def _plan(compute, servers, hosts_by_name, latest, allow_evacuate):
    planned = []
    for server in servers:
        source = hosts_by_name.get(server.compute_host)
        facts = cloud.server_facts(compute, server, latest.get(server.id))
        planned.append(PlannedServer(
            server, source, facts,
            decision.decide(facts, cloud.host_facts(source),
                            allow_evacuate)))
    return sorted(planned, key=lambda p: (p.server.name or '', p.server.id))
