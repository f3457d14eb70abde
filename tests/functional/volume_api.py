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

"""Nova's CinderFixture, served over HTTP for the plugin's volume proxy.

Nova's fixture answers Nova's own cinder client in-process (it patches
``nova.volume.cinder.API``); nothing in the test cloud speaks the block
storage API over HTTP. This serves the fixture's volumes (and the version
document the SDK discovers first) as Cinder's v3 API shows them, through
wsgi-intercept like the compute and placement fixtures. Only reads:
GET /v3/volumes/{id}, /v3/volumes and /v3/volumes/detail (with or without
a project ID after /v3).
"""

import json
import re
import uuid

import fixtures
from wsgi_intercept import interceptor

_VOLUME = re.compile(r'^/v3(?:/[0-9a-f]{32})?/volumes(?:/(?P<id>[^/]+))?$')


class VolumeAPIFixture(fixtures.Fixture):
    """The CinderFixture's volumes at ``endpoint``."""

    def __init__(self, cinder):
        super().__init__()
        self.cinder = cinder
        self.root = 'http://%s.volume:80/' % uuid.uuid4().hex
        self.endpoint = self.root + 'v3/'
        # Every request served: (method, path).
        self.requests = []

    def _setUp(self):
        intercept = interceptor.RequestsInterceptor(
            lambda: self._app, url=self.root)
        intercept.install_intercept()
        self.addCleanup(intercept.uninstall_intercept)

    def volume(self, volume_id):
        """One volume as Cinder's v3 API shows it to an admin."""
        found = dict(self.cinder.fake_get(None, volume_id))
        attachments = [{
            'id': volume_id, 'attachment_id': a['id'],
            'volume_id': volume_id, 'server_id': a['instance_uuid'],
            'host_name': None, 'device': '/dev/vda'}
            for a in self.cinder.volume_to_attachment[volume_id].values()]
        view = {
            'id': volume_id,
            'name': found.get('display_name'),
            'description': found.get('display_description'),
            'status': 'in-use' if attachments else found.get(
                'status', 'available'),
            'size': found.get('size', 1),
            'availability_zone': found.get('availability_zone'),
            'bootable': 'true' if found.get('bootable') else 'false',
            'multiattach': bool(found.get('multiattach')),
            'attachments': attachments,
            'metadata': found.get('metadata') or {},
            'volume_type': found.get('volume_type'),
            'os-vol-tenant-attr:tenant_id': self.cinder.tenant_id,
        }
        if 'volume_image_metadata' in found:
            view['volume_image_metadata'] = found['volume_image_metadata']
        return view

    def known(self):
        return sorted(set(self.cinder.volumes) | {
            v for v, a in self.cinder.volume_to_attachment.items() if a})

    def _versions(self):
        return {'versions': [{
            'id': 'v3.0', 'status': 'CURRENT', 'version': '3.70',
            'min_version': '3.0', 'updated': '2023-08-31T00:00:00Z',
            'links': [{'rel': 'self', 'href': self.endpoint}]}]}

    def _app(self, environ, start_response):
        path = environ.get('PATH_INFO', '').rstrip('/')
        method = environ['REQUEST_METHOD']
        self.requests.append((method, path))
        match = _VOLUME.match(path)
        status, body = '200 OK', None
        if path in ('', '/v3'):
            status, body = '300 Multiple Choices', self._versions()
            if path == '/v3':
                status = '200 OK'
        elif match and method == 'GET':
            volume_id = match.group('id')
            if volume_id in (None, 'detail'):
                body = {'volumes': [self.volume(v) for v in self.known()]}
            elif volume_id in self.known():
                body = {'volume': self.volume(volume_id)}
        if body is None:
            start_response('404 Not Found',
                           [('Content-Type', 'application/json')])
            return [json.dumps({'itemNotFound': {
                'code': 404, 'message': 'not served: %s %s'
                % (method, path)}}).encode()]
        start_response(status, [('Content-Type', 'application/json')])
        return [json.dumps(body).encode()]
