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

"""Listings read whole, against a fake API that pages by 2."""

import urllib.parse

import testtools

from migrationhelper.cloud import listings


class Answer:
    status_code = 200

    def __init__(self, body):
        self.body = body

    def json(self):
        return self.body


class PagingServerGroups:
    """os-server-groups with ``[api] max_limit = 2``: offsets, no links."""

    max_limit = 2

    def __init__(self, count):
        self.groups = [{'id': 'g-%d' % i, 'policy': 'anti-affinity',
                        'members': []} for i in range(count)]
        self.requests = []

    def get(self, url, microversion=None, raise_exc=True):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        self.requests.append(query)
        offset = int(query.get('offset', ['0'])[0])
        limit = min(int(query.get('limit', [self.max_limit])[0]),
                    self.max_limit)
        return Answer({'server_groups': self.groups[offset:offset + limit]})


class TestServerGroups(testtools.TestCase):

    def test_every_page_is_read(self):
        api = PagingServerGroups(5)
        groups = listings.list_server_groups(api)
        self.assertEqual(['g-%d' % i for i in range(5)],
                         [g['id'] for g in groups])
        self.assertEqual(['0', '2', '4'],
                         [q['offset'][0] for q in api.requests])
        self.assertEqual({'True'}, {q['all_projects'][0]
                                    for q in api.requests})

    def test_a_last_full_page_is_followed_by_an_empty_one(self):
        api = PagingServerGroups(4)
        self.assertEqual(4, len(listings.list_server_groups(api)))
        self.assertEqual(3, len(api.requests))

    def test_no_groups(self):
        api = PagingServerGroups(0)
        self.assertEqual([], listings.list_server_groups(api))
        self.assertEqual(1, len(api.requests))
