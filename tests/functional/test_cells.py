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

"""One cell down among many: the healthy cells' hosts can still be drained.

cld-nl-01 and cld-nl-02 are in cell1, cld-nl-03 in cell2. Nova's
DownCellFixture (as base.DownCellFixture) takes cell2 down for every
request (scatter-gather listings and every request aimed at one of its
records), only while the commands run; Nova is read again once the cell is
back.
"""

from nova import context as nova_context
from nova import objects

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS
CELLS = {HOST: 'cell1', OTHER: 'cell1', THIRD: 'cell2'}


class CellsTestCase(cases.DrainTestCase):

    NUMBER_OF_CELLS = 2

    def setUp(self):
        super().setUp()
        # Nova's tests fail an answer outside its schema; a cloud warns
        # (the default). A VM of a cell that does not answer is shown with
        # the few fields Nova still knows.
        self.flags(response_validation='warn', group='api')
        ctxt = nova_context.get_admin_context()
        self.assertEqual(CELLS, {
            host: objects.HostMapping.get_by_host(
                ctxt, host).cell_mapping.name for host in base.HOSTS})

    def _start_compute_node(self, host):
        if CELLS[host] != 'cell1':
            return self._start_compute(host, cell_name=CELLS[host])
        return super()._start_compute_node(host)

    def cell_down(self, cell):
        """nova's DownCellFixture on ``cell``: use it as a context manager.

        Every scatter-gather and every target_cell into the cell fails, in
        the API and in nova's services alike (base.DownCellFixture).
        """
        return base.DownCellFixture([self.cell_mappings[cell]])

    def assertCellDown(self, server_in_it):
        """Nova itself cannot read the cell: its VM is only a stub.

        From 2.69 on, shown and listed with status UNKNOWN.
        """
        seen = self.admin_api.get_server(server_in_it['id'])
        self.assertEqual('UNKNOWN', seen['status'])
        self.assertNotIn('OS-EXT-SRV-ATTR:host', seen)
        listed = {s['id']: s for s in self.admin_api.get_servers(
            search_opts={'all_tenants': True})}
        self.assertEqual('UNKNOWN', listed[server_in_it['id']]['status'])


class TestOneCellDown(CellsTestCase):

    def test_a_host_of_the_healthy_cell_is_drained(self):
        active = self.create_active('active', HOST)
        stopped = self.create_shutoff('stopped', HOST)
        away = self.create_active('away', THIRD)
        states = {active['id']: 'ACTIVE', stopped['id']: 'SHUTOFF'}
        self.assertEqual(sorted(states), sorted(
            s['id'] for s in self.nova_servers_on(HOST)))

        with self.cell_down('cell2'):
            self.assertCellDown(away)
            vms = self.openstack('host', 'vms', HOST, '-f', 'json')
            drained = self.openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, vms.exit_code, vms)
        self.assertEqual(
            {active['id']: 'live-migrate', stopped['id']: 'cold-migrate'},
            {r['ID']: r['Action'] for r in vms.json()})
        self.assertEqual(0, drained.exit_code, drained)
        self.assertEqual({i: 'moved' for i in states},
                         {r['ID']: r['Result'] for r in drained.json()})
        # Said: a cell did not answer.
        self.assertIn('cell', drained.stderr.lower())

        # Nova, with the cell back: both on the other cell1 host, in their
        # states; the other cell untouched.
        for server in (active, stopped):
            nova = self.nova_server(server['id'])
            self.assertEqual(
                (OTHER, states[server['id']], None),
                (nova['OS-EXT-SRV-ATTR:host'], nova['status'],
                 nova['OS-EXT-STS:task_state']), server['name'])
        self.assertEqual([], self.nova_servers_on(HOST))
        self.assertEqual('disabled', self.service(HOST)['status'])
        self.assertEqual(THIRD, self.host_of(away))
        self.assertEqual('enabled', self.service(THIRD)['status'])
        self.assertEqual({OTHER}, {m['dest_compute']
                                   for m in self.migrations()})

    def test_the_down_cells_own_host_is_still_refused(self):
        stranded = self.create_active('stranded', THIRD)
        self.create_active('bystander', HOST)
        before = self.nova_servers_on(THIRD)
        self.assertEqual([stranded['id']], [s['id'] for s in before])
        service = self.service(THIRD)

        with self.cell_down('cell2'):
            self.assertCellDown(stranded)
            result = self.openstack('host', 'drain', THIRD)

        self.assertEqual(1, result.exit_code, result)
        self.assertNothingChanged(before)
        self.assertEqual(THIRD, self.host_of(stranded))
        self.assertEqual('ACTIVE', self.nova_server(stranded['id'])['status'])
        after = self.service(THIRD)
        for key in ('status', 'disabled_reason', 'forced_down'):
            self.assertEqual(service[key], after[key], key)
        self.assertEqual('enabled', self.service(HOST)['status'])
        self.assertEqual([], self.migrations())
