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

"""Talking to the APIs, deciding nothing.

Nova's and placement's listings and reads (hosts, servers, migrations,
server groups, providers, images, ports, boot volumes, project names),
why a move failed in Nova's words (forensics), the guard every request
goes through, credentials over a long run, the calls older SDKs lack, how
an operator's host name resolves, and ``vocabulary``: every status,
type, resource class and time form, defined once. Nothing here imports
planning, moving, workflows or the commands.
"""
