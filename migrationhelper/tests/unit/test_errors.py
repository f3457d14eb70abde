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

import testtools

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

from migrationhelper import errors


def http(status, details=''):
    return sdk_exceptions.HttpException(
        message='HTTP %d' % status, http_status=status, details=details)


class TestClassify(testtools.TestCase):
    """One classifier: every caller asks it, none decides on its own."""

    def test_each_kind(self):
        cases = [
            (http(401), errors.CREDENTIALS),
            (ks_exceptions.Unauthorized(), errors.CREDENTIALS),
            (ks_exceptions.AuthorizationFailure(), errors.CREDENTIALS),
            (http(403), errors.CALLERS),
            (http(503), errors.TRANSIENT),
            (http(504), errors.TRANSIENT),
            (ks_exceptions.ConnectFailure(), errors.TRANSIENT),
            (ks_exceptions.ConnectTimeout(), errors.TRANSIENT),
            (ks_exceptions.RequestTimeout(), errors.TRANSIENT),
            (sdk_exceptions.BadRequestException(http_status=400),
             errors.REFUSED),
            (sdk_exceptions.ConflictException(http_status=409),
             errors.REFUSED),
            (http(500, 'UnexpectedTaskStateError: conflict'), errors.REFUSED),
            (http(500, 'NoValidHost'), errors.OTHER),
            (sdk_exceptions.NotFoundException(http_status=404), errors.OTHER),
        ]
        for error, kind in cases:
            self.assertEqual(kind, errors.classify(error), repr(error))

    def test_the_callers_are_refused_credentials_or_role(self):
        self.assertTrue(errors.is_callers(http(401)))
        self.assertTrue(errors.is_callers(http(403)))
        self.assertFalse(errors.is_callers(http(500)))
