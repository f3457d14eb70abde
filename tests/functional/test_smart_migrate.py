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

"""`openstack server smart-migrate` against a real Nova."""

import threading
from unittest import mock

from nova.conductor import manager as conductor_manager

from migrationhelper.moving.tasks import recheck
from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS


class SmartMigrateTestCase(cases.MovingTestCase):

    def smart_migrate(self, *args, expect=0):
        return self.moving_rows('server', 'smart-migrate', *args,
                                expect=expect)

    def assertMovedOff(self, server, source, status):
        """Nova shows the server elsewhere, idle, in ``status``."""
        nova = self.nova_server(server['id'])
        self.assertNotEqual(source, nova['OS-EXT-SRV-ATTR:host'],
                            nova['name'])
        self.assertIsNotNone(nova['OS-EXT-SRV-ATTR:host'], nova['name'])
        self.assertIsNone(nova['OS-EXT-STS:task_state'], nova['name'])
        self.assertEqual(status, nova['status'], nova['name'])
        return nova

    def assertStillOn(self, server, host, status):
        nova = self.nova_server(server['id'])
        self.assertEqual(host, nova['OS-EXT-SRV-ATTR:host'], nova['name'])
        self.assertEqual(status, nova['status'], nova['name'])
        self.assertIsNone(nova['OS-EXT-STS:task_state'], nova['name'])
        return nova

    def migration_statuses(self, server):
        migrations = self.admin_api.api_get(
            '/os-migrations?instance_uuid=%s' % server['id']).body
        return sorted(m['status'] for m in migrations['migrations'])


