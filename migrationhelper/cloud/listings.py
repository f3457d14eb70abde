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

"""Nova's listings and reads: hosts, servers, migrations, server groups.

Plain functions over an SDK compute (and placement) proxy: no cliff, no
decision. Listings are made once per host, never once per VM.
"""

from openstack import exceptions as sdk_exceptions
from openstack import utils as sdk_utils
from osc_lib import exceptions

from migrationhelper.cloud import hosts
from migrationhelper.cloud import records
from migrationhelper.cloud import vocabulary
from migrationhelper import errors
from migrationhelper.i18n import _

# 2.65 (Rocky) lets a queued live migration be aborted; everything else we
# use (embedded flavors 2.47, service UUIDs 2.53, cold migration to a host
# 2.56, migration UUIDs 2.59) is older.
REQUIRED_COMPUTE_MICROVERSION = '2.65'


# From 2.88 on, every detailed hypervisor costs Nova an RPC call to its
# compute for the uptime, which we never show; a dead compute can make it
# hang. 2.87 has the same fields without that call.
HYPERVISOR_LIST_MICROVERSION = '2.87'


def check_compute_api(compute):
    """Fail early, and clearly, on a compute API that is too old."""
    if not sdk_utils.supports_microversion(
            compute, REQUIRED_COMPUTE_MICROVERSION):
        endpoint = compute.get_endpoint_data()
        raise exceptions.CommandError(_(
            'The compute API supports microversions up to %(max)s; '
            'migrationhelper needs %(needed)s or later (Nova Rocky).') % {
            'max': getattr(endpoint, 'max_microversion', None) and
            '%d.%d' % endpoint.max_microversion or 'unknown',
            'needed': REQUIRED_COMPUTE_MICROVERSION})


def list_compute_hosts(compute, placement=None, warn=None):
    """Every nova-compute service with its hypervisors, as ComputeHosts.

    Nova's hypervisor listing walks every cell with no per-cell error
    handling: one cell that does not answer makes it fail (500) for all.
    Given placement, the hosts are then read without it: the services
    (a cell that does not answer is skipped, or listed with status
    UNKNOWN from 2.69 on), and each compute node by its UUID, which is
    its placement resource provider's; ``warn`` says so once.

    :param placement: a callable that gives the placement proxy, called
        only then.
    """
    try:
        services = list(compute.services(binary='nova-compute'))
    except sdk_exceptions.ForbiddenException:
        raise exceptions.CommandError(_(
            'Listing compute services was refused: migrationhelper needs '
            'credentials with the admin role.'))
    try:
        hypervisors = list(compute.hypervisors(
            details=True, **_at_most(compute, HYPERVISOR_LIST_MICROVERSION)))
    except sdk_exceptions.HttpException as e:
        if placement is None or getattr(e, 'status_code', None) != 500:
            raise
        hypervisors = _nodes_one_by_one(compute, placement())
        unknown = sorted(s.host for s in services if s.status == 'UNKNOWN')
        (warn or (lambda text: None))(_(
            'Nova\'s hypervisor listing failed (%(error)s): a cell does not '
            'answer%(hosts)s. Compute nodes were read one by one; hosts in '
            'cells that answer can be worked on, the others cannot.') % {
            'error': getattr(e, 'status_code', type(e).__name__),
            'hosts': _(' (the cell of %s, whose service status is UNKNOWN)')
            % ', '.join(unknown) if unknown else ''})
    by_host = {}
    for hypervisor in hypervisors:
        service_host = (hypervisor.service_details or {}).get('host')
        by_host.setdefault(service_host, []).append(hypervisor)
    result = []
    for service in services:
        nodes = by_host.get(service.host, [])
        first = nodes[0] if nodes else None
        result.append(hosts.ComputeHost(
            host=service.host,
            hypervisor_hostnames=tuple(n.name for n in nodes),
            hypervisor_ids=tuple(n.id for n in nodes),
            hypervisor_states=tuple(getattr(n, 'state', None) for n in nodes),
            service_id=service.id,
            status=service.status,
            state=service.state,
            forced_down=bool(service.is_forced_down),
            disabled_reason=service.disabled_reason,
            updated_at=getattr(service, 'updated_at', None),
            hypervisor_type=first and first.hypervisor_type,
            hypervisor_version=first and first.hypervisor_version,
        ))
    return result


def aggregate_hosts(compute, name):
    """The hosts of the host aggregate named ``name``, or None."""
    aggregate = compute.find_aggregate(name, ignore_missing=True)
    return None if aggregate is None else list(aggregate.hosts or ())


def zone_compute_hosts(compute):
    """{availability zone: its nova-compute hosts}, every zone."""
    return {zone.name: [host for host, services in (zone.hosts or {}).items()
                        if 'nova-compute' in services]
            for zone in compute.availability_zones(details=True)}


def _nodes_one_by_one(compute, placement):
    """The hypervisors of placement's root providers Nova can read.

    A node in a cell that does not answer (or a provider that is no
    compute node) is left out.
    """
    response = placement.get('/resource_providers', raise_exc=False)
    sdk_exceptions.raise_from_response(response)
    nodes = []
    for provider in response.json().get('resource_providers', []):
        if provider.get('root_provider_uuid',
                        provider['uuid']) != provider['uuid']:
            continue
        try:
            # A raw read negotiates nothing: below 2.53 Nova takes no UUID.
            node = _json(compute.get(
                '/os-hypervisors/%s' % provider['uuid'], raise_exc=False,
                microversion=HYPERVISOR_LIST_MICROVERSION if
                sdk_utils.supports_microversion(
                    compute, HYPERVISOR_LIST_MICROVERSION)
                else REQUIRED_COMPUTE_MICROVERSION))
        except sdk_exceptions.HttpException as e:
            if errors.is_callers(e):
                raise
            continue
        nodes.append(_Node(node['hypervisor']))
    return nodes


