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

"""The placement model on a cloud shaped like a real one.

Zones az-a (cld-nl-01, cld-nl-02) and az-b (cld-nl-03), server groups,
traits and uneven room: a drain that cannot finish is refused before
anything changes, and one that can goes where Nova accepts it.
"""

from nova.tests import fixtures as nova_fixtures

from tests.functional import base
from tests.functional import cases

HOST, OTHER, THIRD = base.HOSTS
SSD = 'CUSTOM_SSD'


class ShapedCloudTestCase(cases.DrainTestCase):

    def setUp(self):
        super().setUp()
        self.create_zone('az-a', (HOST, OTHER))
        self.create_zone('az-b', (THIRD,))

    def assertRefusedChangingNothing(self, result, servers):
        self.assertEqual(1, result.exit_code, result)
        self.assertIn('nothing was changed', result.stderr)
        self.assertEqual('', result.stdout)
        for server in servers:
            self.assertEqual(HOST, self.host_of(server), server['name'])
        self.assertEqual('enabled', self.service(HOST)['status'])
        self.assertEqual([], self.migrations())

    def refusal_line(self, server, reason):
        return '%s (%s): %s; owner: project %s' % (
            server['name'], server['id'], reason, base.PROJECT_A)

    def assertRefusedOnce(self, result, reason, servers):
        """One reason said once, then each VM it holds back."""
        self.assertEqual(1, result.stderr.count('  %s:\n' % reason),
                         result.stderr)
        for server in servers:
            self.assertIn('    %s (%s); owner: project %s' % (
                server['name'], server['id'], base.PROJECT_A),
                result.stderr)


class TestZones(ShapedCloudTestCase):

    def test_pinned_vms_with_their_zone_full_are_refused(self):
        pinned = [self.create_active('pinned-%d' % i, HOST, zone='az-a')
                  for i in range(2)]
        self.leave_free(OTHER, 'MEMORY_MB', 0)

        result = self.openstack('host', 'drain', HOST)

        self.assertRefusedChangingNothing(result, pinned)
        self.assertRefusedOnce(
            result, 'pinned to availability zone az-a: only %s lacks 512 MB '
            'of RAM qualifies' % OTHER, pinned)
        self.assertIn('Hosts that may take them: %s, %s. Not considered: %s '
                      '(being emptied).' % (OTHER, THIRD, HOST),
                      result.stderr)
        # host vms shows the same verdict.
        rows = {r['Name']: r for r in self.openstack_json('host', 'vms',
                                                          HOST)}
        self.assertEqual('skip', rows['pinned-0']['Action'])
        self.assertIn('pinned to availability zone az-a',
                      rows['pinned-0']['Reason'])

    def test_pinned_vm_stays_in_its_zone_unpinned_one_may_leave(self):
        pinned = self.create_active('pinned', HOST, zone='az-a')
        free = self.create_shutoff('free', HOST)
        # Room for one VM in az-a: the pinned one needs it.
        self.leave_free(OTHER, 'MEMORY_MB', 512)

        planned = self.drain(HOST, '--dry-run')
        self.assertEqual(OTHER, planned['pinned']['Destination'])
        self.assertEqual(THIRD, planned['free']['Destination'])

        rows = self.drain(HOST)

        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        self.assertEqual(OTHER, self.host_of(pinned))
        self.assertEqual(THIRD, self.host_of(free))
        self.assertEqual('ACTIVE', self.nova_server(pinned['id'])['status'])
        self.assertEqual('SHUTOFF', self.nova_server(free['id'])['status'])

    def test_two_hosts_of_a_zone_drained_together(self):
        pinned = self.create_active('pinned', HOST, zone='az-a')
        result = self.openstack('host', 'drain', HOST, OTHER)
        self.assertRefusedChangingNothing(result, [pinned])
        self.assertIn('pinned to availability zone az-a: no host that can '
                      'take VMs is in it', result.stderr)
        self.assertEqual('enabled', self.service(OTHER)['status'])

    def test_smart_migrate_target_outside_the_pinned_zone(self):
        pinned = self.create_active('pinned', HOST, zone='az-a')
        result = self.openstack('server', 'smart-migrate', 'pinned',
                                '--target-host', THIRD)
        self.assertRefusedChangingNothing(result, [pinned])
        self.assertIn('pinned to availability zone az-a', result.stderr)