class TestSmartMigrateStates(SmartMigrateTestCase):

    def test_every_movable_state_moves_and_keeps_its_state(self):
        b = self.project_b_api
        active = self.create_active('active', HOST)
        paused = self.create_paused('paused', HOST, api=b)
        shutoff = self.create_shutoff('shutoff', HOST)
        resized = self.create_verify_resize('resized', HOST)
        failed = self.create_failed_migration('failed-move', HOST)
        shelved = self.create_shelved('shelved', HOST)
        names = ['active', 'paused', 'shutoff', 'resized', 'failed-move',
                 'shelved']

        rows = self.smart_migrate(*names)

        self.assertEqual({n: 'moved' for n in names},
                         {n: rows[n]['Result'] for n in names})
        self.assertEqual('live-migrate', rows['active']['Action'])
        self.assertEqual('cold-migrate', rows['shutoff']['Action'])
        self.assertEqual('confirm-resize+live-migrate',
                         rows['resized']['Action'])
        self.assertEqual('reset-state+live-migrate',
                         rows['failed-move']['Action'])
        self.assertEqual('offload', rows['shelved']['Action'])
        for name in names:
            self.assertEqual(HOST, rows[name]['Source'])
            self.assertIsInstance(rows[name]['Duration'], float)

        nova = self.assertMovedOff(active, HOST, 'ACTIVE')
        self.assertEqual(nova['OS-EXT-SRV-ATTR:host'],
                         rows['active']['Destination'])
        self.assertEqual(['completed'], self.migration_statuses(active))
        self.assertMovedOff(paused, HOST, 'PAUSED')
        self.assertMovedOff(shutoff, HOST, 'SHUTOFF')
        self.assertEqual(['confirmed'], self.migration_statuses(shutoff))
        # The resize was confirmed, then the VM moved on live.
        self.assertMovedOff(resized, HOST, 'ACTIVE')
        self.assertEqual(['completed', 'confirmed'],
                         self.migration_statuses(resized))
        self.assertMovedOff(failed, HOST, 'ACTIVE')
        self.assertIn('state reset to active', rows['failed-move']['Message'])
        nova = self.nova_server(shelved['id'])
        self.assertEqual('SHELVED_OFFLOADED', nova['status'])
        self.assertIsNone(nova['OS-EXT-SRV-ATTR:host'])

    def test_suspended_is_skipped_naming_its_owner(self):
        suspended = self.create_suspended(
            'suspended', HOST, api=self.project_b_api)
        active = self.create_active('active', HOST)

        rows = self.smart_migrate('suspended', 'active', expect=3)

        self.assertEqual('skipped', rows['suspended']['Result'])
        self.assertIn('project %s, user alice' % base.PROJECT_B,
                      rows['suspended']['Message'])
        self.assertStillOn(suspended, HOST, 'SUSPENDED')
        self.assertEqual('moved', rows['active']['Result'])
        self.assertMovedOff(active, HOST, 'ACTIVE')

    def test_move_already_under_way_is_waited_for(self):
        server = self.create_active('moving', HOST)
        with self.live_migration_held(HOST) as release:
            self.admin_api.post_server_action(server['id'], {
                'os-migrateLive': {'host': THIRD, 'block_migration': 'auto'}})
            self._wait_for_server_parameter(
                server, {'OS-EXT-STS:task_state': 'migrating'})
            threading.Timer(1.0, release.set).start()
            rows = self.smart_migrate(server['id'])
        self.assertEqual('wait', rows['moving']['Action'])
        self.assertEqual('moved', rows['moving']['Result'])
        self.assertIn('moved by another request', rows['moving']['Message'])
        nova = self.assertMovedOff(server, HOST, 'ACTIVE')
        # The move under way took it; none of ours was added.
        self.assertEqual(THIRD, nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(['completed'], self.migration_statuses(server))

    def conductor_gives_up_leaving_task_migrating(self, server):
        """A live migration whose conductor failed without cleaning up.

        What a conductor that died mid-move leaves behind, with the one
        sign of it Nova keeps: the instance action's conductor event
        finished in error.
        """
        with mock.patch.object(conductor_manager.ComputeTaskManager,
                               '_live_migrate', side_effect=Exception(
                                   'injected: conductor failure')):
            self.admin_api.post_server_action(server['id'], {
                'os-migrateLive': {'host': None, 'block_migration': 'auto'}})
            self._wait_for_instance_action_event(
                server, 'live-migration', 'conductor_live_migrate_instance',
                'Error')
        self.assertEqual('migrating', self.nova_server(server['id'])[
            'OS-EXT-STS:task_state'])

    def test_stuck_in_migrating_is_reset_then_moved(self):
        server = self.create_active('stuck', HOST)
        self.conductor_gives_up_leaving_task_migrating(server)

        # Minutes in a real run; the conductor's word is what decides.
        with mock.patch.object(recheck, 'STUCK_GRACE', 2.0):
            rows = self.smart_migrate('stuck')

        self.assertEqual('moved', rows['stuck']['Result'])
        self.assertIn('stuck in task migrating: the conductor gave up',
                      rows['stuck']['Message'])
        self.assertMovedOff(server, HOST, 'ACTIVE')

    def test_stuck_without_the_conductors_word_is_never_reset(self):
        server = self.create_active('stuck', HOST)
        instance = self.nova_instance(server['id'])
        # No instance action says why: Nova may still run the move.
        instance.task_state = 'migrating'
        instance.save()

        with mock.patch.object(recheck, 'STUCK_GRACE', 2.0):
            rows = self.smart_migrate('stuck', '--timeout', '8', expect=3)

        self.assertEqual('in-progress', rows['stuck']['Result'])
        nova = self.nova_server(server['id'])
        self.assertEqual('migrating', nova['OS-EXT-STS:task_state'])
        self.assertEqual(HOST, nova['OS-EXT-SRV-ATTR:host'])
        self.assertEqual([], self.migration_statuses(server))


class TestSmartMigrateOptions(SmartMigrateTestCase):

    def test_target_host_by_short_name(self):
        active = self.create_active('active', HOST)
        shutoff = self.create_shutoff('shutoff', HOST)

        rows = self.smart_migrate('active', 'shutoff',
                                  '--target-host', 'cld-nl-03')

        self.assertEqual(THIRD, rows['active']['Destination'])
        self.assertEqual(THIRD, self.assertMovedOff(
            active, HOST, 'ACTIVE')['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(THIRD, self.assertMovedOff(
            shutoff, HOST, 'SHUTOFF')['OS-EXT-SRV-ATTR:host'])

    def test_target_equal_to_source_changes_nothing(self):
        active = self.create_active('active', HOST)
        other = self.create_active('other', OTHER)
        before = [self.nova_server(s['id']) for s in (active, other)]

        result = self.openstack('server', 'smart-migrate', 'active',
                                'other', '--target-host', HOST)

        self.assertEqual(1, result.exit_code, result)
        self.assertIn('Target host %s' % HOST, result.stderr)
        self.assertIn('active', result.stderr)
        self.assertEqual('', result.stdout)
        self.assertNothingChanged(before)
        self.assertEqual([], self.migration_statuses(active))
        self.assertEqual([], self.migration_statuses(other))

    def test_dry_run_plans_and_changes_nothing(self):
        servers = [self.create_active('active', HOST),
                   self.create_shutoff('shutoff', HOST),
                   self.create_verify_resize('resized', HOST)]
        before = [self.nova_server(s['id']) for s in servers]

        rows = self.smart_migrate('active', 'shutoff', 'resized',
                                  '--dry-run', '--target-host', THIRD)

        self.assertEqual({'planned'}, {r['Result'] for r in rows.values()})
        self.assertEqual('confirm-resize+live-migrate',
                         rows['resized']['Action'])
        self.assertEqual(THIRD, rows['active']['Destination'])
        self.assertNothingChanged(before)
        self.assertEqual([], self.migration_statuses(servers[0]))
        self.assertEqual(['finished'], self.migration_statuses(servers[2]))

    def test_unknown_server_among_good_ones_changes_nothing(self):
        active = self.create_active('active', HOST)
        before = [self.nova_server(active['id'])]

        result = self.openstack('server', 'smart-migrate', 'active',
                                'no-such-vm', 'nor-this-one')

        self.assertEqual(1, result.exit_code, result)
        self.assertIn('no-such-vm, nor-this-one', result.stderr)
        self.assertNotIn('Traceback', result.stderr)
        self.assertNothingChanged(before)
        self.assertEqual([], self.migration_statuses(active))

    def test_json_on_stdout_and_progress_on_stderr(self):
        self.create_active('active', HOST)
        result = self.openstack('server', 'smart-migrate', 'active',
                                '-f', 'json')
        self.assertEqual(0, result.exit_code, result)
        self.assertEqual('moved', result.json()[0]['Result'])
        self.assertIn('active', result.stderr)
        self.assertIn('live-migrating', result.stderr)

    def test_usage_errors_exit_2(self):
        self.create_active('active', HOST)
        for bad in (['--max-parallel', '0'], ['--max-parallel', 'x'],
                    ['--timeout', '-5'], ['--retries', '-1'],
                    ['--on-timeout', 'explode']):
            result = self.openstack('server', 'smart-migrate', 'active',
                                    *bad)
            self.assertEqual(2, result.exit_code, result)


class TestSmartMigrateFailures(SmartMigrateTestCase):

    def test_failed_attempt_is_retried_and_moved(self):
        server = self.create_active('flaky', HOST)
        with self.live_migration_fails(HOST, times=1):
            rows = self.smart_migrate('flaky')
        self.assertEqual('moved', rows['flaky']['Result'])
        self.assertIn('attempt 1 failed', rows['flaky']['Message'])
        self.assertMovedOff(server, HOST, 'ACTIVE')
        self.assertEqual(['completed', 'failed'],
                         self.migration_statuses(server))

    def test_failed_attempt_without_retries_is_reported(self):
        server = self.create_active('flaky', HOST)
        with self.live_migration_fails(HOST, times=1):
            rows = self.smart_migrate('flaky', '--retries', '0', expect=3)
        self.assertEqual('failed', rows['flaky']['Result'])
        self.assertIn('still on %s' % HOST, rows['flaky']['Message'])
        self.assertIn('ended failed', rows['flaky']['Message'])
        self.assertStillOn(server, HOST, 'ACTIVE')
        self.assertEqual(['failed'], self.migration_statuses(server))

    def test_nowhere_to_go_is_refused_before_it_is_touched(self):
        server = self.create_active('nowhere', HOST)
        for host in (OTHER, THIRD):
            self.admin_api.put_service(self.service_id(host),
                                       {'status': 'disabled'})
        result = self.openstack('server', 'smart-migrate', 'nowhere')
        self.assertEqual(1, result.exit_code, result)
        self.assertIn('nowhere (%s): no other host can take VMs'
                      % server['id'], result.stderr)
        self.assertStillOn(server, HOST, 'ACTIVE')
        self.assertEqual([], self.migration_statuses(server))

    def test_no_valid_host_says_what_to_check(self):
        server = self.create_active('nowhere', HOST)
        with self.scheduler_refuses(times=1):
            rows = self.smart_migrate('nowhere', '--retries', '0', expect=3)
        self.assertEqual('failed', rows['nowhere']['Result'])
        self.assertIn('capacity', rows['nowhere']['Message'])
        self.assertStillOn(server, HOST, 'ACTIVE')

    def test_plans_host_refused_then_the_scheduler_chooses(self):
        server = self.create_active('picky', HOST)
        with self.scheduler_refuses(times=1):
            rows = self.smart_migrate('picky')
        self.assertEqual("moved", rows["picky"]["Result"], rows)
        self.assertIn('attempt 1 failed', rows['picky']['Message'], rows)
        self.assertMovedOff(server, HOST, 'ACTIVE')
        self.assertEqual(['completed', 'error'],
                         self.migration_statuses(server))

    def test_evacuation_of_running_and_stopped_vms(self):
        running = self.create_active('running', HOST)
        stopped = self.create_shutoff('stopped', HOST)
        self.mark_host_down(HOST, forced=True)

        rows = self.smart_migrate('running', 'stopped')

        self.assertEqual('evacuate', rows['running']['Action'])
        self.assertEqual('moved', rows['running']['Result'])
        self.assertEqual('moved', rows['stopped']['Result'])
        # Evacuated VMs get back the power state they had.
        self.assertMovedOff(running, HOST, 'ACTIVE')
        self.assertMovedOff(stopped, HOST, 'SHUTOFF')
        self.assertEqual(['done'], self.migration_statuses(running))

    def test_down_host_not_forced_down_needs_evacuate_flag(self):
        running = self.create_active('running', HOST)
        self.mark_host_down(HOST)

        rows = self.smart_migrate('running', expect=3)
        self.assertEqual('skipped', rows['running']['Result'])
        self.assertStillOn(running, HOST, 'ACTIVE')

        rows = self.smart_migrate('running', '--evacuate')
        self.assertEqual('moved', rows['running']['Result'])
        self.assertMovedOff(running, HOST, 'ACTIVE')


class TestSmartMigrateTimeouts(SmartMigrateTestCase):
    """Live migrations that last 5 s unless aborted or force-completed."""

    compute_driver = 'fake.FakeLiveMigrateDriver'

    def test_timeout_aborts_and_the_vm_stays_running_on_its_source(self):
        server = self.create_active('slow', HOST)
        rows = self.smart_migrate('slow', '--timeout', '1', expect=3)
        self.assertEqual('failed', rows['slow']['Result'])
        self.assertIn('aborted', rows['slow']['Message'])
        self.assertStillOn(server, HOST, 'ACTIVE')
        self.assertEqual(['cancelled'], self.migration_statuses(server))

    def test_timeout_force_completes(self):
        server = self.create_active('slow', HOST)
        rows = self.smart_migrate('slow', '--timeout', '1',
                                  '--on-timeout', 'force-complete')
        self.assertEqual('moved', rows['slow']['Result'])
        self.assertIn('forced to complete', rows['slow']['Message'])
        self.assertMovedOff(server, HOST, 'ACTIVE')
        self.assertEqual(['completed'], self.migration_statuses(server))

    def test_timeout_leave_reports_in_progress(self):
        server = self.create_active('slow', HOST)
        rows = self.smart_migrate('slow', '--timeout', '1',
                                  '--on-timeout', 'leave', expect=3)
        self.assertEqual('in-progress', rows['slow']['Result'])
        self._wait_for_server_parameter(
            server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None},
            max_retries=20)
        self.assertMovedOff(server, HOST, 'ACTIVE')
