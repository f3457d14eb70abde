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

"""``host status``: a host's service, resources, VMs, moves, allocations."""

import collections
import dataclasses

from migrationhelper.cloud import listings
from migrationhelper.cloud import providers
from migrationhelper.workflows import emptiness


@dataclasses.dataclass(frozen=True)
class HostStatus:
    host: object                  # hosts.ComputeHost
    resources: dict               # {resource class: capacity.Resource}
    servers: list                 # the servers Nova lists on it
    moving: list                  # its migrations in progress
    holders: list                 # consumers.Holder, every allocation

    @property
    def by_status(self):
        return dict(sorted(collections.Counter(
            s.status for s in self.servers).items()))


def host_status(compute, placement, host):
    """What Nova and placement say of ``host``, reconciled."""
    servers = listings.list_host_servers(compute, host)
    migrations = listings.list_host_migrations(compute, host)
    return HostStatus(
        host=host,
        resources=providers.host_resources(placement, host),
        servers=servers,
        moving=listings.migrations_in_progress(migrations),
        holders=emptiness.account(compute, placement, host, servers,
                                  migrations))
