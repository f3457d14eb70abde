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

"""Host name resolution rules, without a cloud."""

import testtools

from migrationhelper.cloud import hosts
from migrationhelper import errors

PD1 = hosts.ComputeHost('cld-nl-01.pd.infn.it', ('cld-nl-01.pd.infn.it',))
PD2 = hosts.ComputeHost('cld-nl-02.pd.infn.it', ('cld-nl-02.pd.infn.it',))
PD3 = hosts.ComputeHost('cld-nl-03.pd.infn.it', ('cld-nl-03.pd.infn.it',))
# A service whose hypervisor is known under another name.
SPLIT = hosts.ComputeHost('compute-7', ('hv-07.ct.infn.it',))
CT1 = hosts.ComputeHost('cld-nl-01.ct.infn.it', ('cld-nl-01.ct.infn.it',))
CLOUD = (PD1, PD2, PD3, SPLIT)


class TestResolve(testtools.TestCase):

    def test_exact_service_host(self):
        self.assertIs(PD2, hosts.resolve('cld-nl-02.pd.infn.it', CLOUD))
        self.assertIs(SPLIT, hosts.resolve('compute-7', CLOUD))

    def test_exact_hypervisor_hostname(self):
        self.assertIs(SPLIT, hosts.resolve('hv-07.ct.infn.it', CLOUD))

    def test_short_name_of_exactly_one_host(self):
        self.assertIs(PD1, hosts.resolve('cld-nl-01', CLOUD))
        self.assertIs(SPLIT, hosts.resolve('hv-07', CLOUD))

    def test_exact_name_wins_over_short_name(self):
        bare = hosts.ComputeHost('cld-nl-01', ('cld-nl-01',))
        self.assertIs(bare, hosts.resolve('cld-nl-01', CLOUD + (bare,)))

    def test_short_name_of_several_hosts_is_ambiguous(self):
        e = self.assertRaises(errors.AmbiguousHost,
                              hosts.resolve, 'cld-nl-01', CLOUD + (CT1,))
        self.assertIn('cld-nl-01.ct.infn.it', str(e))
        self.assertIn('cld-nl-01.pd.infn.it', str(e))

    def test_prefix_never_matches_and_lists_candidates(self):
        e = self.assertRaises(errors.HostNotFound,
                              hosts.resolve, 'cld-nl-0', CLOUD)
        for host in (PD1, PD2, PD3):
            self.assertIn(host.host, str(e))
        self.assertNotIn('compute-7', str(e))

    def test_substring_never_matches(self):
        self.assertRaises(errors.HostNotFound,
                          hosts.resolve, 'nl-01', CLOUD)
        self.assertRaises(errors.HostNotFound,
                          hosts.resolve, 'pd.infn.it', CLOUD)

    def test_partial_domain_is_not_a_short_name(self):
        self.assertRaises(errors.HostNotFound,
                          hosts.resolve, 'cld-nl-01.pd', CLOUD)

    def test_unknown_host_is_named_and_close_names_suggested(self):
        e = self.assertRaises(errors.HostNotFound,
                              hosts.resolve, 'cld-nl-10', CLOUD)
        self.assertIn('No compute host named cld-nl-10.', str(e))
        self.assertIn('Did you mean', str(e))
        self.assertIn('cld-nl-01.pd.infn.it', str(e))

    def test_names_match_whatever_their_case_as_in_dns(self):
        self.assertEqual(PD1, hosts.resolve('CLD-NL-01.PD.INFN.IT', CLOUD))
        self.assertEqual(PD1, hosts.resolve('CLD-NL-01', CLOUD))

    def test_only_near_names_are_suggested(self):
        e = self.assertRaises(errors.HostNotFound,
                              hosts.resolve, 'cld-nl-1', CLOUD)
        # One character off cld-nl-01, not every host named cld-nl-*.
        suggested = str(e).split('Did you mean: ')[1].rstrip('?')
        self.assertEqual('cld-nl-01.pd.infn.it', suggested)

    def test_unknown_host_without_close_names(self):
        e = self.assertRaises(errors.HostNotFound,
                              hosts.resolve, 'zzzz', CLOUD)
        self.assertEqual('No compute host named zzzz.', str(e))

    def test_names_are_service_host_then_other_hypervisors(self):
        self.assertEqual(('compute-7', 'hv-07.ct.infn.it'), SPLIT.names)
        self.assertEqual(('cld-nl-01.pd.infn.it',), PD1.names)