class TestServerGroups(ShapedCloudTestCase):

    def test_anti_affinity_without_then_with_a_free_host(self):
        group = self.create_group('ha-web', 'anti-affinity')
        members = {host: self.create_active('web-%s' % host[:9], host,
                                            group=group)
                   for host in base.HOSTS}
        leaving = members[HOST]

        result = self.openstack('host', 'drain', HOST)

        self.assertRefusedChangingNothing(result, [leaving])
        self.assertIn(self.refusal_line(
            leaving, 'anti-affinity group ha-web: every host that can take '
            'it already holds 1 of its members'), result.stderr)

        # A host without a member takes it.
        self.admin_api.delete_server(members[THIRD]['id'])
        self._wait_until_deleted(members[THIRD])
        rows = self.drain(HOST)
        self.assertEqual('moved', rows[leaving['name']]['Result'])
        self.assertEqual(THIRD, self.host_of(leaving))

    def test_affinity_members_are_never_attempted(self):
        group = self.create_group('db-pair', 'affinity')
        pair = [self.create_active('db-%d' % i, HOST, group=group)
                for i in range(2)]
        loner = self.create_active('loner', HOST)
        reason = ('affinity group db-pair: Nova cannot move members of an '
                  'affinity group off their host')

        rows = {r['Name']: r for r in self.openstack_json('host', 'vms',
                                                          HOST)}
        self.assertEqual('skip', rows['db-0']['Action'])
        self.assertIn(reason, rows['db-0']['Reason'])
        self.assertEqual('live-migrate', rows['loner']['Action'])

        result = self.openstack('host', 'drain', HOST)
        self.assertRefusedChangingNothing(result, pair + [loner])
        self.assertRefusedOnce(result, reason, pair)

        # Forced: what can move moves; the pair is left, never attempted.
        rows = self.drain(HOST, '--skip-capacity-check', expect=3)
        self.assertEqual('moved', rows['loner']['Result'])
        for server in pair:
            self.assertEqual('skipped', rows[server['name']]['Result'])
            self.assertEqual(HOST, self.host_of(server))
        self.assertEqual([loner['id']],
                         [m['instance_uuid'] for m in self.migrations()])

    def test_soft_policies_never_restrict(self):
        group = self.create_group('soft-web', 'soft-anti-affinity')
        members = [self.create_active('soft-%d' % i, host, group=group)
                   for i, host in enumerate(base.HOSTS)]
        rows = self.drain(HOST)
        self.assertEqual('moved', rows['soft-0']['Result'])
        self.assertNotEqual(HOST, self.host_of(members[0]))


class TestTraitsAndRoom(ShapedCloudTestCase):

    def test_required_trait_goes_to_the_one_host_that_has_it(self):
        self.add_traits(HOST, SSD)
        self.add_traits(OTHER, SSD)
        flavor = self.create_flavor_with('ssd.small',
                                         {'trait:%s' % SSD: 'required'})
        ssd = self.create_active('ssd', HOST, flavor=flavor)
        self.leave_free(OTHER, 'MEMORY_MB', 0)

        result = self.openstack('host', 'drain', HOST)

        self.assertRefusedChangingNothing(result, [ssd])
        self.assertIn(self.refusal_line(
            ssd, 'needs trait %s: only %s lacks 512 MB of RAM qualifies'
            % (SSD, OTHER)), result.stderr)

        # With room on the SSD host it goes there, though cld-nl-03 has
        # more room.
        self.leave_free(OTHER, 'MEMORY_MB', 1024)
        rows = self.drain(HOST)
        self.assertEqual('moved', rows['ssd']['Result'])
        self.assertEqual(OTHER, self.host_of(ssd))

    def test_what_the_plan_cannot_check_is_said(self):
        flavor = self.create_flavor_with(
            'pinned.to.metadata',
            {'aggregate_instance_extra_specs:ssd': 'true'})
        self.create_active('picky', HOST, flavor=flavor)

        result = self.openstack('host', 'drain', HOST, '--dry-run',
                                '-f', 'json')

        self.assertEqual(0, result.exit_code, result)
        self.assertIn('WARNING: Flavor pinned.to.metadata sets '
                      'aggregate_instance_extra_specs:ssd (aggregate '
                      'metadata), which the plan cannot check', result.stderr)
        # Its host is left to the scheduler, and the VM is named.
        self.assertIn('cannot judge where picky', result.stderr)
        [row] = result.json()
        self.assertEqual('scheduler', row['Destination'])

    def test_volume_backed_vm_needs_no_disk_on_the_receiver(self):
        self.serve_block_storage()
        server = self.admin_api.post_server({'server': {
            'name': 'on-volume', 'flavorRef': base.FLAVOR_ID,
            'networks': 'none', 'host': HOST,
            'block_device_mapping_v2': [{
                'boot_index': 0, 'source_type': 'volume',
                'destination_type': 'volume',
                'uuid': nova_fixtures.CinderFixture.IMAGE_BACKED_VOL}]}})
        on_volume = self._wait_for_state_change(server, 'ACTIVE')
        on_disk = self.create_active('on-disk', HOST)
        for host in (OTHER, THIRD):
            self.leave_free(host, 'DISK_GB', 0)

        result = self.openstack('host', 'drain', HOST)

        self.assertRefusedChangingNothing(result, [on_volume, on_disk])
        self.assertIn(self.refusal_line(
            on_disk, 'no room: %s lacks 1 GB of disk, %s lacks 1 GB of disk'
            % (OTHER, THIRD)), result.stderr)
        self.assertNotIn('on-volume (', result.stderr)

        rows = self.drain(HOST, '--skip-capacity-check', expect=3)
        self.assertEqual('moved', rows['on-volume']['Result'])
        self.assertEqual('skipped', rows['on-disk']['Result'])
        self.assertNotEqual(HOST, self.host_of(on_volume))


