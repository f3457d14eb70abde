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

"""What runs at once, and for how long, on Nova's clock.

A live migration's --timeout runs from when Nova starts it, not from when
it joined nova-compute's queue; --no-wait sends moves within the lanes and
--max-parallel; a VM that waits for someone else's task holds no lane.
"""

import threading

import eventlet

from tests.functional import base

HOST, OTHER, THIRD = base.HOSTS
FINAL = ('completed', 'confirmed', 'done', 'error', 'failed', 'cancelled',
         'reverted')
# A cold migration whose VM is on its destination, awaiting confirmation,
# no longer uses the source.
ON_DESTINATION = ('finished', 'confirming')


class TestLanes(base.NovaCloudTestCase):

    def drain(self, *args, expect=0):
        result = self.openstack('host', 'drain', HOST, *args, '-f', 'json')
        self.assertEqual(expect, result.exit_code, result)
        return {row['Name']: row for row in result.json()}

    def test_the_second_live_migration_of_a_lane_is_timed_from_its_start(
            self):
        servers = [self.create_active('vm-%d' % i, HOST) for i in range(2)]

        # One at a time in nova-compute: the second waits 6 s queued.
        with self.moves_take(6, steps=('live_migration',)):
            rows = self.drain('--timeout', '8')

        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        for server in servers:
            self.assertNotEqual(HOST, self.nova_server(server['id'])[
                'OS-EXT-SRV-ATTR:host'])

    def test_no_wait_sends_within_max_parallel(self):
        for i in range(6):
            self.create_shutoff('off-%d' % i, HOST)
        most = {'n': 0}
        done = threading.Event()

        def sample():
            while not done.is_set():
                migrations = self.admin_api.api_get(
                    '/os-migrations').body['migrations']
                using_source = [m for m in migrations if m['status'] not in
                                FINAL + ON_DESTINATION]
                most['n'] = max(most['n'], len(using_source))
                eventlet.sleep(0.1)
        sampler = eventlet.spawn(sample)
        with self.moves_take(1):
            rows = self.drain('--no-wait', '--max-parallel', '2', expect=3)
        done.set()
        sampler.wait()

        self.assertEqual(6, len(rows))
        self.assertIn('in-progress', {r['Result'] for r in rows.values()})
        self.assertEqual(2, most['n'])
        self.assertEqual(6, len(self.admin_api.api_get(
            '/os-migrations').body['migrations']))

    def test_vms_in_a_long_task_hold_no_lane(self):
        snapshotting = [self.create_active('snap-%d' % i, HOST)
                        for i in range(4)]
        stopped = [self.create_shutoff('off-%d' % i, HOST) for i in range(4)]
        for server in snapshotting:
            # An image upload that lasts: Nova's own state, set directly.
            instance = self.nova_instance(server['id'])
            instance.task_state = 'image_uploading'
            instance.save()
        on_host_at_task_end = []

        def tasks_end():
            on_host_at_task_end.extend(
                s['name'] for s in self.nova_servers_on(HOST))
            for server in snapshotting:
                instance = self.nova_instance(server['id'])
                instance.task_state = None
                instance.save()
        threading.Timer(20.0, tasks_end).start()

        rows = self.drain()

        self.assertEqual({'moved'}, {r['Result'] for r in rows.values()})
        # Every cold move was over while the four waited.
        self.assertEqual(sorted(s['name'] for s in snapshotting),
                         sorted(on_host_at_task_end))
        for server in snapshotting + stopped:
            self.assertNotEqual(HOST, self.nova_server(server['id'])[
                'OS-EXT-SRV-ATTR:host'])
