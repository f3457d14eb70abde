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

"""Benchmark: host drain against Nova's floor, API cost, start-up cost.

A benchmark, not a test: ``tox -e bench`` prints a table of measurements
taken side by side in one run on the sandbox cloud, whose fake hypervisor
spends real time in each move (MOVE_SECONDS of sleep in live migration and
in the cold migration's disk copy), so that the control plane is not the
only cost.
"""

import collections
import contextlib
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

import eventlet
import fixtures
from keystoneauth1 import session as ks_session
from nova import context as nova_context
from nova.network import model as network_model
from nova import objects
from nova.virt import fake
from oslo_utils import timeutils
from oslo_utils import uuidutils

from tests.functional import base
from tests.functional import bench_trace

MOVE_SECONDS = 1.0
SETTLE_SECONDS = 3.0
LISTING_SIZES = (5, 60)
HOST = base.HOSTS[0]
# VMs elsewhere in the cloud, changing while a drain polls its moves.
UNRELATED = 1000


class SlowMoveFakeDriver(fake.MediumFakeDriver):
    """Moves that take wall time on the hypervisor, and room for 1500 VMs.

    Each step of a move is told to TRACE (when one is set): when Nova ran
    the VM's copy, and when the VM arrived or was confirmed.
    """

    vcpus = 400
    memory_mb = 786432
    local_gb = 4096

    def live_migration(self, context, instance, *args, **kwargs):
        _traced(instance, 'running')
        time.sleep(MOVE_SECONDS)
        # The fake copy ends in Nova's own post-migration steps: the VM is
        # on its destination when they return.
        super().live_migration(context, instance, *args, **kwargs)
        _traced(instance, 'on destination')

    def migrate_disk_and_power_off(self, context, instance, *args, **kwargs):
        _traced(instance, 'running')
        time.sleep(MOVE_SECONDS)
        return super().migrate_disk_and_power_off(context, instance, *args,
                                                  **kwargs)

    def finish_migration(self, context, migration, instance, *args,
                         **kwargs):
        super().finish_migration(context, migration, instance, *args,
                                 **kwargs)
        _traced(instance, 'on destination')

    def confirm_migration(self, context, migration, instance, *args,
                          **kwargs):
        super().confirm_migration(context, migration, instance, *args,
                                  **kwargs)
        _traced(instance, 'confirmed')


# The steps of the run being traced: [(server ID, step, time.time())].
TRACE = None


def _traced(instance, step):
    if TRACE is not None:
        TRACE.append((instance.uuid, step, time.time()))


# Nova loads drivers only from its own namespace.
fake.SlowMoveFakeDriver = SlowMoveFakeDriver


