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

"""What needs a Nova control plane, and is never installed.

``functional`` (the real-Nova tests, the sandbox cloud, its demo and the
benchmark), ``clients`` (older client stacks against that cloud) and
``bench_client`` (the benchmark's client process, which must not import
nova). The unit tests, which need only the runtime requirements, stay in
``migrationhelper/tests/unit`` so that a package build can run them.
"""
