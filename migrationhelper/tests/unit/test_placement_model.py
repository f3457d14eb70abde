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

"""The placement model: where each VM can go, as a pure function."""

import testtools

from migrationhelper.cloud import vocabulary
from migrationhelper.planning import capacity as c
from migrationhelper.planning import demand
from migrationhelper.planning import placement_model as m

SOURCE = 'src'


def room(vcpu=10, ram=8192, disk=100, max_vcpu=None):
    return {vocabulary.VCPU: c.Resource(0, vcpu, max_vcpu),
            vocabulary.MEMORY_MB: c.Resource(0, ram),
            vocabulary.DISK_GB: c.Resource(0, disk)}


def host(name, zone='nova', traits=(), **kwargs):
    return m.Receiver(name, zone, frozenset(traits), room(**kwargs))


def vm(key, ram=512, vcpu=1, disk=1, **kwargs):
    kwargs.setdefault('source', SOURCE)
    return m.Needs(key=key, label=key,
                   demand={vocabulary.VCPU: vcpu, vocabulary.MEMORY_MB: ram,
                           vocabulary.DISK_GB: disk},
                   **kwargs)


def hosts_of(placements):
    return {k: p.host for k, p in placements.items()}


class TestRoom(testtools.TestCase):

    def test_everything_fits_and_spreads_by_free_ram(self):
        placed = m.place([vm('a', 2048), vm('b', 2048)],
                         [host('h1', ram=4096), host('h2', ram=4096)])
        self.assertEqual({'a': 'h1', 'b': 'h2'}, hosts_of(placed))

    def test_nothing_to_place(self):
        self.assertEqual({}, m.place([], [host('h1')]))

    def test_room_split_across_hosts_is_refused_naming_each_host(self):
        # 4096 MB free in all, but never 3000 on one host.
        placed = m.place([vm('big', 3000)],
                         [host('h1', ram=2048), host('h2', ram=2048)])
        self.assertIsNone(placed['big'].host)
        self.assertEqual('no room: h1 lacks 952 MB of RAM, h2 lacks 952 MB '
                         'of RAM', placed['big'].reason)

    def test_competing_vms_are_counted_once(self):
        placed = m.place([vm('a', 512), vm('b', 512), vm('c', 512)],
                         [host('h1', ram=512), host('h2', ram=512)])
        self.assertEqual(['a', 'b'], sorted(k for k, p in placed.items()
                                            if p.host))
        self.assertIn('once the VMs placed before it are there',
                      placed['c'].reason)

    def test_largest_first_packs_what_first_come_would_not(self):
        placed = m.place([vm('small', 1024), vm('large', 3072)],
                         [host('h1', ram=3072), host('h2', ram=1024)])
        self.assertEqual({'small': 'h2', 'large': 'h1'}, hosts_of(placed))

    def test_max_unit_is_respected(self):
        placed = m.place([vm('wide', vcpu=8)],
                         [host('h1', vcpu=40, max_vcpu=4)])
        self.assertIn('h1 lacks 4 vCPU more than one VM may have',
                      placed['wide'].reason)

    def test_volume_backed_vm_needs_no_disk(self):
        placed = m.place([vm('vol', disk=0)], [host('h1', disk=0)])
        self.assertEqual('h1', placed['vol'].host)

    def test_only_hosts_placement_offers_receive(self):
        # h1 has the room by the numbers, but placement offers only h2
        # (max_unit, or a nested provider the numbers do not show).
        placed = m.place([vm('a', offered=frozenset(['h2']))],
                         [host('h1', ram=8192), host('h2', ram=1024)])
        self.assertEqual('h2', placed['a'].host)
        placed = m.place([vm('a', offered=frozenset())], [host('h1')])
        self.assertEqual('no room: placement offers no room on h1 for it '
                         '(max_unit or nested providers)',
                         placed['a'].reason)

    def test_the_source_never_receives(self):
        placed = m.place([vm('a')], [host(SOURCE)])
        self.assertIn('no other host can take VMs', placed['a'].reason)


class TestZones(testtools.TestCase):

    def test_pinned_vm_stays_in_its_zone(self):
        placed = m.place([vm('a', zone='az-a')],
                         [host('h1', zone='az-b', ram=8192),
                          host('h2', zone='az-a', ram=1024)])
        self.assertEqual('h2', placed['a'].host)

    def test_pinned_vm_with_a_full_zone_names_the_zone_and_the_host(self):
        placed = m.place([vm('a', 2048, zone='az-a')],
                         [host('h1', zone='az-b'),
                          host('h2', zone='az-a', ram=512)])
        self.assertEqual('pinned to availability zone az-a: only h2 lacks '
                         '1536 MB of RAM qualifies', placed['a'].reason)

    def test_zone_with_no_receiver(self):
        placed = m.place([vm('a', zone='az-c')], [host('h1', zone='az-b')])
        self.assertEqual('pinned to availability zone az-c: no host that '
                         'can take VMs is in it', placed['a'].reason)

    def test_a_receiver_of_unknown_zone_is_left_to_the_scheduler(self):
        placed = m.place([vm('a', zone='az-a')],
                         [host('h1', zone='az-b', ram=8192),
                          host('h2', zone=None, ram=1024)])
        self.assertEqual('h2', placed['a'].host)

    def test_unpinned_vm_may_leave_its_zone(self):
        placed = m.place([vm('a')], [host('h1', zone='az-b')])
        self.assertEqual('h1', placed['a'].host)