class BenchCloud(base.NovaCloudTestCase):
    compute_driver = 'fake.SlowMoveFakeDriver'

    def runTest(self):
        """Never run: setUp() builds the cloud, doCleanups() ends it."""

    def setUp(self):
        super().setUp()
        # Nova's tests fail an answer outside its schema; a cloud warns.
        # The unrelated VMs, made in the database, lack a request spec.
        self.flags(response_validation='warn', group='api')

    def fill(self, running, stopped):
        servers = [self.create_active('run-%02d' % i, HOST)
                   for i in range(running)]
        servers += [self.create_shutoff('off-%02d' % i, HOST)
                    for i in range(stopped)]
        return servers

    def fill_many(self, count, host=HOST, name='many'):
        self.admin_api.post_server({'server': {
            'name': name, 'imageRef': base.IMAGE_ID,
            'flavorRef': base.FLAVOR_ID, 'networks': 'none', 'host': host,
            'min_count': count, 'max_count': count}})
        # Counted in the database: listing a thousand VMs being built
        # through the API every few seconds would slow their building.
        ctxt = nova_context.get_admin_context()
        for _ in range(600):
            time.sleep(5)
            active = objects.InstanceList.get_by_filters(
                ctxt, {'host': host, 'vm_state': 'active',
                       'deleted': False}, expected_attrs=[])
            if len(active) >= count:
                return [i.uuid for i in active]
        raise RuntimeError('the %d VMs did not become ACTIVE' % count)

    def add_unrelated(self, count, host):
        """``count`` VMs in Nova's databases on ``host``, never built.

        The rest of a busy cloud, as the API lists and updates them: built
        for real, a thousand VMs on one fake host would take the sandbox
        an hour (nova-compute reads every allocation of the host at each
        claim).
        """
        ctxt = nova_context.get_admin_context()
        cell = next(c for c in objects.CellMappingList.get_all(ctxt)
                    if c.name != 'cell0')
        flavor = objects.Flavor.get_by_flavor_id(ctxt, base.FLAVOR_ID)
        ids = []
        now = timeutils.utcnow()
        with nova_context.target_cell(ctxt, cell) as cell_ctxt:
            node = objects.ComputeNodeList.get_all_by_host(cell_ctxt,
                                                           host)[0]
            for i in range(count):
                instance = objects.Instance(
                    context=cell_ctxt, uuid=uuidutils.generate_uuid(),
                    project_id=base.PROJECT_B, user_id='bench',
                    display_name='unrelated-%04d' % i, host=host,
                    node=node.hypervisor_hostname, compute_id=node.id,
                    vm_state='active', power_state=1, flavor=flavor,
                    instance_type_id=flavor.id, image_ref=base.IMAGE_ID,
                    availability_zone='nova', memory_mb=flavor.memory_mb,
                    vcpus=flavor.vcpus, root_gb=flavor.root_gb,
                    ephemeral_gb=flavor.ephemeral_gb, system_metadata={},
                    metadata={}, info_cache=objects.InstanceInfoCache(
                        network_info=network_model.NetworkInfo([])),
                    # What a built VM has, as the API's schemas want it.
                    progress=0, config_drive='', kernel_id='',
                    ramdisk_id='', hostname='unrelated-%04d' % i,
                    launch_index=0, reservation_id='r-bench',
                    root_device_name='/dev/vda', launched_at=now)
                instance.create()
                objects.InstanceMapping(
                    context=ctxt, instance_uuid=instance.uuid,
                    cell_mapping=cell, project_id=instance.project_id,
                    user_id=instance.user_id).create()
                ids.append(instance.uuid)
        return ids

    @contextlib.contextmanager
    def changing(self, server_ids):
        """Each of the VMs changes (its description) over and over."""
        stop = threading.Event()

        def change():
            round_ = 0
            while not stop.is_set():
                round_ += 1
                for server_id in server_ids:
                    if stop.is_set():
                        return
                    self.admin_api.put_server(server_id, {'server': {
                        'description': 'round %d' % round_}})
        worker = eventlet.spawn(change)
        try:
            yield
        finally:
            stop.set()
            worker.wait()


def cloud():
    return base.cloud_outside_a_test(BenchCloud)


# What the placement model reads (shape.py): zones, server groups,
# placement providers and images.
MODEL_READS = re.compile(r'/os-availability-zone|/os-server-groups|'
                         r'/resource_providers|/images/')


# A running live migration's record, read for the copy's progress.
PROGRESS_READS = re.compile(r'/servers/[^/?]+/migrations')


class RequestCount:
    def __init__(self):
        self.total = 0
        self.model = 0
        self.progress = 0
        self.bytes = 0


@contextlib.contextmanager
def counted_requests(trace=None):
    """Count the HTTP requests the client sends (compute, placement).

    The in-process control plane's own placement client has no auth plugin
    (placement runs with no auth here); those requests are not ours.

    :param trace: a bench_trace.Trace, told of each request.
    """
    counts = RequestCount()
    real = ks_session.Session.request

    def request(session, url, method, *args, **kwargs):
        start = time.monotonic()
        response = real(session, url, method, *args, **kwargs)
        if session.auth is not None:
            if trace is not None:
                trace.request(start, method, url)
            counts.total += 1
            counts.bytes += len(response.content or b'')
            if MODEL_READS.search(url):
                counts.model += 1
            if PROGRESS_READS.search(url):
                counts.progress += 1
        return response
    ks_session.Session.request = request
    try:
        yield counts
    finally:
        ks_session.Session.request = real


