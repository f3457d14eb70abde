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

"""What to do about a failed move, from Nova's own words.

Nova's failure messages are stable enough to recognise the usual causes;
each maps to the one thing an operator should check first.
"""

import re

_HINTS = (
    (re.compile(r'no valid host', re.I),
     'no host could take it: check free capacity, server group '
     '(anti-)affinity and disabled or down hosts'),
    (re.compile(r'invtsc|cpu.*(incompatib|not compatible|feature)|'
                r'(incompatib|not compatible).*cpu', re.I),
     'CPU model or feature mismatch between source and target (the '
     'howto\'s invtsc case): align cpu_mode/cpu_models on the computes, or '
     'remove the feature from the CPU map'),
    (re.compile(r'shared storage|InvalidSharedStorage', re.I),
     'source and target share no instance storage: use block migration '
     '(block_migration auto does when Nova can tell)'),
    (re.compile(r'hypervisor.*(version|older)|MigrationPreCheckError', re.I),
     'source and target hypervisors differ: pick a target with the same '
     'version (--same-version)'),
)


def hint_for(message):
    """The operator's next step for a Nova failure message, or None."""
    for pattern, hint in _HINTS:
        if message and pattern.search(message):
            return hint
    return None
