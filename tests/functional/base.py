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

"""A real Nova control plane with fake hypervisors, driven by `openstack`.

Nova's own functional-test machinery runs the compute API, conductor,
scheduler, placement and one nova-compute per host in this process, on the
fake virt driver. Tests run the real ``openstack`` command line against it
(in-process, through wsgi-intercept) and check what Nova reports afterwards
through Nova's own test client, not through our code.

See ../shared/nova-test-cloud.md for why each piece below is needed.
"""

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from unittest import mock

import eventlet
from eventlet import wsgi
import fixtures
from nova.api import auth as nova_auth
from nova.api.openstack.compute import versions as nova_versions
from nova.api.openstack import wsgi as nova_wsgi
from nova.compute import power_state
from nova.conductor.tasks import live_migrate as live_migrate_task
from nova import context as nova_context
from nova import exception as nova_exception
from nova import objects
from nova.scheduler.client import query as scheduler_query
from nova.scheduler import utils as scheduler_utils
from nova.servicegroup.drivers import db as servicegroup_db
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional.api import client as api_client
from nova.tests.functional import fixtures as func_fixtures
from nova.tests.functional import integrated_helpers
from nova.virt import fake
import openstack.proxy
from openstack import service_description
from openstackclient import shell
from osc_lib import clientmanager as osc_clientmanager
from oslo_db import exception as db_exc
from placement import deploy as placement_deploy
import webob
import webob.exc
import yaml

from tests.functional import volume_api

from migrationhelper.moving import engine

# Nova's test base stubs these in every setUp for its own use; our client
# needs the real ones back once nova's services are up.
_REAL_GET_ENDPOINT = openstack.proxy.Proxy.get_endpoint
_REAL_MAKE_PROXY = service_description.ServiceDescription._make_proxy

HOSTS = (
    'cld-nl-01.pd.infn.it',
    'cld-nl-02.pd.infn.it',
    'cld-nl-03.pd.infn.it',
)
PROJECT_A = nova_fixtures.PROJECT_ID
PROJECT_B = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0'
IMAGE_ID = '155d900f-4e14-4e4c-a73d-069cbf4541e6'  # GlanceFixture's image
FLAVOR_ID = '1'  # m1.tiny: 1 vCPU, 512 MB, 1 GB
ADMIN_CLOUD = 'mh-admin'
MEMBER_CLOUD = 'mh-member'
# Placement's no-auth middleware treats the token "admin" as an admin.
ADMIN_TOKEN = 'admin'
MEMBER_TOKEN = 'member-token'
# An admin token no output may ever show.
SECRET_CLOUD = 'mh-secret'
SECRET_TOKEN = 'gAAAAABsecret-0123456789-do-not-print'
TOKENS = {
    ADMIN_TOKEN: ('cloud-admin', PROJECT_A, ['reader', 'member', 'admin']),
    MEMBER_TOKEN: ('alice', PROJECT_B, ['reader', 'member']),
    SECRET_TOKEN: ('cloud-admin', PROJECT_A, ['reader', 'member', 'admin']),
}


# Where the demo, sandbox and benchmark keep the cloud's own logs.
CLOUD_LOG = os.path.join(tempfile.gettempdir(), 'migrationhelper-cloud.log')


# The in-process cloud's loggers. A real cloud's logs are not the command's
# output, so while a command runs they skip its console handler.
CONTROL_PLANE_LOGGERS = ('nova', 'placement', 'oslo_messaging',
                         'oslo_policy', 'oslo_concurrency', 'oslo_db',
                         'stevedore', 'keystonemiddleware')


@contextlib.contextmanager
def control_plane_logs_kept_apart():
    """Keep the cloud's logs out of the command's console output.

    They go to the root handlers of before (the test's capture), not to the
    console handler that the ``openstack`` shell adds to the root logger.
    """
    handlers = list(logging.getLogger().handlers)
    saved = []
    for name in CONTROL_PLANE_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate))
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
    try:
        yield
    finally:
        for logger, propagate in saved:
            logger.propagate = propagate
            for handler in handlers:
                logger.removeHandler(handler)


