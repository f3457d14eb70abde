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

"""One workflow per command: read, plan, check, move, verify, report.

``drain`` (and undrain), ``restore``, ``smart_migrate``,
``host_vms``, ``host_status``, and ``emptiness`` (is a host really
empty? Nova's listing and placement's, reconciled), which drain and
status share. Each takes proxies and a request, returns rows; the
commands in ``v1`` only parse, call one of these and render.
"""