class _Node:
    """A hypervisor as one read shows it, named as the SDK names it."""

    def __init__(self, body):
        self.id = body.get('id')
        self.name = body.get('hypervisor_hostname')
        self.service_details = body.get('service') or {}
        self.hypervisor_type = body.get('hypervisor_type')
        self.hypervisor_version = body.get('hypervisor_version')


def _at_most(compute, microversion):
    """The microversion to ask for: ``microversion`` where the cloud has it.

    Below it the SDK negotiates the cloud's newest: every field we read is
    older than the one asked for.
    """
    if sdk_utils.supports_microversion(compute, microversion):
        return {'microversion': microversion}
    return {}


def find_compute_host(compute, name, placement=None, warn=None):
    """Resolve an operator's host name against the cloud's hosts."""
    return hosts.resolve(name, list_compute_hosts(compute, placement, warn))


def list_host_servers(compute, host):
    """Every server on ``host``, all projects, with embedded flavors."""
    return list(compute.servers(
        details=True, all_projects=True, compute_host=host.host))


def list_host_migrations(compute, host):
    """Migrations from or to ``host`` (nova matches source or dest)."""
    return list(compute.migrations(host=host.host))


# 2.64: a group's "policy" and "rules" (2.64 turned "policies" into one).
SERVER_GROUP_MICROVERSION = '2.64'


def look_up_consumers(compute, consumer_ids):
    """What Nova says of each placement consumer, asked as a server.

    :returns: {consumer: records.Seen, NOT_FOUND or NO_ANSWER}. Any other
        error than 404 (or refused credentials) is Nova unable to say: a
        cell that does not answer gives a 500 before compute API 2.69, and
        a record Nova's own response schema refuses after it.
    """
    seen = {}
    for consumer in consumer_ids:
        try:
            server = compute.get_server(consumer)
        except sdk_exceptions.NotFoundException:
            seen[consumer] = records.NOT_FOUND
        except sdk_exceptions.HttpException as e:
            if errors.is_callers(e):
                raise
            seen[consumer] = records.NO_ANSWER
        else:
            seen[consumer] = records.Seen(server.compute_host,
                                          server.status, server.task_state)
    return seen


def migration_records(migrations):
    """The SDK's migrations as the accounting reads them."""
    return [records.Migration(
        uuid=m.uuid, server_id=m.server_id, source=m.source_compute,
        dest=m.dest_compute, status=m.status, kind=m.migration_type,
        updated_at=m.updated_at)
        for m in migrations]


def list_server_groups(compute):
    """Every server group of every project, read whole (dicts as Nova says).

    ``os-server-groups`` pages by offset and gives no next link, so a
    listing stops after ``[api] max_limit`` groups (1000 by default; clouds
    with Octavia or Magnum pass it): pages are read by limit and offset
    until a short one. The first page's length is the page size.
    """
    groups, offset, size = [], 0, None
    while True:
        query = 'all_projects=True&offset=%d' % offset
        if size:
            query += '&limit=%d' % size
        page = _json(compute.get('/os-server-groups?' + query,
                                 microversion=SERVER_GROUP_MICROVERSION,
                                 raise_exc=False))['server_groups']
        groups.extend(page)
        size = size or len(page)
        if not page or len(page) < size:
            return groups
        offset += len(page)


def _json(response):
    sdk_exceptions.raise_from_response(response)
    return response.json()


def latest_migrations(migrations):
    """Map server ID to its newest migration record."""
    by_server = {}
    for migration in migrations:
        by_server.setdefault(migration.server_id, []).append(migration)
    return {server_id: vocabulary.newest_migration(records)
            for server_id, records in by_server.items()}


def migration_key(migration):
    """A migration's identity: its UUID (2.59 and later), else its ID.

    Integer IDs are per cell: two cells may hold records of one ID.
    """
    return getattr(migration, 'uuid', None) or migration.id


def known_migrations(migrations):
    """{key: status} of the records a move must not take for its own."""
    return {migration_key(m): m.status for m in migrations}


def is_new(known, migration):
    """Whether ``migration`` changed since ``known`` was read.

    A ``pre-migrating`` record that shows another status now is new too:
    Nova's conductor reuses the one a dead conductor left
    (``_preallocate_migration``) for the next cold move of the VM. Any
    other record known before is someone else's, whatever it does now.
    """
    was = known.get(migration_key(migration))
    if was is None:
        return True
    return was == 'pre-migrating' and migration.status != was


def migrations_in_progress(migrations):
    return [m for m in migrations
            if m.status not in vocabulary.FINAL_MIGRATION_STATUSES]


def find_servers(compute, names_or_ids):
    """Resolve every server (all projects) before anything moves.

    :raises CommandError: naming every server that does not exist or whose
        name is ambiguous.
    """
    found, missing, ambiguous = [], [], []
    for name in names_or_ids:
        try:
            server = compute.find_server(
                name, ignore_missing=True, all_projects=True)
        except sdk_exceptions.DuplicateResource:
            ambiguous.append(name)
            continue
        if server is None:
            missing.append(name)
        elif server.id not in {s.id for s in found}:
            found.append(server)
    errors = []
    if missing:
        errors.append(_('No server with name or ID: %s.') % ', '.join(missing))
    if ambiguous:
        errors.append(_('Several servers are named %s: use the ID.')
                      % ', '.join(ambiguous))
    if errors:
        raise exceptions.CommandError(' '.join(errors))
    return found
