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

"""A roll's waves on modelled data: order, prefer-maintained, budget."""

import testtools

from migrationhelper.cloud import vocabulary
from migrationhelper.planning import capacity as c
from migrationhelper.planning import placement_model as m
from migrationhelper.planning import waves


def receiver(name, ram=8192, used=0):
    return m.Receiver(name, 'nova', frozenset(), {
        vocabulary.VCPU: c.Resource(0, 64),
        vocabulary.MEMORY_MB: c.Resource(used, ram),
        vocabulary.DISK_GB: c.Resource(0, 1000)})


def vm(key, source, ram=1024, groups=()):
    return m.Needs(key=key, label=key, source=source,
                   demand={vocabulary.VCPU: 1, vocabulary.MEMORY_MB: ram,
                           vocabulary.DISK_GB: 1}, groups=tuple(groups))


def roll_host(name, *vms, left=(), going_down=()):
    return waves.RollHost(name, tuple(vms), tuple(left),
                          frozenset(going_down))


class TestOrder(testtools.TestCase):

    def test_empty_hosts_first_then_fewer_vms(self):
        hosts = [roll_host('b', vm('1', 'b'), vm('2', 'b')),
                 roll_host('c'), roll_host('a', vm('3', 'a'))]
        self.assertEqual(['c', 'a', 'b'],
                         [h.name for h in waves.order(hosts)])

    def test_a_host_left_mid_way_goes_first(self):
        hosts = [roll_host('b', vm('1', 'b'), vm('2', 'b')), roll_host('c')]
        self.assertEqual(['b', 'c'],
                         [h.name for h in waves.order(hosts, first={'b'})])