class TestListingsOverSeveralPages(cases.DrainTestCase):
    """Nova's [api] max_limit at 4: every listing spans several pages."""

    def setUp(self):
        super().setUp()
        self.flags(max_limit=4, group='api')

    def test_a_group_on_the_second_page_is_respected(self):
        for i in range(5):
            self.create_group('other-%d' % i, 'anti-affinity')
        # The sixth group: listed on the second page.
        group = self.create_group('ha-web', 'anti-affinity')
        leaving = self.create_active('web-1', HOST, group=group)
        self.create_active('web-2', OTHER, group=group)
        # OTHER has the most free RAM: without the group, the model
        # would send web-1 there, and Nova would refuse it. THIRD's
        # servers span two pages too.
        for i in range(5):
            self.create_active('filler-%d' % i, THIRD)

        [planned] = self.openstack_json('host', 'drain', HOST, '--dry-run')
        self.assertEqual(THIRD, planned['Destination'])

        rows = self.drain(HOST)

        self.assertEqual('moved', rows['web-1']['Result'])
        self.assertEqual(THIRD, self.nova_server(leaving['id'])[
            'OS-EXT-SRV-ATTR:host'])

    def test_a_host_listed_over_several_pages_is_emptied(self):
        servers = [self.create_active('run-%d' % i, HOST) for i in range(3)]
        servers += [self.create_shutoff('off-%d' % i, HOST)
                    for i in range(3)]

        self.assertEqual(6, len(self.openstack_json('host', 'vms', HOST)))
        rows = self.drain(HOST)

        self.assertEqual(6, len(rows))
        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        self.assertEqual([], self.nova_servers_on(HOST))


class TestWhatTheModelCannotJudge(cases.DrainTestCase):
    """The scheduler filters by aggregate metadata; the model cannot."""

    def setUp(self):
        self.flags(enabled_filters=[
            'ComputeFilter', 'ComputeCapabilitiesFilter',
            'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter',
            'ServerGroupAffinityFilter', 'AggregateInstanceExtraSpecsFilter'],
            group='filter_scheduler')
        super().setUp()

    def test_its_host_is_a_hint_the_scheduler_picks(self):
        ssd = self.admin_api.post_aggregate({'aggregate': {'name': 'ssd'}})
        for host in (HOST, THIRD):
            self.admin_api.add_host_to_aggregate(ssd['id'], host)
        self.admin_api.post_aggregate_action(ssd['id'], {
            'set_metadata': {'metadata': {'ssd': 'true'}}})
        flavor = self.create_flavor_with(
            'on.ssd', {'aggregate_instance_extra_specs:ssd': 'true'})
        self.create_active('picky', HOST, flavor=flavor)
        # Its host's disks were replaced: only THIRD has SSDs now.
        self.admin_api.remove_host_from_aggregate(ssd['id'], HOST)
        # THIRD is the fuller host: the model would have chosen OTHER.
        self.create_active('filler', THIRD)

        rows = self.drain(HOST)

        self.assertEqual('moved', rows['picky']['Result'])
        self.assertEqual(THIRD, rows['picky']['Destination'])
        self.assertNotIn('attempt', rows['picky']['Message'])
        moves_off = [m for m in self.migrations()
                     if m['source_compute'] == HOST]
        self.assertEqual(1, len(moves_off))