def silence_console_logging():
    """Outside a test run (demo, sandbox, bench): no log lines on screen.

    Importing nova's test machinery leaves a root handler writing to
    stdout; the cloud's logs then still reach the test fixtures' capture.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and getattr(
                handler, 'stream', None) in (sys.stdout, sys.stderr,
                                             sys.__stdout__, sys.__stderr__):
            root.removeHandler(handler)


@contextlib.contextmanager
def cloud_outside_a_test(case_class):
    """A cloud test case's cloud, for the demo, sandbox and benchmark.

    ``case_class`` must have a ``runTest`` method (never run): setUp()
    builds the cloud, doCleanups() ends it. The cloud's own logs go to
    CLOUD_LOG, not to the screen.
    """
    silence_console_logging()
    root = logging.getLogger()
    log_file = logging.FileHandler(CLOUD_LOG)
    log_file.setFormatter(logging.Formatter(
        '%(asctime)s %(levelname)s [%(name)s] %(message)s'))
    root.addHandler(log_file)
    case = case_class('runTest')
    # The sandbox serves until Ctrl-C: no test timeout.
    case.DEFAULT_TIMEOUT = 0
    try:
        case.setUp()
        # Nova's logging fixture adds a console handler of its own.
        silence_console_logging()
        yield case
    finally:
        case.doCleanups()
        root.removeHandler(log_file)
        log_file.close()


class _QuietWsgiLog:
    def write(self, text):
        pass


def _serve(app):
    """Serve a WSGI app on 127.0.0.1 in a green thread; return the port."""
    sock = eventlet.listen(('127.0.0.1', 0))
    eventlet.spawn_n(wsgi.server, sock, app, log=_QuietWsgiLog(),
                     log_output=False)
    return sock.getsockname()[1]


def _known_tokens_only(app, keystone=None):
    """401 for a token the cloud does not know, as keystonemiddleware does.

    Without a keystone, the cloud knows TOKENS (placement's no-auth
    middleware would take any token as a user). With a real_keystone, it
    knows what that keystone validates now, each the cloud admin's token.
    """
    def guarded(environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if keystone is not None and keystone.validates(token):
            environ['HTTP_X_AUTH_TOKEN'] = ADMIN_TOKEN
        elif keystone is not None or token not in TOKENS:
            return webob.exc.HTTPUnauthorized()(environ, start_response)
        return app(environ, start_response)
    return guarded


def serve_over_http(cloud, directory, cloud_name, token=ADMIN_TOKEN,
                    keystone=None, compute_middleware=None, **cloud_entry):
    """Serve the cloud's compute and placement APIs over loopback HTTP.

    For an ``openstack`` of its own (another process, another client
    stack). Writes ``clouds.yaml`` in ``directory`` and returns its path;
    the endpoints are kept in ``cloud.served``.

    :param keystone: a real_keystone.Keystone whose tokens alone the APIs
        take; the clouds.yaml entry then needs its own auth.
    :param compute_middleware: wraps the compute API (faults on the wire).
    :param cloud_entry: more of the clouds.yaml entry (auth_type, auth,
        api_timeout).
    """
    compute = cloud.api_fixture.app()
    if compute_middleware is not None:
        compute = compute_middleware(compute)
    if keystone is not None:
        compute = _known_tokens_only(compute, keystone)
    compute_url = 'http://127.0.0.1:%d/v2.1/' % _serve(compute)
    placement_url = 'http://127.0.0.1:%d/' % _serve(_known_tokens_only(
        placement_deploy.loadapp(cloud.placement_fixture.conf_fixture.conf),
        keystone))
    cloud.served = (compute_url, placement_url)
    entry = {'auth_type': 'admin_token',
             'auth': {'endpoint': compute_url, 'token': token}}
    entry.update(cloud_entry)
    if entry['auth_type'] == 'admin_token':
        # openstacksdk 4.4.0 (2025.1, Debian 13) replaces a token given only
        # under auth: with the string "None"; a top-level one it keeps, and
        # every other release reads auth: as before.
        entry.setdefault('token', entry['auth']['token'])
    return write_clouds_yaml(cloud, directory, cloud_name, **entry)


def write_clouds_yaml(cloud, directory, cloud_name, **entry):
    """A clouds.yaml of one cloud, for the endpoints ``cloud`` serves."""
    compute_url, placement_url = cloud.served
    path = os.path.join(directory, 'clouds.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump({'clouds': {cloud_name: dict(
            entry, compute_endpoint_override=compute_url,
            placement_endpoint_override=placement_url)}}, f)
    return path


def _forget_cached_clients():
    """Drop the API clients an earlier in-process run cached.

    osc-lib caches each plugin's client on a descriptor of the ClientManager
    class, so it outlives the shell that made it: harmless in a real
    one-shot ``openstack`` process, wrong when one test process runs many
    command lines against many clouds and credentials.
    """
    for value in vars(osc_clientmanager.ClientManager).values():
        if isinstance(value, osc_clientmanager.ClientCache):
            value._handle = None


class DownCellFixture(nova_fixtures.DownCellFixture):
    """nova's DownCellFixture, whose scatter-gather serves every caller.

    nova's stub takes every function it gathers for a method
    (``fn.__func__``). Nova's scheduler (host manager, server group hosts),
    quota counts and service and instance listings gather plain functions:
    with nova's fixture alone they fail with AttributeError, and every move
    anywhere in the process fails while the fixture is on. Those get what
    Nova's own scatter-gather gives them on a real cloud with a cell
    database down: the down cell's result is the exception, each other
    cell's its answer (or the exception it raised).

    The cells must be given (``[self.cell_mappings['cell2']]``); use it as
    a context manager, or through useFixture.
    """

    def setUp(self):
        super().setUp()
        nova_stub = nova_context.scatter_gather_cells
        down = {cell.uuid for cell in self.down_cell_mappings}

        def scatter_gather_cells(ctxt, cell_mappings, timeout, fn, *args,
                                 **kwargs):
            if hasattr(fn, '__func__'):
                return nova_stub(ctxt, cell_mappings, timeout, fn, *args,
                                 **kwargs)
            results = {}
            for cell in cell_mappings:
                if cell.uuid in down:
                    results[cell.uuid] = db_exc.DBError()
                    continue
                cctxt = nova_context.RequestContext.from_dict(ctxt.to_dict())
                nova_context.set_target_cell(cctxt, cell)
                try:
                    results[cell.uuid] = fn(cctxt, *args, **kwargs)
                except Exception as e:
                    results[cell.uuid] = e
            return results
        self.useFixture(fixtures.MonkeyPatch(
            'nova.context.scatter_gather_cells', scatter_gather_cells))


class Result:
    """What one `openstack` command line did."""

    def __init__(self, argv, exit_code, stdout, stderr):
        self.argv = argv
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return 'openstack %s -> %s\nstdout:\n%s\nstderr:\n%s' % (
            ' '.join(self.argv), self.exit_code, self.stdout, self.stderr)


class NovaCloudTestCase(test.TestCase,
                        integrated_helpers.PlacementInstanceHelperMixin):
    """Three compute hosts with fully qualified names, two projects."""

    compute_driver = 'fake.MediumFakeDriver'
    hosts = HOSTS
    # A test that hangs (a deadlock among the cloud's green threads) fails
    # after this long instead of holding CI until its limit; the longest
    # tests take about a minute on two loaded cores.
    DEFAULT_TIMEOUT = 420
    # Hosts whose hypervisor (node) is known under another name.
    hypervisor_hostnames = {}
    REQUIRES_LOCKING = True

    def setUp(self):
        self.flags(compute_driver=self.compute_driver)
        super().setUp()
        self.flags(api_paste_config=os.path.join(
            sys.prefix, 'etc', 'nova', 'api-paste.ini'), group='wsgi')
        self.flags(instances=-1, cores=-1, ram=-1, group='quota')
        # Keep shelved servers on their host so drains meet them there.
        self.flags(shelved_offload_time=-1)

        self.useFixture(nova_fixtures.RealPolicyFixture())
        self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))
        self.glance = self.useFixture(nova_fixtures.GlanceFixture(self))
        self.cinder = self.useFixture(nova_fixtures.CinderFixture(self))
        self.placement_fixture = self.useFixture(
            func_fixtures.PlacementFixture())
        self.placement = self.placement_fixture.api
        self.useFixture(nova_fixtures.AllServicesCurrent())
        self.notifier = self.useFixture(
            nova_fixtures.NotificationFixture(self))

        self.api_fixture = self.useFixture(
            nova_fixtures.OSAPIFixture(api_version='v2.1'))
        self.admin_api = self.api_fixture.admin_api
        self.admin_api.microversion = 'latest'
        self.api = self.admin_api
        # An admin of the second project: servers it creates belong to
        # project B and user alice.
        self.project_b_api = api_client.TestOpenStackClient(
            'alice', self.api_fixture.base_url, project_id=PROJECT_B,
            roles=['reader', 'member', 'admin'])
        self.project_b_api.microversion = 'latest'

        self.start_service('conductor')
        self.start_service('scheduler')
        for host in self.hosts:
            self._start_compute_node(host)

        self.down_hosts = set()
        self._stub_service_group()
        self._map_tokens_to_contexts()
        self._restore_real_sdk()
        self._write_clouds_yaml()

    # -- the cloud's plumbing ------------------------------------------------

    def _start_compute_node(self, host):
        node = self.hypervisor_hostnames.get(host)
        if node is None:
            return self._start_compute(host)
        real_init_host = fake.FakeDriver.init_host

        def init_host(driver, host):
            real_init_host(driver, host)
            driver._set_nodes([node])
        with mock.patch.object(fake.FakeDriver, 'init_host', init_host):
            return self._start_compute(host)

    def _stub_service_group(self):
        """Let a test declare a host's nova-compute down (missed reports)."""
        real_is_up = servicegroup_db.DbDriver.is_up
        down_hosts = self.down_hosts

        def is_up(driver, service_ref):
            if service_ref['host'] in down_hosts:
                return False
            return real_is_up(driver, service_ref)
        self.useFixture(fixtures.MonkeyPatch(
            'nova.servicegroup.drivers.db.DbDriver.is_up', is_up))

    def _map_tokens_to_contexts(self):
        """OSC's admin_token sends only X-Auth-Token: map it to a user."""
        header_context = nova_auth.NovaKeystoneContext._create_context

        def create_context(env, **kwargs):
            token = env.get('HTTP_X_AUTH_TOKEN')
            if 'HTTP_X_AUTH_USER' in env:
                return header_context(env, **kwargs)
            if token in TOKENS:
                user, project, roles = TOKENS[token]
                return nova_context.RequestContext(
                    user, project, is_admin='admin' in roles, roles=roles,
                    **kwargs)
            # An unknown token is no identity, as keystonemiddleware says;
            # Nova then answers 401.
            return nova_context.RequestContext(None, None, **kwargs)
        self.useFixture(fixtures.MonkeyPatch(
            'nova.api.auth.NovaKeystoneContext._create_context',
            create_context))

    def _restore_real_sdk(self):
        self.useFixture(fixtures.MonkeyPatch(
            'openstack.proxy.Proxy.get_endpoint', _REAL_GET_ENDPOINT))
        self.useFixture(fixtures.MonkeyPatch(
            'openstack.service_description.ServiceDescription._make_proxy',
            _REAL_MAKE_PROXY))

    def _write_clouds_yaml(self):
        compute_url = self.api_fixture.base_url.rstrip('/') + '/'
        # Without the trailing slash the SDK falls back to a generic proxy.
        placement_url = self.placement_fixture.endpoint.rstrip('/') + '/'

        def cloud(token):
            return {
                'auth_type': 'admin_token',
                'auth': {'endpoint': compute_url, 'token': token},
                'compute_endpoint_override': compute_url,
                'placement_endpoint_override': placement_url,
            }
        config = {'clouds': {ADMIN_CLOUD: cloud(ADMIN_TOKEN),
                             MEMBER_CLOUD: cloud(MEMBER_TOKEN),
                             SECRET_CLOUD: cloud(SECRET_TOKEN)}}
        path = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'clouds.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump(config, f)
        kept = ('OS_DEBUG', 'OS_LOG_CAPTURE', 'OS_STDOUT_CAPTURE',
                'OS_STDERR_CAPTURE', 'OS_TEST_TIMEOUT')
        for name in [k for k in os.environ
                     if k.startswith('OS_') and k not in kept]:
            self.useFixture(fixtures.EnvironmentVariable(name))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', path))
        # No user-level clouds.yaml or cache may leak in.
        self.useFixture(fixtures.EnvironmentVariable(
            'HOME', self.useFixture(fixtures.TempDir()).path))

    # -- running the CLI -----------------------------------------------------

    def openstack(self, *argv, cloud=ADMIN_CLOUD, merged=False):
        """Run ``openstack --os-cloud <cloud> *argv`` in this process.

        :param merged: stdout and stderr in one stream, in the order a
            terminal shows them (``stdout`` of the result; its ``stderr``
            is then empty).
        """
        argv = ['--os-cloud', cloud] + list(argv)
        _forget_cached_clients()
        stdout = io.StringIO()
        stderr = stdout if merged else io.StringIO()
        with mock.patch.object(sys, 'stdout', stdout), \
                mock.patch.object(sys, 'stderr', stderr), \
                control_plane_logs_kept_apart():
            try:
                exit_code = shell.main(argv)
            except SystemExit as e:
                exit_code = e.code
        return Result(argv, exit_code, stdout.getvalue(),
                      '' if merged else stderr.getvalue())

    def openstack_json(self, *argv, cloud=ADMIN_CLOUD):
        result = self.openstack(*argv, '-f', 'json', cloud=cloud)
        self.assertEqual(0, result.exit_code, result)
        return result.json()

    # -- building VMs in every state -----------------------------------------

    def _create_server_on(self, name, host, api=None, wait='ACTIVE',
                          flavor=FLAVOR_ID, zone=None, group=None):
        api = api or self.admin_api
        body = {'server': {
            'name': name, 'imageRef': IMAGE_ID, 'flavorRef': flavor,
            'networks': 'none', 'host': host}}
        if zone:
            body['server']['availability_zone'] = zone
        if group:
            body['os:scheduler_hints'] = {'group': group['id']}
        server = api.post_server(body)
        if wait:
            server = self._wait_for_state_change(server, wait)
        return server

    def _server_action(self, server, action, expected_status, body=None):
        self.admin_api.post_server_action(server['id'], {action: body})
        return self._wait_for_state_change(server, expected_status)

    def create_active(self, name, host, api=None, **placed):
        """An ACTIVE VM; ``placed``: flavor, zone or group to boot with."""
        return self._create_server_on(name, host, api, **placed)

    def create_shutoff(self, name, host, api=None, **placed):
        return self._server_action(
            self._create_server_on(name, host, api, **placed), 'os-stop',
            'SHUTOFF')

    def create_paused(self, name, host, api=None):
        return self._server_action(
            self._create_server_on(name, host, api), 'pause', 'PAUSED')

    def create_suspended(self, name, host, api=None):
        return self._server_action(
            self._create_server_on(name, host, api), 'suspend', 'SUSPENDED')

    def create_rescued(self, name, host, api=None):
        return self._server_action(
            self._create_server_on(name, host, api), 'rescue', 'RESCUE', {})

    def create_shelved(self, name, host, api=None):
        return self._server_action(
            self._create_server_on(name, host, api), 'shelve', 'SHELVED')

    def create_verify_resize(self, name, host, api=None, stopped=False):
        """A VM cold-migrated onto ``host``, awaiting confirmation."""
        other = next(h for h in self.hosts if h != host)
        server = self._create_server_on(name, other, api)
        if stopped:
            server = self._server_action(server, 'os-stop', 'SHUTOFF')
        return self._server_action(
            server, 'migrate', 'VERIFY_RESIZE', {'host': host})

    def create_error(self, name, host, api=None):
        """An ERROR VM that no move put there (an operator's reset)."""
        server = self._create_server_on(name, host, api)
        self.admin_api.post_server_action(
            server['id'], {'os-resetState': {'state': 'error'}})
        return self._wait_for_state_change(
            server, 'ERROR', wait_for_fault_key=False)

    def create_failed_migration(self, name, host, api=None):
        """An ERROR VM left by a cold migration that failed on ``host``.

        The fault is injected into the fake driver: powering off for the
        move raises, as a hypervisor that lost its disk would.
        """
        server = self._create_server_on(name, host, api)
        driver = self.computes[host].manager.driver

        def fail(*args, **kwargs):
            raise Exception('injected: disk copy failed')
        with mock.patch.object(driver, 'migrate_disk_and_power_off', fail):
            self.admin_api.post_server_action(server['id'], {'migrate': None})
            server = self._wait_for_state_change(server, 'ERROR')
        self._wait_for_migration_status(server, ['error'])
        return server

    @contextlib.contextmanager
    def live_migration_held(self, host):
        """Live migrations from ``host`` hang until the event is set.

        The event is set at the latest when the block exits.
        """
        driver = self.computes[host].manager.driver
        release = threading.Event()
        real = driver.live_migration

        def held(*args, **kwargs):
            while not release.is_set():
                time.sleep(0.05)
            return real(*args, **kwargs)
        with mock.patch.object(driver, 'live_migration', held):
            try:
                yield release
            finally:
                release.set()

    @contextlib.contextmanager
    def moves_take(self, seconds, steps=('live_migration',
                                         'migrate_disk_and_power_off')):
        """Every live migration and disk copy spends ``seconds``.

        The in-process cloud is CPU-bound; wall time spent in the driver
        is what makes moves overlap as on a real cloud.
        """
        patches = contextlib.ExitStack()
        for host in self.hosts:
            driver = self.computes[host].manager.driver
            for step in steps:
                real = getattr(driver, step)

                def slow(*args, _real=real, **kwargs):
                    time.sleep(seconds)
                    return _real(*args, **kwargs)
                patches.enter_context(mock.patch.object(driver, step, slow))
        with patches:
            yield

    @contextlib.contextmanager
    def live_copies(self, left_at, memory=4 << 30):
        """Live migrations copy memory as libvirt's monitor reports it.

        Every half second the fake driver saves the copy's progress on the
        migration record (memory total, processed, remaining), as nova's
        libvirt driver does: ``left_at(seconds)`` is the fraction of the
        memory left after that long. The copy ends when nothing is left or
        when Nova forces it to complete; an abort rolls it back, the VM
        running on its source.
        """
        asked = {}
        over = threading.Event()

        def live_migration(context, instance, dest, post_method,
                           recover_method, block_migration=False,
                           migrate_data=None):
            asked[instance.uuid] = set()
            migration = migrate_data.migration
            start = time.monotonic()
            while not over.is_set():
                left = max(0.0, left_at(time.monotonic() - start))
                migration.memory_total = memory
                migration.memory_remaining = int(memory * left)
                migration.memory_processed = memory - int(memory * left)
                migration.save()
                if 'abort' in asked[instance.uuid]:
                    return recover_method(context, instance, dest,
                                          migrate_data,
                                          migration_status='cancelled')
                if left == 0.0 or 'force' in asked[instance.uuid]:
                    return post_method(context, instance, dest,
                                       block_migration, migrate_data)
                time.sleep(0.5)

        patches = contextlib.ExitStack()
        for host in self.hosts:
            driver = self.computes[host].manager.driver
            for name, call in (
                    ('live_migration', live_migration),
                    ('live_migration_abort',
                     lambda instance: asked[instance.uuid].add('abort')),
                    ('live_migration_force_complete',
                     lambda instance: asked[instance.uuid].add('force'))):
                patches.enter_context(mock.patch.object(driver, name, call))
        with patches:
            try:
                yield
            finally:
                # A copy still going when the test ends stops with it.
                over.set()

    @contextlib.contextmanager
    def ctrl_c_on_wait(self, wait=3):
        """Ctrl-C on the engine's ``wait``-th wait between polls.

        Where it lands in a real run: the engine spends its time waiting.
        Earlier waits let the first moves start.
        """
        real_idle = engine.idle
        waits = {'n': 0}

        def idle(seconds):
            waits['n'] += 1
            if waits['n'] == wait:
                raise KeyboardInterrupt()
            real_idle(seconds)
        with mock.patch.object(engine, 'idle', idle):
            yield

    @contextlib.contextmanager
    def live_migration_fails(self, host, times=1):
        """The next ``times`` live migrations from ``host`` fail cleanly.

        The fake driver rolls back as a hypervisor that lost the
        connection would: the VM stays on the source, the migration ends
        failed.
        """
        driver = self.computes[host].manager.driver
        real = driver.live_migration
        failures = {'left': times}

        def flaky(context, instance, dest, post_method, recover_method,
                  block_migration=False, migrate_data=None):
            if failures['left'] > 0:
                failures['left'] -= 1
                return recover_method(context, instance, dest, migrate_data)
            return real(context, instance, dest, post_method, recover_method,
                        block_migration, migrate_data)
        with mock.patch.object(driver, 'live_migration', flaky):
            yield

    @contextlib.contextmanager
    def api_outage(self, seconds, starts_on=None):
        """nova-api answers 503 to everything for ``seconds``.

        As a restarting nova-api behind its proxy does. The outage starts
        with the first request for which ``starts_on(request)`` is true
        (that request is refused too), or at once.
        """
        real_call = nova_wsgi.Resource.__call__
        outage = {'until': None if starts_on else time.monotonic() + seconds,
                  'refused': 0}

        def call(resource, environ, start_response):
            request = webob.Request(environ)
            if outage['until'] is None and starts_on(request):
                outage['until'] = time.monotonic() + seconds
            if outage['until'] is not None and \
                    time.monotonic() < outage['until']:
                outage['refused'] += 1
                return webob.exc.HTTPServiceUnavailable()(
                    environ, start_response)
            return real_call.__get__(resource)(environ, start_response)
        with mock.patch.object(nova_wsgi.Resource, '__call__', call):
            yield outage

    @contextlib.contextmanager
    def compute_requests(self):
        """Record every request the compute API serves meanwhile.

        Yields a list that grows with one (method, path, body) per request,
        whoever sent it (the command under test, or the test itself).
        """
        real_call = nova_wsgi.Resource.__call__
        seen = []

        def call(resource, environ, start_response):
            request = webob.Request(environ)
            seen.append((request.method, request.path,
                         request.body.decode('utf-8', 'replace')))
            return real_call.__get__(resource)(environ, start_response)
        with mock.patch.object(nova_wsgi.Resource, '__call__', call):
            yield seen

    @contextlib.contextmanager
    def compute_answers(self):
        """Record every compute API request meanwhile, with Nova's answer.

        Yields a list that grows with one (method, path, microversion,
        status) per request: the microversion the request asked for (None
        when it named none), the HTTP status Nova answered.
        """
        real_call = nova_wsgi.Resource.__call__
        seen = []

        def call(resource, environ, start_response):
            request = webob.Request(environ)
            asked = request.headers.get('OpenStack-API-Version')
            asked = asked.split()[-1] if asked else request.headers.get(
                'X-OpenStack-Nova-API-Version')
            answer = [request.method, request.path, asked, None]
            seen.append(answer)

            def recording_start_response(status, headers, *args):
                answer[3] = int(status.split()[0])
                return start_response(status, headers, *args)
            return real_call.__get__(resource)(environ,
                                               recording_start_response)
        with mock.patch.object(nova_wsgi.Resource, '__call__', call):
            yield seen

    def serve_block_storage(self):
        """The CinderFixture's volumes over HTTP, in the admin's cloud.

        Nova's fixture answers only Nova itself; a real cloud's admin reads
        boot volumes' image metadata through the block-storage API.
        """
        self.volumes = self.useFixture(volume_api.VolumeAPIFixture(
            self.cinder))
        path = os.environ['OS_CLIENT_CONFIG_FILE']
        with open(path) as f:
            config = yaml.safe_load(f)
        config['clouds'][ADMIN_CLOUD][
            'block_storage_endpoint_override'] = self.volumes.endpoint
        with open(path, 'w') as f:
            yaml.safe_dump(config, f)

    def cap_compute_api(self, version):
        """Nova's compute API answers as an older Nova's would.

        For the rest of the test: a request above ``version`` gets 406 and
        the version document (what clients negotiate from) says
        ``version`` is the newest. Nova behind the API stays the newest.
        """
        self.useFixture(fixtures.MonkeyPatch(
            'nova.api.openstack.api_version_request._MAX_API_VERSION',
            version))
        patcher = mock.patch.dict(nova_versions.VERSIONS['v2.1'],
                                  {'version': version})
        patcher.start()
        self.addCleanup(patcher.stop)

    # -- guests as a hypervisor reports them ---------------------------------

    def model_guest_power_states(self):
        """The fake hypervisor reports paused and suspended guests.

        For the rest of the test, as libvirt does: pausing a guest leaves
        it in power state PAUSED (3), suspending it in SUSPENDED (7),
        unpausing or resuming it RUNNING (1); Nova's compute manager reads
        that back (``get_info``) into the VM's power state. A live
        migration keeps the guest's state on its destination (the fake
        driver would start it running there). The fake driver alone
        leaves every guest running whatever is done to it.
        """
        states = self.guest_states = {}

        def setting(state):
            def set_state(driver, instance):
                driver.instances[instance.uuid].state = state
                states[instance.uuid] = state
            return set_state
        paused = setting(power_state.PAUSED)
        suspended = setting(power_state.SUSPENDED)
        running = setting(power_state.RUNNING)
        real_arrive = fake.FakeDriver.post_live_migration_at_destination

        def arrive(driver, context, instance, *args, **kwargs):
            real_arrive(driver, context, instance, *args, **kwargs)
            if instance.uuid in states:
                driver.instances[instance.uuid].state = states[instance.uuid]
        for name, call in (
                ('pause', paused),
                ('unpause', running),
                ('suspend', lambda driver, context, instance: suspended(
                    driver, instance)),
                ('resume', lambda driver, context, instance, *args, **kw:
                    running(driver, instance)),
                ('post_live_migration_at_destination', arrive)):
            self.useFixture(fixtures.MonkeyPatch(
                'nova.virt.fake.FakeDriver.' + name, call))

    def set_guest_state(self, server, host, state):
        """The hypervisor of ``host`` reports the guest in ``state``.

        Nova's record of the VM's power state follows, as its power state
        sync would write it; its status (vm_state) is left as it is.
        """
        self.computes[host].manager.driver.instances[
            server['id']].state = state
        if getattr(self, 'guest_states', None) is not None:
            self.guest_states[server['id']] = state
        instance = self.nova_instance(server['id'])
        instance.power_state = state
        instance.save()

    def instance_actions(self, server):
        """The names of the VM's instance actions, oldest first."""
        actions = self.admin_api.api_get(
            '/servers/%s/os-instance-actions' % server['id']
        ).body['instanceActions']
        return [a['action'] for a in sorted(
            actions, key=lambda a: (a['start_time'], a['request_id']))]

    # -- faults in nova-conductor --------------------------------------------

    @contextlib.contextmanager
    def live_migration_task_fails(self, times=1,
                                  error='injected: conductor lost the task'):
        """The next ``times`` live migrations fail in nova-conductor.

        An unexpected exception in ``LiveMigrationTask._execute``: Nova
        leaves the VM in ERROR, its power state unchanged, with a fault,
        and the live-migration record ``error``. Yields the failures left.
        """
        real = live_migrate_task.LiveMigrationTask._execute
        failures = {'left': times}

        def execute(task):
            if failures['left'] > 0:
                failures['left'] -= 1
                raise nova_exception.NovaException(error)
            return real(task)
        with mock.patch.object(live_migrate_task.LiveMigrationTask,
                               '_execute', execute):
            yield failures

    @contextlib.contextmanager
    def cold_migration_dropped(self, times=1,
                               error='injected: conductor lost the request'):
        """The next ``times`` cold migrations fail before their record.

        nova-conductor fails setting up the VM's server group: Nova puts
        the VM back idle in the state it had, records a fault and a failed
        ``conductor_migrate_server`` event, and never writes a migration
        record. Yields the failures left.
        """
        real = scheduler_utils.setup_instance_group
        failures = {'left': times}

        def setup_instance_group(context, request_spec):
            if failures['left'] > 0:
                failures['left'] -= 1
                raise nova_exception.NovaException(error)
            return real(context, request_spec)
        with mock.patch.object(scheduler_utils, 'setup_instance_group',
                               setup_instance_group):
            yield failures

    # -- shaping the cloud like a real one ------------------------------------

    def create_zone(self, zone, hosts):
        """An availability zone: a host aggregate with zone metadata."""
        aggregate = self.admin_api.post_aggregate({'aggregate': {
            'name': zone, 'availability_zone': zone}})
        for host in hosts:
            self.admin_api.add_host_to_aggregate(aggregate['id'], host)
        return aggregate

    def create_group(self, name, policy, rules=None):
        body = {'name': name, 'policy': policy}
        if rules:
            body['rules'] = rules
        return self.admin_api.post_server_groups(body)

    def create_flavor_with(self, name, extra_specs, ram=512, vcpus=1,
                           disk=1):
        flavor = self.admin_api.post_flavor({'flavor': {
            'name': name, 'ram': ram, 'vcpus': vcpus, 'disk': disk}})
        self.admin_api.post_extra_spec(flavor['id'],
                                       {'extra_specs': extra_specs})
        return flavor['id']

    def _provider_generation(self, provider):
        return self.placement.get('/resource_providers/%s' % provider,
                                  version='1.14').body['generation']

    def add_traits(self, host, *traits):
        """Add traits to the host's provider, keeping Nova's own."""
        provider = self._get_provider_uuid_by_host(host)
        for trait in traits:
            self._create_trait(trait)
        current = self.placement.get(
            '/resource_providers/%s/traits' % provider,
            version='1.6').body['traits']
        response = self.placement.put(
            '/resource_providers/%s/traits' % provider,
            {'resource_provider_generation': self._provider_generation(
                provider), 'traits': sorted(set(current) | set(traits))},
            version='1.6')
        self.assertEqual(200, response.status, response.body)

    def leave_free(self, host, resource_class, amount):
        """Reserve a host's inventory so that ``amount`` stays free."""
        provider = self._get_provider_uuid_by_host(host)
        inventory = self._get_provider_inventory(provider)
        used = self._get_provider_usages(provider).get(resource_class, 0)
        inventory[resource_class]['reserved'] = (
            inventory[resource_class]['total'] - used - amount)
        # 1.26 lets reserved equal total: a host with no room at all.
        response = self.placement.put(
            '/resource_providers/%s/inventories' % provider,
            {'resource_provider_generation': self._provider_generation(
                provider), 'inventories': inventory}, version='1.26')
        self.assertEqual(200, response.status, response.body)

    @contextlib.contextmanager
    def scheduler_refuses(self, times=1):
        """The next ``times`` scheduling requests find no valid host.

        As a scheduler filter the plan cannot see (NUMA, PCI, CPU
        compatibility) would refuse them.
        """
        real = scheduler_query.SchedulerQueryClient.select_destinations
        refusals = {'left': times}

        def select_destinations(client, *args, **kwargs):
            if refusals['left'] > 0:
                refusals['left'] -= 1
                raise nova_exception.NoValidHost(
                    reason='injected: a filter the plan cannot see')
            return real(client, *args, **kwargs)
        with mock.patch.object(scheduler_query.SchedulerQueryClient,
                               'select_destinations', select_destinations):
            yield refusals

    # -- host faults ---------------------------------------------------------

    def service_id(self, host):
        return self.admin_api.get_services(
            host=host, binary='nova-compute')[0]['id']

    def mark_host_down(self, host, forced=False):
        """Stop the host's nova-compute; optionally force it down."""
        self.computes[host].stop()
        self.down_hosts.add(host)
        if forced:
            self.admin_api.put_service(
                self.service_id(host), {'forced_down': True})

    # -- what Nova reports ---------------------------------------------------

    def nova_server(self, server_id):
        return self.admin_api.get_server(server_id)

    def host_of(self, server):
        return self.nova_server(server['id'])['OS-EXT-SRV-ATTR:host']

    def service(self, host):
        return self.admin_api.get_services(
            host=host, binary='nova-compute')[0]

    def migrations(self):
        return self.admin_api.api_get('/os-migrations').body['migrations']

    def nova_servers_on(self, host):
        return self.admin_api.get_servers(
            search_opts={'host': host, 'all_tenants': True})

    def nova_instance(self, server_id):
        ctxt = nova_context.get_admin_context()
        return objects.Instance.get_by_uuid(ctxt, server_id)

    def assertNothingChanged(self, before):
        """Every server listed in ``before`` is as it was."""
        for server in before:
            now = self.nova_server(server['id'])
            for key in ('status', 'OS-EXT-SRV-ATTR:host',
                        'OS-EXT-STS:task_state'):
                self.assertEqual(server[key], now[key],
                                 '%s of %s' % (key, server['name']))


