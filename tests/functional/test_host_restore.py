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

"""`openstack host undrain --restore` against a real Nova."""

import datetime
from unittest import mock

from migrationhelper.workflows import disabled_reason
from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS


class TestRestore(cases.RestoreTestCase):

    def test_a_workstation_clock_ahead_of_novas_hides_no_vm(self):
        servers = [self.create_active('active', HOST),
                   self.create_shutoff('stopped', HOST)]

        def ahead():
            return datetime.datetime.now(
                datetime.timezone.utc) + datetime.timedelta(minutes=5)
        with mock.patch.object(disabled_reason, 'workstation_now', ahead):
            self.drain(HOST)
        # The drain's time is Nova's, not the workstation's.
        began = disabled_reason.drained_at(
            self.service(HOST)['disabled_reason'])
        self.assertLess(began, datetime.datetime.now(datetime.timezone.utc))

        rows = self.restore()

        self.assertEqual(['active', 'stopped'], sorted(rows))
        for server in servers:
            self.assertEqual(HOST, self.host_of(server))

    def test_a_drain_given_its_own_reason_is_restored_without_since(self):
        servers = [self.create_active('active', HOST),
                   self.create_shutoff('stopped', HOST)]
        self.drain(HOST, '--disable-reason', 'CHG-1234 RAM swap')
        reason = self.service(HOST)['disabled_reason']
        self.assertTrue(reason.startswith(
            'migrationhelper: CHG-1234 RAM swap; drained by '), reason)

        rows = self.restore()

        self.assertEqual(['active', 'stopped'], sorted(rows))
        for server in servers:
            self.assertEqual(HOST, self.host_of(server))
        self.assertEqual('enabled', self.service(HOST)['status'])

    def test_several_hosts_are_restored_one_after_the_other(self):
        on_first = self.create_active('first', HOST)
        on_second = self.create_shutoff('second', OTHER)
        self.drain(HOST, OTHER)
        self.assertEqual(THIRD, self.host_of(on_first))
        self.assertEqual(THIRD, self.host_of(on_second))

        result = self.openstack('host', 'undrain', '--restore', HOST, OTHER,
                                '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertEqual({'first': 'moved', 'second': 'moved'},
                         {r['Name']: r['Result'] for r in result.json()})
        self.assertEqual(HOST, self.host_of(on_first))
        self.assertEqual(OTHER, self.host_of(on_second))
        self.assertEqual('SHUTOFF', self.nova_server(on_second['id'])[
            'status'])
        for host in (HOST, OTHER):
            self.assertEqual('enabled', self.service(host)['status'])

    def test_several_hosts_are_checked_before_any_changes(self):
        self.create_active('first', HOST)
        self.drain(HOST)
        self.admin_api.put_service(self.service_id(OTHER), {
            'status': 'disabled', 'disabled_reason': 'failed PSU'})
        migrations = self.migrations()

        for restore in (('--restore',), ()):
            result = self.openstack('host', 'undrain', *restore, HOST, OTHER)

            self.assertEqual(1, result.exit_code, result)
            self.assertIn('failed PSU', result.stderr)
            self.assertEqual('disabled', self.service(HOST)['status'])
            self.assertEqual('disabled', self.service(OTHER)['status'])
            self.assertEqual(migrations, self.migrations())

        rows = self.openstack_json('host', 'undrain', HOST, OTHER, '--force')
        self.assertEqual([(HOST, 'enabled'), (OTHER, 'enabled')],
                         [(r['Host'], r['Service Status']) for r in rows])

    def test_since_after_the_drain_says_there_is_nothing_to_restore(self):
        server = self.create_active('active', HOST)
        self.drain(HOST)
        later = (datetime.datetime.now(datetime.timezone.utc) +
                 datetime.timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')

        result = self.openstack('host', 'undrain', '--restore', HOST,
                                '--since', later, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertEqual([], result.json())
        self.assertIn('Nothing to restore: Nova records no migration off %s '
                      'since %s (--since)' % (HOST, later), result.stderr)
        self.assertNotEqual(HOST, self.host_of(server))

    def test_vms_come_back_in_their_states_and_nothing_else_moves(self):
        # The restored host is disabled, so Nova's zone listing omits it:
        # a VM pinned to its zone must still find its way back.
        self.create_zone('az-a', [HOST, OTHER])
        servers = {
            'active': (self.create_active('active', HOST), 'ACTIVE'),
            'paused': (self.create_paused('paused', HOST), 'PAUSED'),
            'stopped': (self.create_shutoff('stopped', HOST), 'SHUTOFF'),
            'pinned': (self.create_active('pinned', HOST, zone='az-a'),
                       'ACTIVE'),
        }
        gone = self.create_active('gone', HOST)
        bystander = self.create_active('bystander', THIRD)
        self.drain(HOST, '--target-host', OTHER)
        self.admin_api.delete_server(gone['id'])
        self._wait_until_deleted(gone)

        result = self.openstack('host', 'undrain', '--restore', HOST,
                                '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        rows = {row['Name']: row for row in result.json()}
        # Nova dropped the deleted VM's migration records with it: it is
        # not an error, and not in the table.
        self.assertEqual(sorted(servers), sorted(rows))
        for name, (server, status) in servers.items():
            self.assertEqual('moved', rows[name]['Result'], name)
            self.assertEqual(OTHER, rows[name]['Source'], name)
            self.assertEqual(HOST, rows[name]['Destination'], name)
            nova = self.nova_server(server['id'])
            self.assertEqual(HOST, nova['OS-EXT-SRV-ATTR:host'], name)
            self.assertEqual(status, nova['status'], name)
            self.assertIsNone(nova['OS-EXT-STS:task_state'], name)
        self.assertEqual('cold-migrate', rows['stopped']['Action'])
        self.assertEqual('live-migrate', rows['active']['Action'])
        # Nothing else moved: four moves back, and the bystander stayed.
        self.assertEqual(4, len(self.moves_to(HOST)))
        self.assertEqual(THIRD, self.host_of(bystander))
        self.assertEqual('enabled', self.service(HOST)['status'])
        # A second run finds every VM back: nothing to do.
        self.assertEqual({}, self.restore('--since', self._drain_time()))
        self.assertEqual(4, len(self.moves_to(HOST)))

    def _drain_time(self):
        first = min(m['created_at'] for m in self.migrations())
        return (datetime.datetime.fromisoformat(first) -
                datetime.timedelta(seconds=1)).isoformat()

    def test_a_vm_moved_on_since_the_drain_stays_where_it_is(self):
        stays = self.create_active('stays', HOST)
        back = self.create_active('back', HOST)
        self.drain(HOST, '--target-host', OTHER)
        self.admin_api.post_server_action(stays['id'], {'os-migrateLive': {
            'host': THIRD, 'block_migration': 'auto'}})
        self._wait_for_server_parameter(
            stays, {'OS-EXT-SRV-ATTR:host': THIRD, 'status': 'ACTIVE'})

        rows = self.restore()

        self.assertEqual('skipped', rows['stays']['Result'])
        self.assertIn('moved on to %s' % THIRD, rows['stays']['Message'])
        self.assertEqual('moved', rows['back']['Result'])
        self.assertEqual(THIRD, self.host_of(stays))
        self.assertEqual(HOST, self.host_of(back))

    def test_a_vm_the_drain_offloaded_has_a_row_saying_it_stays(self):
        shelved = self.create_shelved('shelved', HOST)
        elsewhere = self.create_shelved('shelved-elsewhere', OTHER)
        self.api.post_server_action(elsewhere['id'], {'shelveOffload': None})
        self._wait_for_server_parameter(
            elsewhere, {'status': 'SHELVED_OFFLOADED'})
        back = self.create_active('back', HOST)
        self.assertEqual('moved', self.drain(HOST)['shelved']['Result'])

        rows = self.restore()

        self.assertEqual(['back', 'shelved'], sorted(rows))
        self.assertEqual('moved', rows['back']['Result'])
        self.assertEqual('skipped', rows['shelved']['Result'])
        self.assertIn('stays shelved until its owner unshelves it',
                      rows['shelved']['Message'])
        self.assertEqual(HOST, self.host_of(back))
        self.assertEqual('SHELVED_OFFLOADED',
                         self.nova_server(shelved['id'])['status'])

    def test_dry_run_changes_nothing_not_even_the_service(self):
        servers = [self.create_active('active', HOST),
                   self.create_shutoff('stopped', HOST)]
        self.drain(HOST, '--target-host', OTHER)
        before = [self.nova_server(s['id']) for s in servers]
        migrations = self.migrations()

        rows = self.restore('--dry-run')

        self.assertEqual({'planned'}, {r['Result'] for r in rows.values()})
        self.assertEqual({HOST}, {r['Destination'] for r in rows.values()})
        self.assertEqual('cold-migrate', rows['stopped']['Action'])
        self.assertNothingChanged(before)
        self.assertEqual(migrations, self.migrations())
        self.assertEqual('disabled', self.service(HOST)['status'])


class TestRestoreRefused(cases.RestoreTestCase):

    def test_a_host_enabled_by_hand_is_refused_unless_given_since(self):
        server = self.create_active('active', HOST)
        self.drain(HOST, '--target-host', OTHER)
        self.admin_api.put_service(self.service_id(HOST),
                                   {'status': 'enabled'})

        refused = self.openstack('host', 'undrain', '--restore', HOST)

        self.assertEqual(1, refused.exit_code, refused)
        self.assertIn('its service is enabled', refused.stderr)
        self.assertIn('--since', refused.stderr)
        self.assertEqual(OTHER, self.host_of(server))
        self.assertEqual([], self.moves_to(HOST))

        rows = self.restore('--since', self._before_the_drain())
        self.assertEqual('moved', rows['active']['Result'])
        self.assertEqual(HOST, self.host_of(server))

    def _before_the_drain(self):
        first = min(m['created_at'] for m in self.migrations())
        return first + 'Z'

    def test_no_room_on_the_host_after_maintenance_refuses_first(self):
        big = self.create_active('big', HOST)
        self.drain(HOST, '--target-host', OTHER)
        reason = self.service(HOST)['disabled_reason']
        self.leave_free(HOST, 'MEMORY_MB', 0)

        refused = self.openstack('host', 'undrain', '--restore', HOST)

        self.assertEqual(1, refused.exit_code, refused)
        self.assertIn('big (%s)' % big['id'], refused.stderr)
        self.assertIn('nothing was changed', refused.stderr)
        self.assertEqual(OTHER, self.host_of(big))
        self.assertEqual('disabled', self.service(HOST)['status'])
        self.assertEqual(reason, self.service(HOST)['disabled_reason'])

    def test_restore_options_without_restore_are_a_usage_error(self):
        self.drain(HOST)
        result = self.openstack('host', 'undrain', HOST, '--timeout', '5')
        self.assertEqual(2, result.exit_code, result)
        self.assertIn('--timeout only applies with --restore', result.stderr)
        self.assertEqual('disabled', self.service(HOST)['status'])


class TestInterruptedRestore(cases.RestoreTestCase):

    def test_ctrl_c_leaves_vms_usable_and_running_again_finishes(self):
        servers = [self.create_active('active-%d' % i, HOST)
                   for i in range(2)] + [self.create_shutoff('off', HOST)]
        self.drain(HOST, '--target-host', OTHER)
        reason = self.service(HOST)['disabled_reason']

        with self.live_migration_held(OTHER):
            with self.ctrl_c_on_wait():
                first = self.openstack('host', 'undrain', '--restore', HOST,
                                       '-f', 'json')
            self.assertEqual(130, first.exit_code, first)
            self.assertEqual(3, len(first.json()))
            self.assertIn('in-progress',
                          [r['Result'] for r in first.json()])
            self.assertIn('host undrain --restore %s --since' % HOST,
                          first.stderr)
            # Back as the drain left it, so that the record is still there.
            self.assertEqual('disabled', self.service(HOST)['status'])
            self.assertEqual(reason, self.service(HOST)['disabled_reason'])
            for server in servers:
                self.assertIn(self.nova_server(server['id'])['status'],
                              ('ACTIVE', 'SHUTOFF', 'MIGRATING',
                               'RESIZE', 'VERIFY_RESIZE'))

        self.restore()

        for server in servers:
            nova = self.nova_server(server['id'])
            self.assertEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
            self.assertIsNone(nova['OS-EXT-STS:task_state'])
        self.assertEqual('enabled', self.service(HOST)['status'])
        self.assertEqual(3, len(self.moves_to(HOST)))