class TestSimulate(testtools.TestCase):

    def test_every_vm_moves_once_onto_maintained_hosts(self):
        hosts = [roll_host('a', vm('1', 'a')),
                 roll_host('b', vm('2', 'b'), vm('3', 'b')),
                 roll_host('e')]
        used = {'a': 1024, 'b': 2048, 'e': 0}
        receivers = [receiver(n, used=used[n]) for n in 'abe']
        sequence = waves.simulate(hosts, receivers, {})
        self.assertIsNone(sequence.refusal)
        self.assertEqual([('e',), ('a',), ('b',)],
                         [w.hosts for w in sequence.waves])
        self.assertEqual({'1': 'e'}, sequence.waves[1].destinations)
        # Both maintained hosts are preferred; the most free RAM decides.
        self.assertLessEqual(set(sequence.waves[2].destinations.values()),
                             {'e', 'a'})
        self.assertEqual((3, 3, 1.0), (sequence.moves, sequence.vms_moved,
                                       sequence.moves_per_vm))

    def test_a_maintained_host_beats_one_with_more_room(self):
        hosts = [roll_host('e'), roll_host('a', vm('1', 'a'))]
        receivers = [receiver('e', ram=2048), receiver('a'),
                     receiver('big', ram=65536)]
        sequence = waves.simulate(hosts, receivers, {})
        self.assertEqual({'1': 'e'}, sequence.waves[1].destinations)

    def test_not_maintained_only_when_nothing_maintained_fits(self):
        # Wave 1 ("a") has no maintained host yet: its VM goes to "b",
        # which moves it again in wave 2, to "a".
        hosts = [roll_host('a', vm('1', 'a')),
                 roll_host('b', vm('2', 'b'), vm('3', 'b'))]
        receivers = [receiver('a', used=1024), receiver('b', used=2048)]
        sequence = waves.simulate(hosts, receivers, {})
        self.assertIsNone(sequence.refusal)
        self.assertEqual({'1': 'b'}, sequence.waves[0].destinations)
        self.assertEqual({'1': 'a', '2': 'a', '3': 'a'},
                         sequence.waves[1].destinations)
        self.assertEqual((4, 3), (sequence.moves, sequence.vms_moved))
        self.assertEqual(1.33, sequence.moves_per_vm)

    def test_room_freed_by_a_wave_is_counted_for_the_next(self):
        # Each host is full but one VM; the empty host absorbs wave 2
        # only because wave 1 left nothing on it.
        hosts = [roll_host('e'), roll_host('a', vm('1', 'a', ram=4096)),
                 roll_host('b', vm('2', 'b', ram=4096))]
        receivers = [receiver('e', ram=4096),
                     receiver('a', ram=4096, used=4096),
                     receiver('b', ram=4096, used=4096)]
        sequence = waves.simulate(hosts, receivers, {})
        self.assertIsNone(sequence.refusal)
        self.assertEqual({'1': 'e'}, sequence.waves[1].destinations)
        self.assertEqual({'2': 'a'}, sequence.waves[2].destinations)

    def test_hard_anti_affinity_on_every_host_is_refused(self):
        group = m.Group('g', 'spread', m.ANTI_AFFINITY,
                        {'a': 1, 'b': 1, 'c': 1})
        hosts = [roll_host(n, vm('vm-' + n, n, groups=['g'])) for n in 'abc']
        receivers = [receiver(n) for n in 'abc']
        sequence = waves.simulate(hosts, receivers, {'g': group})
        refusal = sequence.refusal
        self.assertEqual((1, 'a', 'vm-a'),
                         (refusal.wave, refusal.host, refusal.vm))
        self.assertIn('anti-affinity group spread', refusal.reason)
        self.assertIn('wave 1, host a: vm-a', str(refusal))

    def test_a_vm_the_drain_would_leave_refuses_its_wave(self):
        hosts = [roll_host('e'),
                 roll_host('a', left=[('paused-vm', 'its guest is paused')])]
        sequence = waves.simulate(hosts, [receiver('e'), receiver('a')], {})
        self.assertEqual((2, 'a', 'paused-vm'), (
            sequence.refusal.wave, sequence.refusal.host,
            sequence.refusal.vm))
        self.assertEqual([('e',)], [w.hosts for w in sequence.waves])

    def test_waves_hold_up_to_max_unavailable_hosts(self):
        hosts = [roll_host(n, vm(n + '1', n)) for n in 'abcd']
        receivers = [receiver(n, used=1024) for n in 'abcd'] + [
            receiver('spare')]
        sequence = waves.simulate(hosts, receivers, {}, max_unavailable=3)
        self.assertEqual([('a', 'b', 'c'), ('d',)],
                         [w.hosts for w in sequence.waves])
        # No wave sends a VM to a host of the same wave.
        for wave in sequence.waves:
            self.assertFalse(set(wave.destinations.values()) &
                             set(wave.hosts))

    def test_maintained_hosts_from_an_earlier_run_are_preferred(self):
        hosts = [roll_host('a', vm('1', 'a'))]
        receivers = [receiver('a', used=1024), receiver('done', ram=2048),
                     receiver('other', ram=65536)]
        sequence = waves.simulate(hosts, receivers, {}, maintained={'done'})
        self.assertEqual({'1': 'done'}, sequence.waves[0].destinations)

    def test_restored_vms_take_their_room_back(self):
        # Without --restore, "a" empties "e" then "b" fits on "a"; with
        # it, "a" takes its VM back and "b" has no room left.
        hosts = [roll_host('e'), roll_host('a', vm('1', 'a', ram=4096)),
                 roll_host('b', vm('2', 'b', ram=4096))]
        receivers = [receiver('e', ram=4096),
                     receiver('a', ram=4096, used=4096),
                     receiver('b', ram=4096, used=4096)]
        self.assertIsNone(waves.simulate(hosts, receivers, {}).refusal)
        sequence = waves.simulate(hosts, receivers, {}, restore=True)
        self.assertIsNone(sequence.refusal)
        # Back on "a" after wave 2: "b"'s VM goes to "e", freed again.
        self.assertEqual({'2': 'e'}, sequence.waves[2].destinations)
        self.assertEqual((4, 2.0), (sequence.moves, sequence.moves_per_vm))
        tight = [receiver('e', ram=4096),
                 receiver('a', ram=4096, used=4096),
                 receiver('b', ram=8192, used=8192)]
        hosts[2] = roll_host('b', vm('2', 'b', ram=4096),
                             vm('3', 'b', ram=4096))
        refusal = waves.simulate(hosts, tight, {}, restore=True).refusal
        self.assertEqual((3, 'b'), (refusal.wave, refusal.host))


class TestBudget(testtools.TestCase):

    def test_two_down_members_of_one_group_never_in_one_wave(self):
        group = m.Group('g', 'db', 'soft-anti-affinity')
        hosts = [roll_host('a', vm('1', 'a', groups=['g']), going_down={'1'}),
                 roll_host('b', vm('2', 'b', groups=['g']), going_down={'2'}),
                 roll_host('c', vm('3', 'c'))]
        receivers = [receiver(n, used=1024) for n in 'abc'] + [
            receiver('spare', ram=65536)]
        sequence = waves.simulate(hosts, receivers, {'g': group},
                                  max_unavailable=2)
        self.assertEqual([('a', 'c'), ('b',)],
                         [w.hosts for w in sequence.waves])

    def test_members_moving_live_share_a_wave(self):
        group = m.Group('g', 'db', 'soft-anti-affinity')
        hosts = [roll_host('a', vm('1', 'a', groups=['g'])),
                 roll_host('b', vm('2', 'b', groups=['g']))]
        receivers = [receiver(n, used=1024) for n in 'ab'] + [
            receiver('spare', ram=65536)]
        sequence = waves.simulate(hosts, receivers, {'g': group},
                                  max_unavailable=2)
        self.assertEqual([('a', 'b')], [w.hosts for w in sequence.waves])
