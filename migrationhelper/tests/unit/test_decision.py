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

"""The decision table, row by row, without a cloud."""

import testtools

from migrationhelper.planning import decision as d

UP = d.HostFacts(is_up=True)
DEAD_FENCED = d.HostFacts(is_up=False, forced_down=True)
DEAD_UNFENCED = d.HostFacts(is_up=False, forced_down=False)
OWNER = dict(project_id='proj-a', user_id='alice')


def facts(status, **kwargs):
    values = dict(OWNER, power_state=d.RUNNING)
    values.update(kwargs)
    return d.ServerFacts(status=status, **values)


class TestDecideOnLiveHost(testtools.TestCase):

    def test_active_is_live_migrated(self):
        self.assertEqual(d.Decision(d.LIVE_MIGRATE, ''),
                         d.decide(facts('ACTIVE'), UP))

    def test_paused_is_live_migrated_and_stays_paused(self):
        result = d.decide(facts('PAUSED', power_state=3), UP)
        self.assertEqual(d.LIVE_MIGRATE, result.action)
        self.assertIn('stays paused', result.reason)

    def test_shutoff_is_cold_migrated(self):
        self.assertEqual(
            d.Decision(d.COLD_MIGRATE, ''),
            d.decide(facts('SHUTOFF', power_state=4), UP))

    def test_verify_resize_running_is_confirmed_then_live_migrated(self):
        self.assertEqual(d.CONFIRM_THEN_LIVE_MIGRATE,
                         d.decide(facts('VERIFY_RESIZE'), UP).action)

    def test_verify_resize_stopped_is_confirmed_then_cold_migrated(self):
        self.assertEqual(
            d.CONFIRM_THEN_COLD_MIGRATE,
            d.decide(facts('VERIFY_RESIZE', power_state=4), UP).action)

    def test_error_after_failed_migration_is_reset_then_moved(self):
        why = 'migration 42 from cld-nl-01 ended error'
        self.assertEqual(
            d.Decision(d.RESET_THEN_LIVE_MIGRATE, why),
            d.decide(facts('ERROR', failed_migration=why), UP))
        self.assertEqual(
            d.Decision(d.RESET_THEN_COLD_MIGRATE, why),
            d.decide(facts('ERROR', power_state=4, failed_migration=why),
                     UP))

    def test_other_error_is_skipped_with_fault_and_owner(self):
        result = d.decide(facts('ERROR', fault='disk on fire'), UP)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('disk on fire', result.reason)
        self.assertIn('proj-a', result.reason)
        self.assertIn('alice', result.reason)

    def test_error_without_fault_says_so(self):
        result = d.decide(facts('ERROR'), UP)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('no fault recorded', result.reason)

    def test_task_in_progress_is_waited_for(self):
        for status, task in (('ACTIVE', 'migrating'),
                             ('MIGRATING', 'migrating'),
                             ('BUILD', 'spawning'),
                             ('RESIZE', 'resize_migrating'),
                             ('SHUTOFF', 'powering-on')):
            result = d.decide(facts(status, task_state=task), UP)
            self.assertEqual(d.Decision(d.WAIT, 'task in progress: ' + task),
                             result, status)

    def test_busy_status_without_task_state_is_waited_for(self):
        self.assertEqual(d.WAIT, d.decide(facts('MIGRATING'), UP).action)

    def test_suspended_and_rescued_are_skipped_naming_the_owner(self):
        for status, hint in (('SUSPENDED', 'resumed'),
                             ('RESCUE', 'unrescued')):
            result = d.decide(facts(status), UP)
            self.assertEqual(d.SKIP, result.action)
            self.assertIn(hint, result.reason)
            self.assertIn('owner: project proj-a, user alice', result.reason)

    def test_shelved_is_offloaded(self):
        self.assertEqual(d.OFFLOAD,
                         d.decide(facts('SHELVED', power_state=4), UP).action)

    def test_unknown_status_is_skipped(self):
        result = d.decide(facts('SOMETHING_NEW'), UP)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('SOMETHING_NEW', result.reason)

    def test_every_action_is_listed(self):
        self.assertEqual(10, len(set(d.ACTIONS)))


