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

"""Why a VM is where it is: Nova's instance actions, events and faults.

Read only for the few VMs in ERROR or idle after a request: what a move
left behind, in Nova's own words.
"""

from migrationhelper.cloud import vocabulary
from migrationhelper.i18n import _


def failed_move(compute, server, latest_migration=None):
    """Why an ERROR server is in ERROR, if Nova's records say a move did it.

    Evidence, not a guess: its newest instance action is a move with a
    failed event (or a failed migration record of that move), and its
    fault, if any, is no older than that action. An ERROR that came later
    from something else (a failed rebuild) is not hidden by a reset.
    """
    latest = _newest_action(compute, server)
    if latest is None or latest.action not in vocabulary.MOVE_ACTIONS:
        return None
    started = vocabulary.to_second(latest.start_time)
    fault_time = vocabulary.to_second((server.fault or {}).get('created'))
    if fault_time and started and fault_time < started:
        return None
    failed_events = _failed_events(compute, server, latest)
    if failed_events:
        return _('%(action)s failed in %(event)s') % {
            'action': latest.action, 'event': failed_events[0].event}
    if (latest_migration is not None and
            latest_migration.status in vocabulary.FAILED_MIGRATION_STATUSES and
            vocabulary.to_second(latest_migration.created_at) >= started):
        return _('%(type)s %(uuid)s from %(source)s ended %(status)s') % {
            'type': latest_migration.migration_type or 'migration',
            'uuid': latest_migration.id,
            'source': latest_migration.source_compute,
            'status': latest_migration.status}
    return None


def failed_request(compute, server):
    """Nova's reason when the VM's newest move failed, or None.

    Read after a move we sent ended with the VM idle on its source: the
    newest instance action is that move's, and a failed event says why,
    also where Nova wrote no migration record (a conductor that dropped
    the request) and shows no fault (an idle VM's fault is not shown).
    """
    latest = _newest_action(compute, server)
    if latest is None or latest.action not in vocabulary.MOVE_ACTIONS:
        return None
    failed = _failed_events(compute, server, latest)
    if not failed:
        return None
    event = failed[0]
    said = (getattr(event, 'details', None) or
            _last_line(getattr(event, 'traceback', None)))
    text = _('%(action)s failed in %(event)s') % {
        'action': latest.action, 'event': event.event}
    return '%s: %s' % (text, said) if said else text


def _last_line(text):
    lines = [line.strip() for line in (text or '').splitlines()
             if line.strip()]
    return lines[-1] if lines else None


def conductor_gave_up(compute, server):
    """Whether Nova's conductor ended the VM's newest move with an error.

    The only sign that a VM left in task "migrating" with no migration
    record will never get one: the instance action's conductor event
    finished in error. Without it the request may still be queued for a
    conductor (a backed-up message bus), and Nova may still run it.
    """
    latest = _newest_action(compute, server)
    if latest is None or latest.action not in vocabulary.MOVE_ACTIONS:
        return False
    return any((e.event or '').startswith('conductor_')
               for e in _failed_events(compute, server, latest))


def _newest_action(compute, server):
    actions = list(compute.server_actions(server.id))
    return max(actions, key=lambda a: a.start_time or '') if actions \
        else None


def _failed_events(compute, server, action):
    detail = compute.get_server_action(action.request_id, server.id)
    return [e for e in (detail.events or [])
            if (e.result or '').lower() == 'error']
