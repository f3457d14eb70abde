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

"""The test cases functional test modules share: drain, restore, placement.

A test module's own classes are its tests; what several modules build on
lives here, so that no test module subclasses another's.
"""

from tests.functional import base

HOST, OTHER, THIRD = base.HOSTS
# The columns of every moving command's JSON rows, in their order.
COLUMNS = ['ID', 'Name', 'Action', 'Result', 'Source', 'Destination',
           'Duration', 'Message']


def stuck_at_40_percent(seconds):
    """A live copy: 40% of the memory in 2 s, then dirtied as fast."""
    return max(0.6, 1.0 - 0.2 * seconds)


class MovingTestCase(base.NovaCloudTestCase):

    def moving_rows(self, *argv, expect=0):
        """A moving command's JSON rows by VM name.

        Its exit status and columns are checked.
        """
        result = self.openstack(*argv, '-f', 'json')
        self.assertEqual(expect, result.exit_code, result)
        rows = result.json()
        if rows:
            self.assertEqual(COLUMNS, list(rows[0]))
        return {row['Name']: row for row in rows}


class DrainTestCase(MovingTestCase):

    def drain(self, *args, expect=0):
        return self.moving_rows('host', 'drain', *args, expect=expect)


class RestoreTestCase(DrainTestCase):

    def restore(self, *args, expect=0):
        return self.moving_rows('host', 'undrain', '--restore', HOST, *args,
                                expect=expect)

    def moves_to(self, host):
        return [m for m in self.migrations() if m['dest_compute'] == host]


class PlacementTestCase(DrainTestCase):

    def drain_rows(self, *args, expect=0):
        """The drain's rows by ID (a leftover's row has no name)."""
        result = self.openstack('host', 'drain', *args, '-f', 'json')
        self.assertEqual(expect, result.exit_code, result)
        return {row['ID']: row for row in result.json()}, result

    def allocations(self, host):
        provider = self._get_provider_uuid_by_host(host)
        return self.placement.get(
            '/resource_providers/%s/allocations' % provider
        ).body['allocations']

    def held_by(self, status):
        return {a['consumer']: a for a in status['Allocations']}