class TestDecideOnDeadHost(testtools.TestCase):

    def test_forced_down_host_is_evacuated(self):
        for status in ('ACTIVE', 'SHUTOFF', 'ERROR'):
            result = d.decide(facts(status), DEAD_FENCED)
            self.assertEqual(d.EVACUATE, result.action, status)

    def test_down_not_forced_down_is_skipped_asking_for_fencing(self):
        result = d.decide(facts('ACTIVE'), DEAD_UNFENCED)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('not forced down', result.reason)
        self.assertIn('--evacuate', result.reason)

    def test_down_not_forced_down_is_evacuated_when_confirmed(self):
        result = d.decide(facts('ACTIVE'), DEAD_UNFENCED, allow_evacuate=True)
        self.assertEqual(d.EVACUATE, result.action)

    def test_status_nova_cannot_evacuate_is_skipped(self):
        for status in ('PAUSED', 'SUSPENDED', 'SHELVED', 'VERIFY_RESIZE'):
            result = d.decide(facts(status), DEAD_FENCED)
            self.assertEqual(d.SKIP, result.action, status)
            self.assertIn('cannot be evacuated', result.reason)

    def test_task_on_dead_host_is_skipped(self):
        result = d.decide(facts('ACTIVE', task_state='migrating'),
                          DEAD_FENCED)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('migrating', result.reason)


class TestWhatCannotMoveLive(testtools.TestCase):
    """VMs live_moves judges unable to move live, or cut off while moving."""

    NO_LIVE = dict(no_live_move='vTPM: Nova moves vTPM VMs live from '
                                '2026.1 on only')
    CUT = dict(live_interrupts='port(s) p1 (direct) are unplugged')

    def test_skipped_without_consent_naming_why_and_the_option(self):
        result = d.decide(facts('ACTIVE', **self.NO_LIVE), UP)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('vTPM', result.reason)
        self.assertIn('--allow-downtime moves it cold', result.reason)
        self.assertIn('proj-a', result.reason)
        result = d.decide(facts('ACTIVE', **self.CUT), UP)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('network cut', result.reason)

    def test_moved_cold_with_consent(self):
        for status, live, cold in (
                ('ACTIVE', d.LIVE_MIGRATE, d.COLD_MIGRATE),
                ('VERIFY_RESIZE', d.CONFIRM_THEN_LIVE_MIGRATE,
                 d.CONFIRM_THEN_COLD_MIGRATE)):
            result = d.decide(facts(status, **self.NO_LIVE), UP,
                              allow_downtime=True)
            self.assertEqual(cold, result.action, status)
            self.assertIn('moved cold', result.reason)
            self.assertTrue(result.downtime)
        result = d.decide(facts('ERROR', failed_migration='live failed',
                                **self.NO_LIVE), UP, allow_downtime=True)
        self.assertEqual(d.RESET_THEN_COLD_MIGRATE, result.action)

    def test_network_cut_moves_live_with_consent(self):
        result = d.decide(facts('ACTIVE', **self.CUT), UP,
                          allow_downtime=True)
        self.assertEqual(d.LIVE_MIGRATE, result.action)
        self.assertIn('unplugged', result.reason)
        self.assertTrue(result.downtime)

    def test_paused_cannot_move_cold(self):
        result = d.decide(facts('PAUSED', power_state=3, **self.NO_LIVE),
                          UP, allow_downtime=True)
        self.assertEqual(d.SKIP, result.action)
        self.assertIn('unpause', result.reason)

    def test_stopped_vms_move_cold_as_ever(self):
        result = d.decide(facts('SHUTOFF', power_state=4, **self.NO_LIVE),
                          UP)
        self.assertEqual(d.Decision(d.COLD_MIGRATE), result)

    def test_dead_host_evacuates_whatever_the_devices(self):
        result = d.decide(facts('ACTIVE', **self.NO_LIVE), DEAD_FENCED)
        self.assertEqual(d.EVACUATE, result.action)


