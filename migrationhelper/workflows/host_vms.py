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

"""``host vms``: every VM on a host, the move each needs, where it may go."""

from migrationhelper.cloud import hosts
from migrationhelper.planning import destinations
from migrationhelper.planning import plan


def host_vms(compute, placement, name, compute_hosts, reads, warn):
    """The host ``name`` means, and its VMs planned and placed.

    Nothing is refused: a VM with nowhere to go says so in its reason.

    :param reads: plan.Reads (ports, boot volumes, project names).
    :param warn: called with each thing the plan cannot check.
    :returns: (hosts.ComputeHost, [plan.PlannedServer]).
    """
    host = hosts.resolve(name, compute_hosts)
    planned = destinations.place_or_refuse(
        compute, placement, plan.plan_host(compute, host, reads=reads),
        hosts.receiving_hosts(compute_hosts, excluded=(host.host,)), warn,
        refuse=False)
    return host, planned
