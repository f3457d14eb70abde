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

"""``server smart-migrate``: the servers, where each may go, then the moves.

Beside drain's planning: the servers are resolved and planned with the
decision table, ``--target-host`` is checked against them, and the
placement model gives each a host (of the same hypervisor with
``--same-version``) or refuses before any server is touched.
"""

import dataclasses


from migrationhelper.cloud import hosts
from migrationhelper.cloud import listings
from migrationhelper.i18n import _
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.planning import destinations
from migrationhelper.planning import plan


@dataclasses.dataclass
class Request:
    names: list                     # server names or IDs
    compute_hosts: list             # every compute host of the cloud
    options: engine.Options         # its target_host is --target-host
    target: object = None           # hosts.ComputeHost (--target-host)
    same_version: bool = False
    check_capacity: bool = True
    dry_run: bool = False
    reads: plan.Reads = plan.Reads()


def smart_migrate(compute, placement, request, report=None, warn=None):
    """Plan the servers, then move them (a dry run only plans).

    :returns: (result rows, engine.Stop or None).
    :raises CommandError: before anything changed.
    """
    planned = plan_servers(compute, placement, request,
                           warn or (lambda text: None))
    if request.dry_run:
        return outcomes.planned_outcomes(planned, request.options), None
    runner = engine.Engine(compute, request.options, report)
    return runner.run(planned), runner.stopped


def plan_servers(compute, placement, request, warn):
    """The servers' plan with destinations, or CommandError, nothing done."""
    servers = listings.find_servers(compute, request.names)
    planned = plan.plan_servers(compute, servers, request.compute_hosts,
                                request.options.consent, request.reads)
    receiving = receivers(request, planned, warn)
    return destinations.place_or_refuse(
        compute, placement, planned, receiving, warn,
        refuse=request.check_capacity,
        only_hosts=destinations.same_hypervisor_only(
            planned, receiving) if request.same_version else None,
        compute_hosts=request.compute_hosts)


def receivers(request, planned, warn):
    """The hosts the servers may go to: --target-host, or any open one.

    A target equal to a server's own host is refused; a target whose
    hypervisor differs from a source is warned about.
    """
    target = request.target
    sources = _sources(planned)
    refused = None
    if target is not None and target.host in sources:
        on_it = [p.server.name or p.server.id for p in planned
                 if p.source and p.source.host == target.host]
        refused = _('Target host %(host)s already holds %(servers)s: choose '
                    'another target.') % {
            'host': target.host, 'servers': ', '.join(on_it)}
    receiving = destinations.receivers(request.compute_hosts, target,
                                       target_refused=refused)
    if target is not None and not request.same_version:
        for source in sources.values():
            if not hosts.same_hypervisor(source, target):
                warn(_('Hypervisors differ: %(source)s runs %(stype)s '
                       '%(sversion)s, %(target)s runs %(ttype)s '
                       '%(tversion)s.') % {
                    'source': source.host, 'stype': source.hypervisor_type,
                    'sversion': source.hypervisor_version,
                    'target': target.host, 'ttype': target.hypervisor_type,
                    'tversion': target.hypervisor_version})
    return receiving


def _sources(planned):
    """{host name: hosts.ComputeHost} of the hosts the servers are on."""
    return {p.source.host: p.source for p in planned if p.source}
