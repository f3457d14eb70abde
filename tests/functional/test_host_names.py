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

"""Host name resolution against a real cloud, and errors before acting."""

from unittest import mock

from tests.functional import base

PD = 'cld-nl-01.pd.infn.it'
CT = 'cld-nl-01.ct.infn.it'
SPLIT_SERVICE = 'compute-07'
SPLIT_HYPERVISOR = 'hv-07.ct.infn.it'


class TestHostNames(base.NovaCloudTestCase):
    """Two hosts share a short name; one has a differently named node."""

    hosts = (PD, CT, SPLIT_SERVICE)
    hypervisor_hostnames = {SPLIT_SERVICE: SPLIT_HYPERVISOR}

    def setUp(self):
        super().setUp()
        self.on_pd = self.create_active('on-pd', PD)
        self.on_split = self.create_active('on-split', SPLIT_SERVICE)

    def listed_ids(self, name):
        return [row['ID'] for row in
                self.openstack_json('host', 'vms', name)]

    def assertUserError(self, result, *fragments):
        self.assertEqual(1, result.exit_code, result)
        self.assertEqual('', result.stdout)
        self.assertNotIn('Traceback', result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)

    def test_exact_service_host(self):
        self.assertEqual([self.on_pd['id']], self.listed_ids(PD))
        self.assertEqual([self.on_split['id']],
                         self.listed_ids(SPLIT_SERVICE))

    def test_exact_hypervisor_hostname(self):
        nova = self.nova_server(self.on_split['id'])
        self.assertEqual(SPLIT_HYPERVISOR,
                         nova['OS-EXT-SRV-ATTR:hypervisor_hostname'])
        self.assertEqual([self.on_split['id']],
                         self.listed_ids(SPLIT_HYPERVISOR))

    def test_short_name_of_exactly_one_host(self):
        self.assertEqual([self.on_split['id']], self.listed_ids('hv-07'))

    def test_short_name_of_two_hosts_is_an_error_listing_them(self):
        result = self.openstack('host', 'vms', 'cld-nl-01')
        self.assertUserError(result, 'ambiguous', PD, CT)

    def test_prefix_never_matches_and_the_error_lists_candidates(self):
        result = self.openstack('host', 'vms', 'cld-nl-0')
        self.assertUserError(result, 'No compute host named cld-nl-0.',
                             PD, CT)

    def test_unknown_host_is_named(self):
        result = self.openstack('host', 'status', 'cld-xx-99.pd.infn.it')
        self.assertUserError(
            result, 'No compute host named cld-xx-99.pd.infn.it.')

    def test_case_does_not_matter_as_in_dns(self):
        status = self.openstack_json('host', 'status',
                                     SPLIT_HYPERVISOR.upper())
        self.assertEqual(SPLIT_SERVICE, status['Host'])

    def test_status_resolves_short_names_too(self):
        status = self.openstack_json('host', 'status', 'hv-07')
        self.assertEqual(SPLIT_SERVICE, status['Host'])
        self.assertEqual([SPLIT_HYPERVISOR], status['Hypervisor Hostnames'])


class TestCredentialsAndCloud(base.NovaCloudTestCase):

    def test_non_admin_credentials_are_refused_clearly(self):
        for command in ('vms', 'status'):
            result = self.openstack('host', command, base.HOSTS[0],
                                    cloud=base.MEMBER_CLOUD)
            self.assertEqual(1, result.exit_code, result)
            self.assertIn('admin role', result.stderr)
            self.assertNotIn('Traceback', result.stderr)
            self.assertEqual('', result.stdout)

    def test_compute_api_too_old_is_refused_naming_the_microversion(self):
        from nova.api.openstack import api_version_request
        from nova.api.openstack.compute import versions
        old = api_version_request.APIVersionRequest('2.60')
        with mock.patch.dict(versions.VERSIONS['v2.1'], version='2.60'), \
                mock.patch.object(api_version_request, 'max_api_version',
                                  return_value=old):
            result = self.openstack('host', 'vms', base.HOSTS[0])
        self.assertEqual(1, result.exit_code, result)
        self.assertIn('2.60', result.stderr)
        self.assertIn('2.65', result.stderr)
        self.assertNotIn('Traceback', result.stderr)
