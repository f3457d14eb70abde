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

import logging

# Importing Nova warns (eventlet through warnings, Nova through logging)
# before anything has set up logging, and Python's last-resort handler
# would print it on stderr. Into logging it goes: the tests' fixtures
# capture it, and the demo, sandbox and benchmark keep the cloud's logs in
# a file of their own (base.cloud_outside_a_test).
logging.captureWarnings(True)
logging.getLogger().addHandler(logging.NullHandler())

# Nova's functional machinery monkey patches eventlet when it is imported;
# that must happen before anything else imports threading or sockets.
import nova.tests.functional  # noqa: E402,F401
