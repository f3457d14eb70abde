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

"""Moving VMs: the engine, one task per move kind, and what each one did.

``engine`` schedules the tasks and polls Nova for all of them together;
``tasks`` has one module per move kind over a small base, as
nova/conductor/tasks/; ``outcomes`` are the result rows, ``progress``
the lines on stderr, ``convergence`` and ``hints`` read a live copy's
progress and a failure's words. May import ``cloud`` and ``planning``.
"""
