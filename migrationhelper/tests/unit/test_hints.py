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

"""Failure hints from Nova's messages."""

import testtools

from migrationhelper.moving import hints


class TestHints(testtools.TestCase):

    def test_no_valid_host_points_at_capacity(self):
        hint = hints.hint_for('No valid host was found. There are not '
                              'enough hosts available.')
        self.assertIn('capacity', hint)
        self.assertIn('affinity', hint)

    def test_cpu_feature_mismatch_points_at_the_cpu_map(self):
        for message in (
                'Unacceptable CPU info: CPU doesn\'t have compatibility. '
                'Feature invtsc is missing',
                'the CPU is incompatible with host CPU'):
            self.assertIn('CPU model', hints.hint_for(message), message)

    def test_missing_shared_storage_points_at_block_migration(self):
        hint = hints.hint_for('cld-nl-02 is not on shared storage: '
                              'Shared storage live-migration requires ...')
        self.assertIn('block migration', hint)

    def test_unknown_or_missing_message_has_no_hint(self):
        self.assertIsNone(hints.hint_for('disk on fire'))
        self.assertIsNone(hints.hint_for(None))
