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

"""Is the host really empty? Placement's word as well as Nova's listing."""

import contextlib
import threading
import time
from unittest import mock
import uuid

import eventlet
import fixtures
from nova import context as nova_context
from nova import exception as nova_exception
from nova.scheduler.client import report
from nova.tests import fixtures as nova_fixtures

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS
HELD = 'held-in-placement'


def audit(provider):
    return ('nova-manage placement audit --resource_provider %s --delete'
            % provider)


class TestLeftovers(cases.PlacementTestCase):

    def orphan_allocation(self, host):
        """An allocation no VM or move of Nova's holds: a random consumer."""
        consumer = str(uuid.uuid4())
        provider = self._get_provider_uuid_by_host(host)
        self.placement.put('/allocations/%s' % consumer, {
            'allocations': {provider: {'resources': {
                'VCPU': 2, 'MEMORY_MB': 256}}},
            'project_id': base.PROJECT_B, 'user_id': 'gone',
            'consumer_generation': None}, version='1.28')
        return consumer, provider

    def test_orphan_reported_by_status_and_drain(self):
        vm = self.create_active('vm', HOST)
        orphan, provider = self.orphan_allocation(HOST)

        status = self.openstack_json('host', 'status', HOST)
        held = self.held_by(status)
        self.assertEqual({vm['id'], orphan}, set(held))
        self.assertEqual('vm', held[vm['id']]['kind'])
        self.assertEqual(vm['id'], held[vm['id']]['server'])
        self.assertEqual({'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 1},
                         held[vm['id']]['resources'])
        self.assertEqual('orphan', held[orphan]['kind'])
        self.assertIsNone(held[orphan]['server'])
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 256},
                         held[orphan]['resources'])
        self.assertEqual([provider], held[orphan]['providers'])
        self.assertIn(audit(provider), held[orphan]['note'])
        self.assertFalse(status['Placement Empty'])
        # Usage counts the orphan: placement's word, with whose it is.
        self.assertEqual(3, status['vCPUs Used'])

        rows, result = self.drain_rows(HOST, expect=3)

        # Said before anything moved, and in the table after.
        self.assertIn(orphan, result.stderr)
        self.assertEqual('moved', rows[vm['id']]['Result'])
        left = rows[orphan]
        self.assertEqual(('skip', HELD, HOST),
                         (left['Action'], left['Result'], left['Source']))
        self.assertIn('unknown to Nova', left['Message'])
        self.assertIn(audit(provider), left['Message'])
        # Nova and placement agree: the VM left, the orphan stays.
        self.assertNotEqual(HOST, self.nova_server(vm['id'])[
            'OS-EXT-SRV-ATTR:host'])
        self.assertEqual([orphan], list(self.allocations(HOST)))

        # Cleared as the row says, the host is empty and a re-run says so.
        self.placement.delete('/allocations/%s' % orphan)
        rows, _result = self.drain_rows(HOST)
        self.assertEqual({}, rows)
        self.assertTrue(self.openstack_json(
            'host', 'status', HOST)['Placement Empty'])

    def confirm_fails_to_free_source(self, server):
        """Confirm a resize; placement refuses to delete the source's part.

        Nova then puts the VM in ERROR on its destination, ends the
        migration in error, and the migration's allocation on the source
        is leaked (nova's "orphaned allocations" page).
        """
        real = report.SchedulerReportClient.delete_allocation_for_instance

        def refused(client, context, consumer, consumer_type='instance',
                    force=False):
            if consumer_type == 'migration':
                raise nova_exception.AllocationDeleteFailed(
                    consumer_uuid=consumer, error='placement said 409')
            return real(client, context, consumer, consumer_type, force)
        with mock.patch.object(report.SchedulerReportClient,
                               'delete_allocation_for_instance', refused):
            self.admin_api.post_server_action(server['id'],
                                              {'confirmResize': None})
            self._wait_for_state_change(server, 'ERROR')
        [migration] = self.admin_api.api_get(
            '/os-migrations?instance_uuid=%s' % server['id']
        ).body['migrations']
        self.assertEqual('error', migration['status'])
        return migration['uuid']

    def test_source_allocation_left_by_a_failed_confirm(self):
        # Made on HOST, cold-migrated to OTHER, confirmation failed.
        moved_before = self.create_verify_resize('moved-before', OTHER)
        leftover = self.confirm_fails_to_free_source(moved_before)
        provider = self._get_provider_uuid_by_host(HOST)
        self.assertIn(leftover, self.allocations(HOST))
        staying = self.create_shutoff('staying', HOST)

        status = self.openstack_json('host', 'status', HOST)
        held = self.held_by(status)
        self.assertEqual({staying['id'], leftover}, set(held))
        self.assertEqual('move-leftover', held[leftover]['kind'])
        self.assertEqual(moved_before['id'], held[leftover]['server'])
        self.assertEqual(leftover, held[leftover]['migration'])

        rows, _result = self.drain_rows(HOST, expect=3)

        self.assertEqual('moved', rows[staying['id']]['Result'])
        left = rows[leftover]
        self.assertEqual(HELD, left['Result'])
        self.assertIn('ended error', left['Message'])
        self.assertIn(moved_before['id'], left['Message'])
        self.assertIn(audit(provider), left['Message'])
        self.assertEqual([leftover], list(self.allocations(HOST)))
        # The VM itself was left where it is: not this drain's to touch.
        self.assertEqual(OTHER, self.nova_server(moved_before['id'])[
            'OS-EXT-SRV-ATTR:host'])

    def test_clean_drain_leaves_nothing_in_placement(self):
        running = self.create_active('running', HOST)
        stopped = self.create_shutoff('stopped', HOST)
        # A resize from HOST awaiting confirmation: the source's allocation
        # is the migration's until the drain confirms it.
        resized = self.create_verify_resize('resized', OTHER)
        status = self.openstack_json('host', 'status', HOST)
        kinds = {a['server']: a['kind'] for a in status['Allocations']}
        self.assertEqual({running['id']: 'vm', stopped['id']: 'vm',
                          resized['id']: 'move-from'}, kinds)

        rows, result = self.drain_rows(HOST)

        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()},
                         result)
        self.assertEqual({running['id'], stopped['id'], resized['id']},
                         set(rows))
        self.assertEqual({}, self.allocations(HOST))
        status = self.openstack_json('host', 'status', HOST)
        self.assertEqual([], status['Allocations'])
        self.assertTrue(status['Placement Empty'])


