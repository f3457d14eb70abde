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

"""Which credentials renew, and which errors mean the cloud refuses them."""

import datetime

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import identity
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from openstack import exceptions as sdk_exceptions
import testtools

from migrationhelper.cloud import credentials
from migrationhelper import errors

NOW = datetime.datetime(2026, 11, 26, 8, 0, tzinfo=datetime.timezone.utc)
TOKEN = 'gAAAAABsecret-token-value'


class FakeAccess:
    expires = NOW + datetime.timedelta(minutes=12, seconds=30)


class TestRefused(testtools.TestCase):

    def test_a_401_from_a_service(self):
        self.assertTrue(errors.credentials_refused(
            sdk_exceptions.HttpException('unauthorized', http_status=401)))

    def test_keystone_refusing_to_renew(self):
        self.assertTrue(errors.credentials_refused(ks_exceptions.NotFound()))
        self.assertTrue(errors.credentials_refused(
            ks_exceptions.Unauthorized()))
        self.assertTrue(errors.credentials_refused(
            ks_exceptions.AuthorizationFailure()))

    def test_what_the_moves_handle_themselves(self):
        for error in (
                sdk_exceptions.NotFoundException('server gone'),
                sdk_exceptions.ConflictException('busy'),
                sdk_exceptions.HttpException('down', http_status=503),
                ks_exceptions.ConnectTimeout('no answer')):
            self.assertFalse(errors.credentials_refused(error), error)

    def test_the_message_never_carries_the_answer(self):
        error = ks_exceptions.NotFound('token %s not found' % TOKEN)
        for text in (credentials.expired_message(error),
                     credentials.refused_before_moving(error)):
            self.assertNotIn(TOKEN, text)
            self.assertIn('a password or an application credential', text)


class TestRenewal(testtools.TestCase):

    def session(self, auth):
        return ks_session.Session(auth=auth)

    def test_passwords_renew_without_a_word(self):
        auth = identity.Password(auth_url='http://keystone/v3',
                                 username='admin', password='secret',
                                 project_name='admin',
                                 user_domain_id='default',
                                 project_domain_id='default')
        self.assertTrue(credentials.renewable(auth))
        self.assertIsNone(credentials.warning(self.session(auth)))

    def test_a_token_with_a_known_expiry(self):
        auth = identity.Token(auth_url='http://keystone/v3', token=TOKEN)
        auth.get_access = lambda session: FakeAccess()
        text = credentials.warning(self.session(auth), now=NOW)
        self.assertIn('The token expires in 12 min (2026-11-26 08:12:30 UTC) '
                      'and cannot be renewed', text)
        self.assertNotIn(TOKEN, text)

    def test_an_admin_token_of_unknown_expiry(self):
        auth = token_endpoint.Token('http://nova/v2.1', TOKEN)
        text = credentials.warning(self.session(auth))
        self.assertIn('a bare token, which cannot be renewed', text)
        self.assertNotIn(TOKEN, text)
