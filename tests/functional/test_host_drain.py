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

"""`openstack host drain` and `host undrain` against a real Nova."""

import fixtures

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS


class TestHostDrain(cases.DrainTestCase):

    def test_every_state_in_two_projects_emptied_states_preserved(self):
        b = self.project_b_api
        servers = {
            'active-a': (self.create_active('active-a', HOST), 'ACTIVE'),
            'active-b': (self.create_active('active-b', HOST, api=b),
                         'ACTIVE'),
            'paused-b': (self.create_paused('paused-b', HOST, api=b),
                         'PAUSED'),
            'shutoff-a': (self.create_shutoff('shutoff-a', HOST), 'SHUTOFF'),
            'shutoff-b': (self.create_shutoff('shutoff-b', HOST, api=b),
                          'SHUTOFF'),
            'resized': (self.create_verify_resize('resized', HOST),
                        'ACTIVE'),
            'failed-move': (self.create_failed_migration('failed-move',
                                                         HOST), 'ACTIVE'),
        }
        shelved = self.create_shelved('shelved', HOST)

        result = self.openstack('host', 'drain', 'cld-nl-01', '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        rows = {row['Name']: row for row in result.json()}
        self.assertEqual(sorted(list(servers) + ['shelved']), sorted(rows))
        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        self.assertEqual([], self.nova_servers_on(HOST))
        for name, (server, status) in servers.items():
            nova = self.nova_server(server['id'])
            self.assertEqual(status, nova['status'], name)
            self.assertIn(nova['OS-EXT-SRV-ATTR:host'], (OTHER, THIRD), name)
            self.assertIsNone(nova['OS-EXT-STS:task_state'], name)
        self.assertEqual('SHELVED_OFFLOADED',
                         self.nova_server(shelved['id'])['status'])
        service = self.service(HOST)
        self.assertEqual('disabled', service['status'])
        self.assertTrue(service['disabled_reason'].startswith(
            'migrationhelper: drained by '))
        # Placement agrees the host is empty.
        usages = self._get_provider_usages(
            self._get_provider_uuid_by_host(HOST))
        self.assertEqual({'VCPU': 0, 'MEMORY_MB': 0, 'DISK_GB': 0}, usages)
        # Progress went to stderr, one line per event.
        self.assertIn('live-migrating', result.stderr)

    def test_suspended_vm_is_reported_with_its_owner_exit_3(self):
        suspended = self.create_suspended('suspended', HOST,
                                          api=self.project_b_api)
        active = self.create_active('active', HOST)

        rows = self.drain(HOST, expect=3)

        self.assertEqual('skipped', rows['suspended']['Result'])
        self.assertIn('project %s, user alice' % base.PROJECT_B,
                      rows['suspended']['Message'])
        self.assertEqual('moved', rows['active']['Result'])
        self.assertEqual([suspended['id']],
                         [s['id'] for s in self.nova_servers_on(HOST)])
        self.assertNotEqual(HOST, self.nova_server(active['id'])[
            'OS-EXT-SRV-ATTR:host'])
        # The node is going into maintenance: it stays closed.
        self.assertEqual('disabled', self.service(HOST)['status'])

    def test_dry_run_changes_nothing_not_even_the_service(self):
        servers = [self.create_active('active', HOST),
                   self.create_shutoff('shutoff', HOST)]
        before = [self.nova_server(s['id']) for s in servers]

        rows = self.drain(HOST, '--dry-run')

        self.assertEqual({'planned'}, {r['Result'] for r in rows.values()})
        self.assertEqual('cold-migrate', rows['shutoff']['Action'])
        self.assertNothingChanged(before)
        self.assertEqual('enabled', self.service(HOST)['status'])
        self.assertEqual([], self.migrations())

    def test_the_last_host_left_is_refused_alike_with_and_without_dry_run(
            self):
        servers = [self.create_active('vm-%d' % i, HOST) for i in range(3)]
        before = [self.nova_server(s['id']) for s in servers]
        for host in (OTHER, THIRD):
            self.admin_api.put_service(self.service_id(host), {
                'status': 'disabled', 'disabled_reason': 'maintenance'})

        results = [self.openstack('host', 'drain', HOST, *dry_run)
                   for dry_run in (('--dry-run',), ())]

        for result in results:
            self.assertEqual(1, result.exit_code, result)
            self.assertEqual('', result.stdout)
            # The reason once, every VM under it, the hosts and why not.
            self.assertEqual(1, result.stderr.count('no other host can '
                                                    'take VMs'), result)
            for server in servers:
                self.assertIn('    %s (%s)' % (server['name'], server['id']),
                              result.stderr)
            self.assertIn('No host may take them. Not considered: %s '
                          '(being emptied), %s (disabled), %s (disabled).'
                          % (HOST, OTHER, THIRD), result.stderr)
            self.assertNotIn('host(s)', result.stderr)
        # Word for word, but for the real run's note on its credentials.
        self.assertEqual(results[0].stderr, ''.join(
            line for line in results[1].stderr.splitlines(True)
            if not line.startswith('WARNING: The credentials')))
        self.assertNothingChanged(before)
        self.assertEqual('enabled', self.service(HOST)['status'])

    def test_same_version_keeps_vms_on_hosts_of_their_hypervisor(self):
        # OTHER's hypervisor is upgraded: a drain with --same-version sends
        # nothing there, even where it has the most room.
        driver = self.computes[OTHER].manager.driver
        real = driver.get_available_resource

        def upgraded(nodename):
            resources = real(nodename)
            resources['hypervisor_version'] = 2000000
            return resources
        self.useFixture(fixtures.MockPatchObject(
            driver, 'get_available_resource', upgraded))
        self._run_periodics()
        self.assertEqual({HOST: 1000, OTHER: 2000000, THIRD: 1000}, {
            h['service']['host']: h['hypervisor_version']
            for h in self.admin_api.api_get(
                '/os-hypervisors/detail').body['hypervisors']})
        self.leave_free(THIRD, 'MEMORY_MB', 2048)
        servers = [self.create_active('vm-%d' % i, HOST) for i in range(2)]

        rows = self.drain(HOST, '--same-version')

        self.assertEqual({THIRD}, {r['Destination'] for r in rows.values()})
        for server in servers:
            self.assertEqual(THIRD, self.nova_server(server['id'])[
                'OS-EXT-SRV-ATTR:host'])

    def test_second_run_is_a_no_op(self):
        self.create_active('active', HOST)
        first = self.openstack('host', 'drain', HOST, '-f', 'json')
        self.assertIn('%s: service disabled; 1 VM moved, 0 left; placement '
                      'holds nothing there; empty: maintain it, then run '
                      'openstack host undrain --restore %s\n' % (HOST, HOST),
                      first.stderr)
        service = self.service(HOST)
        migrations = self.migrations()

        result = self.openstack('host', 'drain', HOST, '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertEqual([], result.json())
        self.assertIn('%s: nothing to move; service disabled; placement '
                      'holds nothing there' % HOST, result.stderr)
        vms = self.openstack('host', 'vms', HOST)
        self.assertEqual('No VM on %s.\n' % HOST, vms.stderr)
        # The service was left as it was (its heartbeat time moves on).
        after = self.service(HOST)
        for key in ('status', 'disabled_reason', 'forced_down'):
            self.assertEqual(service[key], after[key], key)
        self.assertEqual(migrations, self.migrations())

    def test_capacity_refusal_changes_nothing(self):
        servers = [self.create_active('vm-%d' % i, HOST) for i in range(3)]
        before = [self.nova_server(s['id']) for s in servers]
        # Leave 512 MB usable on each other host: 1 of the 3 VMs fits
        # on each, so 512 MB are missing.
        for host in (OTHER, THIRD):
            self.leave_free(host, 'MEMORY_MB', 512)

        result = self.openstack('host', 'drain', HOST)

        self.assertEqual(1, result.exit_code, result)
        self.assertIn('MEMORY_MB is short by 512', result.stderr)
        self.assertIn('nothing was changed', result.stderr)
        # The one VM left over is named, with why.
        self.assertIn('lacks 512 MB of RAM once the VMs placed before it '
                      'are there', result.stderr)
        self.assertEqual('', result.stdout)
        self.assertNothingChanged(before)
        self.assertEqual('enabled', self.service(HOST)['status'])
        self.assertEqual([], self.migrations())

        # The operator may insist: what can move moves, the VM with
        # nowhere to go is never attempted.
        rows = self.drain(HOST, '--skip-capacity-check', expect=3)
        self.assertEqual(['moved', 'moved', 'skipped'],
                         sorted(r['Result'] for r in rows.values()))
        self.assertEqual(2, len(self.migrations()))
        self.assertEqual({'completed'},
                         {m['status'] for m in self.migrations()})

    def test_two_hosts_drained_together_never_swap_vms(self):
        on_first = [self.create_active('first-%d' % i, HOST)
                    for i in range(2)] + [self.create_shutoff('first-off',
                                                              HOST)]
        on_second = [self.create_active('second-%d' % i, OTHER)
                     for i in range(2)]

        rows = self.drain('cld-nl-01', 'cld-nl-02')

        self.assertEqual(5, len(rows))
        for server in on_first + on_second:
            self.assertEqual(THIRD, self.nova_server(server['id'])[
                'OS-EXT-SRV-ATTR:host'])
        # No move ever went to a host being drained.
        self.assertEqual({THIRD}, {m['dest_compute']
                                   for m in self.migrations()})
        self.assertEqual('disabled', self.service(HOST)['status'])
        self.assertEqual('disabled', self.service(OTHER)['status'])

    def test_forced_down_host_is_evacuated_power_restored(self):
        running = self.create_active('running', HOST)
        stopped = self.create_shutoff('stopped', HOST)
        self.mark_host_down(HOST, forced=True)

        rows = self.drain(HOST)

        self.assertEqual('evacuate', rows['running']['Action'])
        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        self.assertEqual('ACTIVE', self.nova_server(running['id'])['status'])
        self.assertEqual('SHUTOFF',
                         self.nova_server(stopped['id'])['status'])
        self.assertEqual([], self.nova_servers_on(HOST))

    def test_unknown_host_among_good_ones_changes_nothing(self):
        server = self.create_active('active', HOST)
        before = [self.nova_server(server['id'])]

        result = self.openstack('host', 'drain', HOST, 'cld-nl-99')

        self.assertEqual(1, result.exit_code, result)
        self.assertIn('No compute host named cld-nl-99.', result.stderr)
        self.assertNothingChanged(before)
        self.assertEqual('enabled', self.service(HOST)['status'])

    def test_target_host_being_drained_is_refused(self):
        self.create_active('active', HOST)
        result = self.openstack('host', 'drain', HOST, OTHER,
                                '--target-host', OTHER)
        self.assertEqual(1, result.exit_code, result)
        self.assertIn('being drained', result.stderr)
        self.assertEqual('enabled', self.service(HOST)['status'])


class TestHostUndrain(cases.DrainTestCase):

    def test_undrain_enables_what_drain_disabled(self):
        self.drain(HOST)
        self.assertEqual('disabled', self.service(HOST)['status'])

        rows = self.openstack_json('host', 'undrain', 'cld-nl-01')

        self.assertEqual(1, len(rows))
        result = rows[0]
        self.assertEqual(HOST, result['Host'])
        self.assertEqual('enabled', result['Service Status'])
        self.assertTrue(result['Previous Disabled Reason'].startswith(
            'migrationhelper:'))
        self.assertEqual('enabled', self.service(HOST)['status'])

    def test_undrain_refuses_a_reason_that_is_not_ours_unless_forced(self):
        self.admin_api.put_service(self.service_id(HOST), {
            'status': 'disabled', 'disabled_reason': 'failed PSU'})

        result = self.openstack('host', 'undrain', HOST)
        self.assertEqual(1, result.exit_code, result)
        self.assertIn('failed PSU', result.stderr)
        self.assertEqual('disabled', self.service(HOST)['status'])

        dry = self.openstack('host', 'undrain', HOST, '--force',
                             '--dry-run')
        self.assertEqual(0, dry.exit_code, dry)
        self.assertIn('would be enabled', dry.stderr)
        self.assertEqual('disabled', self.service(HOST)['status'])

        self.openstack_json('host', 'undrain', HOST, '--force')
        self.assertEqual('enabled', self.service(HOST)['status'])

    def test_drain_keeps_an_operators_own_reason(self):
        self.create_active('active', HOST)
        self.admin_api.put_service(self.service_id(HOST), {
            'status': 'disabled', 'disabled_reason': 'failed PSU'})
        self.drain(HOST)
        self.assertEqual('failed PSU', self.service(HOST)['disabled_reason'])

    def test_custom_reason_is_still_recognisably_ours(self):
        self.drain(HOST, '--disable-reason', 'CHG-1234 kernel upgrade')
        # The Keystone user when the credentials name one; this cloud's
        # are bare tokens, so the local login.
        self.assertRegex(self.service(HOST)['disabled_reason'],
                         r'^migrationhelper: CHG-1234 kernel upgrade; '
                         r'drained by \S+ at \d{4}-\d\d-\d\dT\S+Z$')
        self.openstack_json('host', 'undrain', HOST)
        self.assertEqual('enabled', self.service(HOST)['status'])


class TestInterruptedDrain(cases.DrainTestCase):

    def test_interrupted_drain_is_resumed_without_moving_twice(self):
        servers = [self.create_active('active-%d' % i, HOST)
                   for i in range(2)] + [self.create_shutoff('off', HOST)]
        with self.live_migration_held(HOST):
            with self.ctrl_c_on_wait():
                first = self.openstack('host', 'drain', HOST, '-f', 'json')
            self.assertEqual(130, first.exit_code, first)
            rows = first.json()
            self.assertEqual(3, len(rows))
            self.assertIn('in-progress', [r['Result'] for r in rows])
            self.assertEqual('disabled', self.service(HOST)['status'])

        second = self.drain(HOST)

        self.assertEqual({'moved'}, {r['Result'] for r in second.values()})
        self.assertEqual([], self.nova_servers_on(HOST))
        for server in servers:
            nova = self.nova_server(server['id'])
            self.assertIsNone(nova['OS-EXT-STS:task_state'])
        # One move per VM: what was in flight was waited for, not redone.
        per_server = {}
        for migration in self.migrations():
            per_server.setdefault(migration['instance_uuid'], []).append(
                migration['status'])
        self.assertEqual(3, len(per_server))
        for statuses in per_server.values():
            self.assertEqual(1, len(statuses), per_server)