class TestTheGuestsPowerState(testtools.TestCase):
    """An ERROR VM is reset only when its guest can end as it was."""

    WHY = 'live-migration failed in conductor_live_migrate_instance'

    def error_with_guest(self, power_state):
        return d.decide(facts('ERROR', power_state=power_state,
                              failed_migration=self.WHY), UP)

    def test_a_running_guest_is_reset_and_moved_live(self):
        self.assertEqual(d.RESET_THEN_LIVE_MIGRATE,
                         self.error_with_guest(d.RUNNING).action)

    def test_a_shut_down_guest_is_reset_and_moved_cold(self):
        self.assertEqual(d.RESET_THEN_COLD_MIGRATE,
                         self.error_with_guest(d.SHUTDOWN).action)

    def test_paused_and_suspended_guests_are_never_reset(self):
        for power_state, word in ((d.PAUSED, 'paused'),
                                  (d.SUSPENDED, 'suspended')):
            decided = self.error_with_guest(power_state)
            self.assertEqual(d.SKIP, decided.action)
            self.assertIn(self.WHY + ', not reset', decided.reason)
            self.assertIn('its guest is %s' % word, decided.reason)
            self.assertIn('openstack server set --state active',
                          decided.reason)
            self.assertIn('owner: project proj-a', decided.reason)

    def test_nostate_and_crashed_guests_are_not_guessed_at(self):
        for power_state, name in ((d.NOSTATE, 'NOSTATE'),
                                  (d.CRASHED, 'Crashed'), (None, 'None')):
            decided = self.error_with_guest(power_state)
            self.assertEqual(d.SKIP, decided.action)
            self.assertIn('power state is %s' % name, decided.reason)
            self.assertIn('not guessed at', decided.reason)

    def test_the_status_to_keep_follows_the_guest(self):
        self.assertEqual('PAUSED', d.status_to_keep('PAUSED', d.PAUSED))
        self.assertEqual('PAUSED', d.status_to_keep('ERROR', d.PAUSED))
        self.assertEqual('SUSPENDED', d.status_to_keep('ERROR', d.SUSPENDED))
        self.assertEqual('SHUTOFF',
                         d.status_to_keep('VERIFY_RESIZE', d.SHUTDOWN))
        self.assertEqual('ACTIVE', d.status_to_keep('ERROR', d.RUNNING))
        self.assertIsNone(d.status_to_keep('ERROR', d.NOSTATE))


class TestWhatNovaRefusesToMove(testtools.TestCase):

    def test_a_vm_nova_cannot_migrate_is_skipped_without_suggesting_downtime(
            self):
        why = 'Cyborg accelerators (fpga-1): Nova does not move them live'
        for status, power in (('ACTIVE', d.RUNNING), ('SHUTOFF', d.SHUTDOWN)):
            decided = d.decide(facts(status, power_state=power,
                                     no_live_move=why, no_move=why),
                               UP, allow_downtime=True)
            self.assertEqual(d.SKIP, decided.action)
            self.assertIn('cannot be migrated: ' + why, decided.reason)
            self.assertNotIn('--allow-downtime', decided.reason)

    def test_a_vm_nova_does_not_evacuate_is_skipped_on_a_dead_host(self):
        decided = d.decide(facts('ACTIVE', no_evacuation='vTPM: Nova never '
                                 'evacuates vTPM VMs'), DEAD_FENCED)
        self.assertEqual(d.SKIP, decided.action)
        self.assertIn('cannot be evacuated: vTPM', decided.reason)
        self.assertEqual(d.EVACUATE,
                         d.decide(facts('ACTIVE'), DEAD_FENCED).action)