def timed(fn):
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def run_client(bench, *args):
    """bench_client in a process of its own, against ``bench`` over HTTP.

    :returns: (seconds from start to exit, when it started, what it
        recorded, the hypervisor's steps meanwhile).
    """
    global TRACE
    if not getattr(bench, 'served', None):
        bench.directory = bench.useFixture(fixtures.TempDir()).path
        bench.clouds_yaml = base.serve_over_http(bench, bench.directory,
                                                 base.PROCESS_CLOUD)
    trace_path = os.path.join(bench.directory, 'trace.json')
    bin_dir = os.path.dirname(sys.executable)
    # What the cloud still does after building the VMs ends first, for the
    # floor and the drain alike.
    time.sleep(SETTLE_SECONDS)
    steps = TRACE = []
    try:
        started = time.time()
        process = subprocess.Popen(
            [sys.executable, '-m', 'tests.bench_client',
             trace_path] + list(args),
            env={'PATH': bin_dir + os.pathsep + os.environ['PATH'],
                 'HOME': bench.directory, 'LANG': 'C.UTF-8',
                 'OS_CLIENT_CONFIG_FILE': bench.clouds_yaml},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stdout, stderr = process.communicate(timeout=base.COMMAND_TIMEOUT)
        ended = time.time()
    finally:
        TRACE = None
    if process.returncode != 0:
        raise RuntimeError('bench_client %s -> %s\n%s\n%s' % (
            ' '.join(args), process.returncode, stdout, stderr))
    with open(trace_path) as f:
        recorded = json.load(f)
    return ended - started, started, recorded, steps


def floor(bench, servers):
    """Nova's floor for the moves of ``servers`` (bench_client.floor).

    :returns: (seconds, requests, bench_trace.Trace).
    """
    moves = [(s['id'], s['status']) for s in servers]
    _s, _started, recorded, steps = run_client(
        bench, 'floor', base.PROCESS_CLOUD, json.dumps(moves))
    trace = bench_trace.Trace(recorded['start'], recorded['end'], recorded,
                              steps)
    return trace.end, len(recorded['requests']), trace


def drain(bench, *options):
    """``openstack host drain HOST -f json *options``, a process of its own.

    Its time runs from the process's start to its exit, as a user's
    ``time openstack host drain`` would say.

    :returns: (seconds, requests, bench_trace.Trace).
    """
    seconds, started, recorded, steps = run_client(
        bench, 'drain', '--os-cloud', base.PROCESS_CLOUD, 'host', 'drain',
        HOST, '-f', 'json', *options)
    trace = bench_trace.Trace(started, started + seconds, recorded, steps)
    return seconds, len(recorded['requests']), trace


def drain_in_process(bench, *options, counts=None):
    with counted_requests() as counted:
        seconds, result = timed(
            lambda: bench.openstack('host', 'drain', HOST, '-f', 'json',
                                    *options))
    if result.exit_code != 0:
        raise RuntimeError(repr(result))
    if counts is not None:
        counts.append(counted)
    return seconds, counted.total


def polling_in_a_busy_cloud():
    """A 6-VM drain's requests and bytes, the cloud quiet, then busy.

    :returns: {label: (seconds, requests, kB)}.
    """
    measured = {}
    for label in ('quiet', 'busy'):
        with cloud() as bench:
            unrelated = bench.add_unrelated(UNRELATED, base.HOSTS[2])
            bench.fill(3, 3)
            counts = []
            if label == 'busy':
                with bench.changing(unrelated):
                    seconds, _ = drain_in_process(bench, counts=counts)
            else:
                seconds, _ = drain_in_process(bench, counts=counts)
            measured[label] = (seconds, counts[0].total,
                               counts[0].bytes / 1024.0, counts[0].progress)
    return measured


def anchor(bench, servers):
    """What operators do today: one OSC command after another."""
    with counted_requests() as counts:
        start = time.monotonic()
        for server in servers:
            if server['status'] == 'ACTIVE':
                bench.openstack('server', 'migrate', '--live-migration',
                                '--wait', server['id'])
            else:
                bench.openstack('server', 'migrate', '--wait', server['id'])
                bench.openstack('server', 'resize', 'confirm', server['id'])
        seconds = time.monotonic() - start
    # The last confirmation runs on after its command returns: the cloud
    # is ended only once every move's record is closed.
    for server in servers:
        bench._wait_for_migration_status(server, ['completed', 'confirmed'])
    return seconds, counts.total


def status_accounting(bench):
    """Requests of ``host status`` (placement accounted by consumer).

    An orphaned allocation is added first, so that the one lookup of a
    consumer the listings do not explain is counted too.
    """
    provider = bench._get_provider_uuid_by_host(HOST)
    bench.placement.put('/allocations/%s' % uuidutils.generate_uuid(), {
        'allocations': {provider: {'resources': {'VCPU': 1}}},
        'project_id': base.PROJECT_B, 'user_id': 'gone',
        'consumer_generation': None}, version='1.28')
    with counted_requests() as counts:
        result = bench.openstack('host', 'status', HOST, '-f', 'json')
    kinds = sorted(a['kind'] for a in result.json()['Allocations'])
    if kinds.count('orphan') != 1 or result.exit_code:
        raise RuntimeError(repr(result))
    return counts.total


def import_cost():
    """Milliseconds our modules add to an ``openstack`` start-up.

    OSC imports every plugin's ``plugin.py`` on every call; cliff imports
    a command's module (and what it imports) only when that command runs,
    all of them only for ``openstack help``. Measured after what OSC
    imports anyway, median of five processes.

    :returns: (plugin.py, the host commands' module) in ms.
    """
    code = (
        'import time\n'
        'import openstackclient.shell, osc_lib.command.command, '
        'osc_lib.cli.format_columns, osc_lib.utils, openstack, cliff, '
        'oslo_i18n, keystoneauth1.exceptions, openstack.connection\n'
        'import sys; sys.modules.pop("migrationhelper.plugin", None)\n'
        't = time.perf_counter()\n'
        'import migrationhelper.plugin\n'
        'p = time.perf_counter()\n'
        'import migrationhelper.v1.host\n'
        'h = time.perf_counter()\n'
        'print((p - t) * 1000, (h - p) * 1000)\n')
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, '-c', code],
                             capture_output=True, text=True).stdout.split()
        runs.append((float(out[0]), float(out[1])))
    return (sorted(r[0] for r in runs)[len(runs) // 2],
            sorted(r[1] for r in runs)[len(runs) // 2])


RUNS = 5


def drain_against_floor(count, runs=RUNS):
    """Pairs of runs: the floor and a default drain, each on its cloud.

    :returns: [(floor seconds, drain seconds, drain requests, floor trace,
        drain trace, {server ID: name})] per run.
    """
    running, stopped = count // 2, count - count // 2
    measured = []
    for _ in range(runs):
        with cloud() as bench:
            servers = bench.fill(running, stopped)
            floor_s, _req, floor_trace = floor(bench, servers)
            floor_trace.names = {s['id']: s['name'] for s in servers}
        with cloud() as bench:
            names = {s['id']: s['name']
                     for s in bench.fill(running, stopped)}
            drain_s, drain_req, drain_trace = drain(bench)
        measured.append((floor_s, drain_s, drain_req, floor_trace,
                         drain_trace, names))
    return measured


def against_floor_rows(row, count, runs=RUNS):
    """The drain against the floor; returns the traces to print after."""
    measured = drain_against_floor(count, runs)
    floors = sorted(m[0] for m in measured)
    drains = sorted(m[1] for m in measured)
    # Each distribution against the other: the median drain against the
    # median floor, the slowest drain against the slowest floor.
    for label, at in (('median', runs // 2), ('worst', -1)):
        ratio = drains[at] / floors[at]
        row('%d VMs (%d running), default options: %s of %d'
            % (count, count // 2, label, runs),
            '%.1f s vs floor %.1f s (%.2fx)' % (drains[at], floors[at],
                                                ratio),
            '<= 1.25x floor', 'met' if ratio <= 1.25 else 'MISSED')
    per_vm = sorted(m[2] / count for m in measured)
    row('%d VMs: requests per VM moved, fixed costs included' % count,
        '%.1f median, %.1f worst' % (per_vm[runs // 2], per_vm[-1]),
        '<= 8' if count == 6 else '',
        ('met' if per_vm[-1] <= 8 else 'MISSED') if count == 6 else '')
    by_drain = sorted(measured, key=lambda m: m[1])
    by_floor = sorted(measured, key=lambda m: m[0])
    median_drain, median_floor = by_drain[runs // 2], by_floor[runs // 2]

    def traces():
        title = '%d VMs, the median run' % count
        bench_trace.print_trace(
            'Floor, ' + title, median_floor[3],
            names=median_floor[3].names if count <= 6 else None)
        bench_trace.print_trace(
            'Drain, ' + title, median_drain[4], floor=median_floor[3],
            names=median_drain[5] if count <= 6 else None)
    return floors[runs // 2], traces


def polling_row(row):
    measured = polling_in_a_busy_cloud()
    (quiet_s, quiet_req, quiet_kb, quiet_progress) = measured['quiet']
    (busy_s, busy_req, busy_kb, _progress) = measured['busy']
    row('6 VMs, %d unrelated VMs elsewhere: quiet' % UNRELATED,
        '%.1f s, %d requests, %.0f kB' % (quiet_s, quiet_req, quiet_kb),
        '', '')
    row('  the same, every unrelated VM changing all along',
        '%.1f s, %d requests, %.0f kB' % (busy_s, busy_req, busy_kb),
        'kB not x1.5', 'met' if busy_kb <= 1.5 * quiet_kb else 'MISSED')
    row('  of which live copies\' progress reads (3 running VMs)',
        '%d requests' % quiet_progress, '', '')


def listing_rows(row):
    """host vms and host status: requests that do not grow with VMs."""
    # Building VMs is the slow part of the sandbox (about a second each),
    # so the listing is measured at two sizes: its request count must not
    # grow with the number of VMs.
    listing, accounting = {}, {}
    for size in LISTING_SIZES:
        with cloud() as bench:
            bench.fill_many(size)
            with counted_requests() as counts:
                seconds, result = timed(lambda: bench.openstack(
                    'host', 'vms', HOST, '-f', 'json'))
            listing[len(result.json())] = (seconds, counts.total,
                                           counts.model)
            accounting[size] = status_accounting(bench)
    (small, (_s, small_req, small_model)), (
        large, (large_s, large_req, large_model)) = sorted(listing.items())
    row('host vms on a host with %d VMs (%d VMs: %d requests)'
        % (large, small, small_req),
        '%.2f s, %d requests' % (large_s, large_req),
        'no per-VM calls', 'met' if large_req == small_req else 'MISSED')
    row('  of which the placement model (%d VMs: %d)' % (small,
                                                         small_model),
        '%d requests' % large_model, 'per host/flavor',
        'met' if large_model == small_model else 'MISSED')

    (small, small_req), (large, large_req) = sorted(accounting.items())
    row('host status by consumer, %d VMs + orphan (%d VMs: %d)'
        % (large, small, small_req),
        '%d requests' % large_req, 'per host',
        'met' if large_req == small_req else 'MISSED')


def modelled_fleet(hosts=500, vms=40, seed=1):
    """A roll's input on modelled data: hosts with VMs, zones, groups."""
    from migrationhelper.cloud import vocabulary
    from migrationhelper.planning import capacity
    from migrationhelper.planning import placement_model as model
    from migrationhelper.planning import waves
    rng = random.Random(seed)
    groups = {'g%d' % g: model.Group('g%d' % g, 'g%d' % g, rng.choice(
        (model.ANTI_AFFINITY, 'soft-anti-affinity', 'soft-affinity')))
        for g in range(200)}
    roll_hosts, receivers = [], []
    for i in range(hosts):
        name = 'cmp%03d' % i
        needs, used = [], 0
        for j in range(vms):
            ram = rng.choice((1024, 2048, 4096))
            used += ram
            needs.append(model.Needs(
                key='%s-%d' % (name, j), label='vm-%d' % j, source=name,
                demand={vocabulary.VCPU: 2, vocabulary.MEMORY_MB: ram,
                        vocabulary.DISK_GB: 20},
                zone='az%d' % (i % 3) if j % 5 == 0 else None,
                groups=('g%d' % rng.randrange(200),)
                if rng.random() < 0.1 else ()))
        roll_hosts.append(waves.RollHost(name, tuple(needs)))
        receivers.append(model.Receiver(name, 'az%d' % (i % 3), frozenset(), {
            vocabulary.VCPU: capacity.Resource(vms * 2, 256),
            vocabulary.MEMORY_MB: capacity.Resource(used, 262144),
            vocabulary.DISK_GB: capacity.Resource(vms * 20, 4000)}))
    for group in groups.values():
        group.members_on.update(collections.Counter(
            n.source for h in roll_hosts for n in h.moving
            if group.id in n.groups))
    return roll_hosts, receivers, groups


def roll_planning():
    """Seconds to simulate a roll of 500 hosts of 40 VMs, one per wave."""
    from migrationhelper.planning import waves
    roll_hosts, receivers, groups = modelled_fleet()
    seconds, sequence = timed(
        lambda: waves.simulate(roll_hosts, receivers, groups, 1))
    return seconds, sequence


def roll_overhead():
    """Seconds a roll adds per wave beyond drain, maintenance, ready.

    A roll of three hosts (one VM on each of two) on the sandbox, --exec
    true: its wall time, less the drain, maintenance and ready times its
    rows report, per wave.
    """
    with cloud() as bench:
        bench.create_active('roll-1', base.HOSTS[0])
        bench.create_active('roll-2', base.HOSTS[1])
        seconds, result = timed(lambda: bench.openstack(
            'host', 'roll', *base.HOSTS, '--exec', 'true', '--log-dir',
            tempfile.gettempdir(), '-f', 'json'))
    if result.exit_code != 0:
        raise RuntimeError(repr(result))
    rows = result.json()
    steps = sum((r['Drain (s)'] or 0) + (r['Maintenance (s)'] or 0) +
                (r['Ready (s)'] or 0) for r in rows)
    waves = len({r['Wave'] for r in rows})
    return (seconds - steps) / waves, waves


def roll_rows(row):
    seconds, sequence = roll_planning()
    row('roll planning, 500 hosts x 40 VMs (modelled, no cloud)',
        '%.1f s, %.2f moves per VM' % (seconds, sequence.moves_per_vm),
        '< 10 s', 'met' if seconds < 10 else 'MISSED')
    overhead, waves = roll_overhead()
    row('roll: time per wave beyond drain, maintenance, ready',
        '%.2f s (%d waves)' % (overhead, waves), '< 2 s',
        'met' if overhead < 2 else 'MISSED')


def main(only=None, count=None, runs=None):
    rows = []

    def row(what, value, goal, verdict):
        rows.append((what, value, goal, verdict))
        print('%-58s %-26s %-16s %s' % rows[-1], flush=True)

    print('%-58s %-26s %-16s %s' % ('measurement', 'value', 'goal', ''))
    if only == 'polling':
        polling_row(row)
        return 0
    if only == 'listing':
        listing_rows(row)
        return 0
    if only == 'roll':
        roll_rows(row)
        return 0
    if only == 'floor':
        # One size, fewer runs: tox -e bench -- floor 6 3
        against_floor_rows(row, int(count or 6), int(runs or RUNS))[1]()
        return 0
    traces = []
    for count in (6, 24):
        median_floor, trace = against_floor_rows(row, count)
        traces.append(trace)
        if count == 6:
            with cloud() as bench:
                servers = bench.fill(count // 2, count - count // 2)
                anchor_s, _ = anchor(bench, servers)
            row('%d VMs: loop of server migrate --wait (anchor)' % count,
                '%.1f s (%.1fx floor)' % (anchor_s, anchor_s / median_floor),
                '', '')

    timings = {}
    for label, options in (('default', ()), ('serial', ('--max-parallel',
                                                        '1'))):
        with cloud() as bench:
            bench.fill(0, 4)
            timings[label], _, _ = drain(bench, *options)
    ratio = timings['default'] / timings['serial']
    row('4 stopped VMs: default options vs --max-parallel 1',
        '%.1f s vs %.1f s (%.2fx)' % (timings['default'], timings['serial'],
                                      ratio),
        '< 0.75x', 'met' if ratio < 0.75 else 'MISSED')

    listing_rows(row)
    polling_row(row)
    roll_rows(row)

    plugin_ms, command_ms = import_cost()
    row('start-up: plugin.py, imported on every openstack call',
        '%.1f ms' % plugin_ms, '< 10 ms',
        'met' if plugin_ms < 10 else 'MISSED')
    row('start-up: the host commands\' module, when one runs or for help',
        '%.1f ms' % command_ms, '< 100 ms',
        'met' if command_ms < 100 else 'MISSED')
    print('\nmachine: %s, %s, Python %s; move time on the fake hypervisor '
          '%.1f s' % (platform.machine(), platform.processor() or '?',
                      platform.python_version(), MOVE_SECONDS))
    for trace in traces:
        trace()
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