class TestMovesFinishingElsewhere(cases.PlacementTestCase):

    def test_a_cold_move_finishing_elsewhere_is_confirmed(self):
        # An operator's cold migration off the host, held where Nova has
        # pointed the VM at its destination but not yet marked the
        # migration finished: a listing of the host no longer shows it,
        # and the source's allocation is the migration's until confirmed.
        stopped = self.create_shutoff('stopped', HOST)
        driver = self.computes[OTHER].manager.driver
        release = threading.Event()
        real = driver.finish_migration

        def held(*args, **kwargs):
            release.wait()
            return real(*args, **kwargs)
        with mock.patch.object(driver, 'finish_migration', held):
            eventlet.spawn(self.admin_api.post_server_action,
                           stopped['id'], {'migrate': {'host': OTHER}})
            for _ in range(200):
                server = self.nova_server(stopped['id'])
                if server['OS-EXT-SRV-ATTR:host'] == OTHER:
                    break
                time.sleep(0.05)
            self.assertEqual(('RESIZE', OTHER), (
                server['status'], server['OS-EXT-SRV-ATTR:host']))
            eventlet.spawn_after(2, release.set)
            rows, result = self.drain_rows(HOST)

        row = rows[stopped['id']]
        self.assertEqual('moved', row['Result'], result)
        server = self.nova_server(stopped['id'])
        self.assertEqual(('SHUTOFF', OTHER), (
            server['status'], server['OS-EXT-SRV-ATTR:host']))
        self.assertEqual({}, self.allocations(HOST))


class TestCellNotAnswering(cases.PlacementTestCase):
    """THIRD's nova-compute is in a second cell, which stops answering."""

    NUMBER_OF_CELLS = 2

    def setUp(self):
        super().setUp()
        # Nova's tests fail an answer outside its schema; a cloud warns
        # (the default). A VM of a cell that does not answer is shown with
        # the few fields Nova still knows.
        self.flags(response_validation='warn', group='api')

    def _start_compute_node(self, host):
        if host == THIRD:
            return self._start_compute(host, cell_name='cell2')
        return super()._start_compute_node(host)

    @contextlib.contextmanager
    def cell_not_answering(self, cell, targeted_calls_too=False):
        """nova's DownCellFixture on one cell.

        By default the cell misses the API's scatter-gather (listings skip
        it, as nova's [api] list_records_by_skipping_down_cells does by
        default) while requests aimed at one of its records still reach
        it: a cell database too slow for the listing's timeout. With
        ``targeted_calls_too`` the cell is down for every request.
        """
        real_target_cell = nova_context.target_cell
        with fixtures.Fixture() as scope:
            scope.useFixture(nova_fixtures.DownCellFixture(
                [self.cell_mappings[cell]]))
            if not targeted_calls_too:
                scope.useFixture(fixtures.MonkeyPatch(
                    'nova.context.target_cell', real_target_cell))
            yield

    def test_never_called_empty_and_nothing_changes(self):
        hidden = self.create_active('hidden', THIRD)
        before = self.nova_servers_on(THIRD)
        service = self.service(THIRD)

        with self.cell_not_answering('cell2'):
            status = self.openstack_json('host', 'status', THIRD)
            drained = self.openstack('host', 'drain', THIRD, '-f', 'json')
            dry_run = self.openstack('host', 'drain', THIRD, '--dry-run',
                                     '-f', 'json')

        # The listing shows nothing; placement shows the VM's allocation,
        # and Nova cannot say what it is.
        self.assertEqual(0, status['VMs'])
        self.assertEqual('UNKNOWN', status['Service Status'])
        self.assertEqual({hidden['id']: 'cell-not-answering'},
                         {a['consumer']: a['kind']
                          for a in status['Allocations']})
        self.assertFalse(status['Placement Empty'])
        for result in (drained, dry_run):
            self.assertEqual(1, result.exit_code, result)
            self.assertIn(hidden['id'], result.stderr)
            self.assertIn('Nothing was changed', result.stderr)
        self.assertNothingChanged(before)
        self.assertEqual(service, self.service(THIRD))
        self.assertEqual([], self.migrations())

    def test_cell_down_for_every_request(self):
        self.create_active('hidden', THIRD)
        before = self.nova_servers_on(THIRD)
        service = self.service(THIRD)

        with self.cell_not_answering('cell2', targeted_calls_too=True):
            drained = self.openstack('host', 'drain', THIRD)

        # Nova's hypervisor listing fails for every cell: the nodes are
        # read one by one, and the host of the cell that does not answer
        # is refused before anything is done.
        self.assertEqual(1, drained.exit_code, drained)
        self.assertIn("Nova's hypervisor listing failed", drained.stderr)
        self.assertIn('Nova cannot read its cell', drained.stderr)
        self.assertIn('Nothing was changed', drained.stderr)
        self.assertNothingChanged(before)
        self.assertEqual(service, self.service(THIRD))