class TestTraits(testtools.TestCase):

    def test_required_trait_picks_the_host_that_has_it(self):
        placed = m.place([vm('a', required_traits=frozenset(['CUSTOM_SSD']))],
                         [host('h1', ram=8192),
                          host('h2', traits=['CUSTOM_SSD'], ram=1024)])
        self.assertEqual('h2', placed['a'].host)

    def test_required_trait_on_a_full_host(self):
        placed = m.place([vm('a', 2048,
                             required_traits=frozenset(['CUSTOM_SSD']))],
                         [host('h1'),
                          host('h2', traits=['CUSTOM_SSD'], ram=1024)])
        self.assertEqual('needs trait CUSTOM_SSD: only h2 lacks 1024 MB of '
                         'RAM qualifies', placed['a'].reason)

    def test_forbidden_trait_excludes(self):
        placed = m.place([vm('a', forbidden_traits=frozenset(['CUSTOM_X']))],
                         [host('h1', traits=['CUSTOM_X'])])
        self.assertIn('forbids trait CUSTOM_X: no host', placed['a'].reason)

    def test_most_constrained_vm_is_placed_first(self):
        # The flexible VM is larger, but taking the SSD host's room would
        # leave the SSD VM nowhere.
        placed = m.place(
            [vm('flex', 1024),
             vm('ssd', 512, required_traits=frozenset(['CUSTOM_SSD']))],
            [host('h1', ram=1024), host('h2', traits=['CUSTOM_SSD'],
                                        ram=1536)])
        self.assertEqual({'flex': 'h1', 'ssd': 'h2'}, hosts_of(placed))


class TestServerGroups(testtools.TestCase):

    def group(self, policy, members_on, max_per_host=1):
        return {'g': m.Group('g', 'ha-web', policy, members_on,
                             max_per_host)}

    def test_anti_affinity_takes_the_host_without_a_member(self):
        placed = m.place([vm('a', groups=('g',))],
                         [host('h1', ram=8192), host('h2', ram=1024)],
                         self.group(m.ANTI_AFFINITY, {'h1': 1}))
        self.assertEqual('h2', placed['a'].host)

    def test_anti_affinity_with_a_member_everywhere(self):
        placed = m.place([vm('a', groups=('g',))],
                         [host('h1'), host('h2')],
                         self.group(m.ANTI_AFFINITY, {'h1': 1, 'h2': 1}))
        self.assertEqual('anti-affinity group ha-web: every host that can '
                         'take it already holds 1 of its members',
                         placed['a'].reason)

    def test_anti_affinity_counts_the_moves_the_plan_makes(self):
        # h1 is free of members, until the plan sends one there.
        placed = m.place([vm('a', groups=('g',)), vm('b', groups=('g',))],
                         [host('h1'), host('h2')],
                         self.group(m.ANTI_AFFINITY, {'h2': 1}))
        self.assertEqual(['h1'], [p.host for p in placed.values() if p.host])
        self.assertEqual(1, sum(p.host is None for p in placed.values()))

    def test_max_server_per_host(self):
        placed = m.place([vm('a', groups=('g',))], [host('h1')],
                         self.group(m.ANTI_AFFINITY, {'h1': 1}, 2))
        self.assertEqual('h1', placed['a'].host)

    def test_affinity_members_all_on_the_source_cannot_move(self):
        placed = m.place([vm('a', groups=('g',)), vm('b', groups=('g',))],
                         [host('h1'), host('h2')],
                         self.group(m.AFFINITY, {SOURCE: 2}))
        for key in ('a', 'b'):
            self.assertEqual('affinity group ha-web: Nova cannot move '
                             'members of an affinity group off their host',
                             placed[key].reason)

    def test_affinity_member_may_join_members_elsewhere(self):
        placed = m.place([vm('a', groups=('g',))], [host('h1'), host('h2')],
                         self.group(m.AFFINITY, {SOURCE: 1, 'h2': 1}))
        self.assertEqual('h2', placed['a'].host)

    def test_soft_policies_never_restrict(self):
        for policy in ('soft-affinity', 'soft-anti-affinity'):
            placed = m.place([vm('a', groups=('g',))], [host('h1')],
                             self.group(policy, {'h1': 5}))
            self.assertEqual('h1', placed['a'].host, policy)


