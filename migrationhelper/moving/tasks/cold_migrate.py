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

"""``nova migrate``, then the resize confirmed.

The howto's SHUTOFF case: cold migration (to the model's host, which the
scheduler validates), waited for, confirmed so that no VM is left in
VERIFY_RESIZE, verified, retried on failure. A running VM that cannot
move live goes this way too when the operator accepts the downtime: Nova
stops it, copies it and starts it on the new host.
"""

from migrationhelper.cloud import sdk_compat
from migrationhelper.i18n import _
from migrationhelper.moving.tasks import migration_attempts


# The statuses Nova cold-migrates; the VM ends in the one it had. The
# decision table sends running VMs live unless they cannot move live.
STATUSES = frozenset(('SHUTOFF', 'ACTIVE'))


def steps(task):
    return (yield from migration_attempts.with_retries(
        task, _('cold-migrating'), _send, STATUSES))


def _send(task):
    return sdk_compat.migrate_server(task.compute, task.server, task.target)
