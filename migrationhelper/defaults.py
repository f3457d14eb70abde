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

"""Defaults and names the command line needs before anything runs.

The commands' argument parsers and the engine take their defaults from
here: one place for every number an operator may want to know.
"""

# A real live migration of a large, busy VM can take the better part of an
# hour; anything longer deserves the operator's attention.
DEFAULT_TIMEOUT = 3600
DEFAULT_RETRIES = 1
# A live migration whose memory left has not reached a new low for this
# long does not converge (a VM dirtying memory as fast as it is copied).
# Generous: a large VM's copy may plateau for a minute or two between
# rounds, and a slow copy that keeps going lower is never stopped.
DEFAULT_STALL_TIMEOUT = 300
# Seconds before a request with no answer is given up (reads are then
# retried, a move is looked for in Nova), unless clouds.yaml sets
# api_timeout: a busy nova-api answers within seconds, a big listing in
# well under a minute.
API_TIMEOUT = 60
# Moves in flight per source host (see migrationhelper.engine).
LIVE_PER_SOURCE = 2
COLD_PER_SOURCE = 4

ABORT = 'abort'
FORCE_COMPLETE = 'force-complete'
LEAVE = 'leave'
ON_TIMEOUT_CHOICES = (ABORT, FORCE_COMPLETE, LEAVE)
# An abort or force-complete sent at the timeout gets --timeout seconds to
# end, and never less than this: Nova pauses the VM or rolls the copy back
# first, which a short --timeout would not leave it time for.
MIN_TIMEOUT_AFTER_ABORT = 30

# Every disabled reason a drain sets starts with this, so that undrain
# knows its own.
REASON_PREFIX = 'migrationhelper:'