class TestOnlyHosts(testtools.TestCase):

    def test_same_version_restriction(self):
        placed = m.place(
            [vm('a', only_hosts=frozenset(['h2']),
                only_hosts_why='--same-version: QEMU 8')],
            [host('h1', ram=8192), host('h2', ram=1024)])
        self.assertEqual('h2', placed['a'].host)
        placed = m.place(
            [vm('a', only_hosts=frozenset(),
                only_hosts_why='--same-version: QEMU 8')], [host('h1')])
        self.assertEqual('--same-version: QEMU 8: no host that can take VMs '
                         'has it', placed['a'].reason)

    def test_placement_is_deterministic(self):
        vms = [vm('vm-%d' % i, 512 * (i % 3 + 1)) for i in range(12)]
        receivers = [host('h%d' % i, ram=4096) for i in range(4)]
        first = hosts_of(m.place(vms, receivers))
        self.assertEqual(first, hosts_of(m.place(reversed(vms), receivers)))


class TestTraitsOverTheTree(testtools.TestCase):
    """Traits as placement reads them: over the tree, per request group."""

    GPU = frozenset(['VGPU'])

    def with_gpu_child(self, name, child_traits, root_traits=()):
        """A host whose physical GPU is a child provider with traits."""
        return m.Receiver(name, 'nova', frozenset(root_traits), room(),
                          tree=((frozenset(root_traits),
                                 frozenset(room()), True),
                                (frozenset(child_traits), self.GPU, False)))

    def vgpu_vm(self, key, required=(), forbidden=()):
        # resources1:VGPU=1 with trait1:...=required, Nova's documented
        # vGPU setup.
        group = demand.TraitGroup(
            '1', self.GPU, frozenset(required), frozenset(forbidden))
        return vm(key, required_traits=frozenset(required),
                  forbidden_traits=frozenset(forbidden),
                  trait_groups=(group,))

    def test_a_granular_groups_trait_on_the_child_that_serves_it(self):
        placed = m.place([self.vgpu_vm('a', ['CUSTOM_NVIDIA_11'])],
                         [self.with_gpu_child('h1', ['CUSTOM_NVIDIA_12']),
                          self.with_gpu_child('h2', ['CUSTOM_NVIDIA_11'])])
        self.assertEqual({'a': 'h2'}, hosts_of(placed))

    def test_a_granular_groups_trait_on_another_provider_does_not_count(
            self):
        # The trait is on the root, which has no VGPU: placement refuses.
        placed = m.place([self.vgpu_vm('a', ['CUSTOM_NVIDIA_11'])],
                         [self.with_gpu_child('h1', [], ['CUSTOM_NVIDIA_11'])])
        self.assertIsNone(placed['a'].host)
        self.assertIn('needs trait CUSTOM_NVIDIA_11', placed['a'].reason)

    def test_a_granular_groups_forbidden_trait_on_its_provider(self):
        placed = m.place(
            [self.vgpu_vm('a', forbidden=['CUSTOM_SLOW'])],
            [self.with_gpu_child('h1', ['CUSTOM_SLOW']),
             self.with_gpu_child('h2', [], ['CUSTOM_SLOW'])])
        # Forbidden on h1's GPU; on h2 only the root has it.
        self.assertEqual({'a': 'h2'}, hosts_of(placed))

    def test_an_unsuffixed_required_trait_from_any_provider_of_the_tree(self):
        needs = vm('a', required_traits=frozenset(['CUSTOM_FPGA_XL']))
        placed = m.place([needs], [
            host('h1'), self.with_gpu_child('h2', ['CUSTOM_FPGA_XL'])])
        self.assertEqual({'a': 'h2'}, hosts_of(placed))

    def test_an_unsuffixed_forbidden_trait_counts_on_the_root(self):
        needs = vm('a', forbidden_traits=frozenset(['CUSTOM_SLOW']))
        placed = m.place([needs], [
            self.with_gpu_child('h1', [], ['CUSTOM_SLOW']),
            self.with_gpu_child('h2', ['CUSTOM_SLOW'])])
        self.assertEqual({'a': 'h2'}, hosts_of(placed))

    def test_without_a_tree_the_roots_traits_are_all_there_is(self):
        placed = m.place([self.vgpu_vm('a', ['CUSTOM_NVIDIA_11'])],
                         [host('h1', traits=['CUSTOM_NVIDIA_11'])])
        # The root has no VGPU inventory: no provider serves the group.
        self.assertIsNone(placed['a'].host)