# The clouds.yaml entry of a cloud served over HTTP to `openstack`
# processes, and how long one such command may take.
PROCESS_CLOUD = 'process'
COMMAND_TIMEOUT = 300


class ProcessTestCase(NovaCloudTestCase):
    """The repository's own `openstack`, over HTTP, as a process.

    A test serves the cloud first (``self.clouds_yaml =
    serve_over_http(self, self.directory, PROCESS_CLOUD, ...)``).
    """

    def setUp(self):
        super().setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path

    def start_openstack(self, *argv, env=None):
        """Start ``openstack *argv``; finish() waits for it."""
        bin_dir = os.path.dirname(sys.executable)
        process = subprocess.Popen(
            [os.path.join(bin_dir, 'openstack')] + list(argv),
            env=dict({'PATH': bin_dir + os.pathsep + os.environ['PATH'],
                      'HOME': self.directory, 'LANG': 'C.UTF-8',
                      'OS_CLIENT_CONFIG_FILE': self.clouds_yaml,
                      'OS_CLOUD': PROCESS_CLOUD}, **(env or {})),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        process.argv = list(argv)
        self.addCleanup(process.kill)
        return process

    def finish(self, process):
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
        return Result(process.argv, process.returncode, stdout, stderr)

    def run_openstack(self, *argv, env=None):
        return self.finish(self.start_openstack(*argv, env=env))

    def rows(self, result):
        return {row['Name']: row for row in json.loads(result.stdout)}

    def migrations_per_server(self):
        per_server = {}
        for m in self.admin_api.api_get('/os-migrations').body['migrations']:
            per_server.setdefault(m['instance_uuid'], []).append(m['id'])
        return per_server

    def wait_idle(self, server):
        return self._wait_for_server_parameter(
            server, {'OS-EXT-STS:task_state': None}, max_retries=300)
