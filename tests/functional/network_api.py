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

"""Nova's NeutronFixture, served over HTTP for the plugin's network proxy.

Nova's fixture answers Nova's own neutron client in-process; the plugin
reads ports through the SDK's network proxy over HTTP. This serves the
fixture's ports (and the version document the SDK discovers first) as
Neutron's API shows them, through wsgi-intercept like the compute and
placement fixtures. Only what the plugin reads: GET /v2.0/ports.
"""

import json
from urllib import parse
import uuid

import fixtures
from wsgi_intercept import interceptor


class NetworkAPIFixture(fixtures.Fixture):
    """The fixture's ports at ``endpoint``."""

    def __init__(self, neutron):
        super().__init__()
        self.neutron = neutron
        self.endpoint = 'http://%s.network:80/' % uuid.uuid4().hex

    def _setUp(self):
        intercept = interceptor.RequestsInterceptor(
            lambda: self._app, url=self.endpoint)
        intercept.install_intercept()
        self.addCleanup(intercept.uninstall_intercept)

    def _app(self, environ, start_response):
        path = environ.get('PATH_INFO', '').rstrip('/')
        if path in ('', '/v2.0'):
            body = {'versions': [{
                'id': 'v2.0', 'status': 'CURRENT',
                'links': [{'rel': 'self',
                           'href': self.endpoint + 'v2.0/'}]}]}
        elif path == '/v2.0/ports' and environ['REQUEST_METHOD'] == 'GET':
            query = parse.parse_qs(environ.get('QUERY_STRING', ''))
            filters = {k: v[0] if len(v) == 1 else v
                       for k, v in query.items()
                       if k not in ('limit', 'marker', 'fields')}
            body = self.neutron.list_ports(is_admin=True, **filters)
        else:
            start_response('404 Not Found',
                           [('Content-Type', 'application/json')])
            return [b'{"NeutronError": {"message": "not served"}}']
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [json.dumps(body).encode()]
