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

"""A table for people, every other format whole for scripts."""

import argparse

import testtools

from migrationhelper.v1 import common

UUID = '3f6c2a41-0d1e-4b7a-9c55-2f8e61d0a9b7'
COLUMNS = ('ID', 'Name', 'Destination', 'Duration')
ROWS = [(UUID, 'web-01', None, 0.0)]


def args(formatter, columns=()):
    return argparse.Namespace(formatter=formatter, columns=list(columns))


class TestTableView(testtools.TestCase):

    def test_a_table_shows_names_first_ids_short_and_no_none(self):
        columns, rows = common.table_view(args('table'), COLUMNS, ROWS,
                                          ('Name', 'ID', 'Destination'))
        self.assertEqual(('Name', 'ID', 'Destination'), columns)
        self.assertEqual([('web-01', UUID[:8], '')], rows)

    def test_hosts_by_short_name_where_that_tells_them_apart(self):
        columns = ('Name', 'Destination')
        rows = [('a', 'cld-nl-02.pd.infn.it'), ('b', 'cld-nl-03.pd.infn.it'),
                ('c', None)]
        self.assertEqual(
            [('a', 'cld-nl-02'), ('b', 'cld-nl-03'), ('c', '')],
            common.table_view(args('table'), columns, rows, columns)[1])
        # Two domains, one first label: whole names.
        rows = [('a', 'web.dc1.example'), ('b', 'web.dc2.example')]
        self.assertEqual(rows, common.table_view(
            args('table'), columns, rows, columns)[1])
        self.assertEqual(rows, common.table_view(
            args('json'), columns, rows, columns)[1])

    def test_machine_formats_and_picked_columns_get_everything_whole(self):
        for parsed in (args('json'), args('value'), args('csv'),
                       args('yaml'), args('table', ['ID'])):
            self.assertEqual((COLUMNS, ROWS), common.table_view(
                parsed, COLUMNS, ROWS, ('Name', 'ID')))
