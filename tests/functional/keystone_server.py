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

"""Serve a real keystone on 127.0.0.1, for the functional tests.

Run with the Python of keystone's own virtualenv (tools/keystone_venv.py),
never imported by the tests: keystone and nova each own oslo.config's
global configuration. OS_KEYSTONE_CONFIG_FILES names its keystone.conf.
Writes the port it listens on to the file KEYSTONE_PORT_FILE names (not an
argument: keystone parses the command line as its own), then serves until
killed.
"""

import os
import socketserver
from wsgiref import simple_server


class _Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    from keystone.server import wsgi
    app = wsgi.initialize_public_application()
    server = simple_server.make_server(
        '127.0.0.1', 0, app, server_class=_Server,
        handler_class=_QuietHandler)
    port_file = os.environ['KEYSTONE_PORT_FILE']
    with open(port_file + '.new', 'w') as f:
        f.write('%d\n' % server.server_port)
    os.rename(port_file + '.new', port_file)
    server.serve_forever()


if __name__ == '__main__':
    main()
