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

"""Roll maintenance over many hosts, a wave at a time.

Checked first, changing nothing: the selection (every host up, none
disabled by someone else), the roll's lease, and the whole sequence of
waves simulated with the placement model (``planning/waves``). Then, wave
by wave, each of its hosts goes through its steps (``roll_wave``), which
the record in Nova keeps (``cloud/roll_record``), so that a run stopped
anywhere resumes where it was:

1. drain (the wave's hosts together, with every rule of ``host drain``;
   VMs go to hosts this roll maintained first), planned again against the
   cloud as it is then: a wave that no longer fits stops the roll before
   it changes anything;
2. the maintenance: --exec, side by side on the wave's empty hosts; or,
   without it, the roll stops and says which hosts await it;
3. ready: nova-compute and its hypervisor up, and --check passing;
4. reopen: the service enabled (with --restore, the VMs the roll moved
   off brought back), the host added to the record's done hosts.
"""

import dataclasses
import datetime

from osc_lib import exceptions

from migrationhelper.cloud import hosts
from migrationhelper.cloud import listings
from migrationhelper.cloud import roll_record
from migrationhelper import errors
from migrationhelper.i18n import _
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.planning import decision
from migrationhelper.planning import destinations
from migrationhelper.planning import plan
from migrationhelper.planning import waves
from migrationhelper.workflows import roll_wave

STOP = 'stop'
SKIP = 'skip'
ON_FAILURE_CHOICES = (STOP, SKIP)

HostRow = roll_wave.HostRow
MAINTAINED = roll_wave.MAINTAINED
FAILED = roll_wave.FAILED
SKIPPED = roll_wave.SKIPPED
PENDING = roll_wave.PENDING
PLANNED = roll_wave.PLANNED
Step = roll_record.Step


@dataclasses.dataclass
class Request:
    name: str
    hosts: list                     # hosts.ComputeHost selected
    compute_hosts: list             # every compute host of the cloud
    options: engine.Options
    max_unavailable: int = 1
    exec_words: list | None = None
    exec_timeout: float = 3600
    check_words: list | None = None
    ready_timeout: float = 1800
    on_failure: str = STOP
    max_failures: int = 1
    restore: bool = False
    until: datetime.datetime | None = None
    dry_run: bool = False
    reads: plan.Reads = plan.Reads()
    user: str | None = None
    log_dir: str = '.'
    settings: str = ''
    holder: str = dataclasses.field(default_factory=roll_record.holder_id)


@dataclasses.dataclass
class Result:
    hosts: list                     # HostRow, in the roll's order
    moves: list                     # outcomes.Outcome of every VM moved
    stop: engine.Stop | None = None
    until_passed: bool = False
    # Why the roll ended before its last wave (a wave no longer fits).
    ended_early: str | None = None
    closing: list = dataclasses.field(default_factory=list)
    sequence: waves.Sequence | None = None


def select_hosts(compute, compute_hosts, names, aggregates=(), zones=(),
                 excluded=()):
    """The union of hosts named, aggregates' and zones', less ``excluded``.

    :raises CommandError: an unknown name of any kind; nothing changed.
    """
    names = list(names)
    for name in aggregates:
        members = listings.aggregate_hosts(compute, name)
        if members is None:
            raise exceptions.CommandError(
                _('No host aggregate is named %s.') % name)
        names.extend(members)
    if zones:
        by_zone = listings.zone_compute_hosts(compute)
        for name in zones:
            if name not in by_zone:
                raise exceptions.CommandError(
                    _('No availability zone is named %s.') % name)
            names.extend(by_zone[name])
    if not names:
        raise exceptions.CommandError(_(
            'Name the hosts to maintain: hosts, --aggregate or --zone.'))
    left_out = {h.host for h in hosts.resolve_all(excluded, compute_hosts)}
    selected = hosts.resolve_all(list(dict.fromkeys(names)), compute_hosts)
    return list({h.host: h for h in selected
                 if h.host not in left_out}.values())


def check_selection(request):
    """Every selected host up, and enabled or disabled by this roll.

    :raises CommandError: naming each host refused; nothing changed.
    """
    refused = []
    for host in request.hosts:
        if not host.is_up:
            refused.append(_('%s: its nova-compute service is down') %
                           host.host)
        elif host.status != 'enabled' and not roll_wave.is_this_rolls(
                host, request.name):
            refused.append(_('%(host)s: disabled by someone else (%(why)s)')
                           % {'host': host.host,
                              'why': host.disabled_reason or _('no reason')})
    if not request.hosts:
        refused.append(_('no host is selected'))
    if refused:
        raise exceptions.CommandError(_(
            'The roll cannot start (nothing was changed):\n  %s') %
            '\n  '.join(refused))


def refuse_held(name, holder, until):
    raise exceptions.CommandError(_(
        'Roll %(name)s is running (%(holder)s holds it until %(until)s, '
        'renewed while it runs): nothing was changed. Give another --name '
        'for a roll of its own.') % {
        'name': name, 'holder': holder,
        'until': until.strftime('%Y-%m-%d %H:%M:%SZ')})


def check_lease(lease):
    """Refuse while another run holds the roll's lease."""
    holder, until = lease.current()
    if holder and holder != lease.holder and until > roll_record.now():
        refuse_held(lease.roll, holder, until)


def plan_roll(compute, placement, request, record, warn):
    """The sequence of waves, checked; refuse before anything changes.

    Hosts past their drain (an earlier run's) have nothing to move and go
    first.

    :returns: (waves.Sequence, done hosts, {host: Step}, {host: planned}).
    :raises CommandError: a wave cannot be absorbed.
    """
    fresh = record is None or record.state == roll_record.FINISHED
    done = set() if fresh else record.done
    steps = {} if fresh else record.steps()
    names = {h.host for h in request.hosts}
    for host in sorted(set(steps) - names):
        warn(_('%(host)s is mid-way in roll %(name)s (%(step)s) but not '
               'selected: it stays as it is, disabled; select it again to '
               'finish it, or reopen it with openstack host undrain.') % {
            'host': host, 'name': request.name, 'step': steps[host]})
    steps = {h: s for h, s in steps.items() if h in names}
    todo = [h for h in request.hosts if h.host not in done]
    planned_on = {h.host: plan.plan_host(
        compute, h, request.options.consent, None, request.reads)
        for h in todo if steps.get(h.host) is None or
        steps[h.host].name == Step.DRAINING}
    moving = [p for ps in planned_on.values() for p in ps
              if destinations.needs_room(p)]
    receiving = [h for h in request.compute_hosts
                 if h.is_up and (h.status == 'enabled' or (
                     h.host in names and roll_wave.is_this_rolls(
                         h, request.name)))]
    needs, receivers, groups, read, _summaries = destinations.model_inputs(
        compute, placement, moving, receiving, read_all=True)
    for warning in dict.fromkeys(read.warnings):
        warn(warning)
    by_key = {n.key: n for n in needs}
    roll_hosts = []
    for host in todo:
        mine = planned_on.get(host.host, ())
        roll_hosts.append(waves.RollHost(
            host.host,
            tuple(by_key[p.server.id] for p in mine if p.server.id in by_key),
            tuple(('%s (%s)' % (p.server.name, p.server.id),
                   p.decision.reason) for p in mine
                  if p.decision.action == decision.SKIP),
            frozenset(p.server.id for p in mine if p.decision.downtime)))
    sequence = waves.simulate(
        roll_hosts, receivers, groups, request.max_unavailable,
        maintained=done, first=set(steps), restore=request.restore)
    if sequence.refusal is not None:
        raise exceptions.CommandError(_(
            'The roll cannot be absorbed (nothing was changed): %s') %
            sequence.refusal)
    return sequence, done, steps, planned_on


def roll(compute, placement, request, report=None, warn=None, say=None):
    """Run (or resume) the roll; return a :class:`Result`.

    :raises CommandError: before anything changed: the selection, the
        lease, a sequence that cannot be absorbed.
    """
    warn = warn or (lambda text: None)
    say = say or (lambda text: None)
    check_selection(request)
    lease = roll_record.Lease(compute, request.name, request.holder,
                              min(h.host for h in request.compute_hosts))
    if not request.dry_run:
        check_lease(lease)
    record = roll_record.Record.find(compute, request.name)
    sequence, done, steps, planned_on = plan_roll(
        compute, placement, request, record, warn)
    rows = [HostRow(h, None, MAINTAINED,
                    message=_('maintained by an earlier run'))
            for h in sorted(done & {h.host for h in request.hosts})]
    by_wave = []
    for wave in sequence.waves:
        wave_rows = [HostRow(h, wave.number) for h in wave.hosts]
        by_wave.append(wave_rows)
        rows.extend(wave_rows)
    result = Result(rows, [], sequence=sequence)
    if request.dry_run:
        _planned_rows(by_wave, sequence, planned_on)
        return result
    if request.until is not None and roll_record.now() >= request.until \
            and not steps:
        result.until_passed = True
        result.closing = closing_lines(request, result)
        return result
    try:
        try:
            lease.take()
        except roll_record.Held as held:
            refuse_held(request.name, held.holder, held.until)
        record = _open_record(compute, request)
        runner = roll_wave.WaveRunner(compute, placement, request, report,
                                      warn, say, record, lease, result.moves,
                                      len(sequence.waves))
        _run_waves(runner, by_wave, steps, result)
        if all(r.result == MAINTAINED for r in rows):
            record.write(**{roll_record.STATE: roll_record.FINISHED})
    except KeyboardInterrupt:
        result.stop = engine.Stop(engine.INTERRUPTED)
    except roll_wave.Stopped as e:
        result.stop = e.stop
    except errors.REQUEST_ERRORS + errors.AUTH_ERRORS as e:
        if not errors.credentials_refused(e):
            raise
        result.stop = engine.Stop(engine.CREDENTIALS_REFUSED, e)
    finally:
        _release(lease, warn)
    result.closing = closing_lines(request, result)
    return result


def _open_record(compute, request):
    # Read again (or made) once the lease is held: no other run writes it
    # from now on.
    record = roll_record.Record.find_or_create(compute, request.name)
    if record.state == roll_record.FINISHED:
        record.start_over()
    record.write(**{roll_record.STATE: roll_record.RUNNING,
                    roll_record.SETTINGS: request.settings[
                        :roll_record.VALUE_MAX_LENGTH]})
    return record


def _release(lease, warn):
    try:
        lease.release()
    except errors.REQUEST_ERRORS + errors.AUTH_ERRORS as e:
        warn(_('The roll\'s lease could not be released (%s): it lapses '
               'by itself %d minutes after its last renewal.') % (
            type(e).__name__, roll_record.LEASE_SECONDS // 60))


def _run_waves(runner, by_wave, steps, result):
    request = runner.request
    for wave_rows in by_wave:
        if runner.failures and (request.on_failure == STOP or
                                runner.failures > request.max_failures):
            _skipped(by_wave, runner.failures)
            return
        resuming = any(steps.get(r.host) for r in wave_rows)
        if not resuming and request.until is not None and \
                roll_record.now() >= request.until:
            result.until_passed = True
            return
        if not resuming:
            runner.say(_('wave %(wave)d: %(hosts)s') % {
                'wave': wave_rows[0].wave,
                'hosts': ', '.join(r.host for r in wave_rows)})
        runner.check_steps(wave_rows, steps)
        result.ended_early = runner.drain_wave(wave_rows, steps)
        if result.ended_early:
            return
        if request.exec_words:
            runner.maintain_wave(wave_rows, steps)
        elif any(r.awaiting for r in wave_rows):
            for row in wave_rows:
                if row.awaiting:
                    row.add_note(_('awaiting maintenance'))
            return
        runner.ready_wave(wave_rows, steps)


def _skipped(by_wave, failures):
    """The hosts not started because of the failures: skipped."""
    for wave_rows in by_wave:
        for row in wave_rows:
            if row.result == PENDING and row.drain is None:
                row.result = SKIPPED
                row.add_note(_('not started: the roll stopped after %d '
                               'failed host(s)') % failures)


def _planned_rows(by_wave, sequence, planned_on):
    for wave_rows, wave in zip(by_wave, sequence.waves):
        for row in wave_rows:
            row.result = PLANNED
            for p in planned_on.get(row.host, ()):
                row.vms.append({
                    'id': p.server.id, 'name': p.server.name,
                    'action': p.decision.action,
                    'destination': wave.destinations.get(p.server.id)})


def closing_lines(request, result):
    """What an operator reads last: how it ended, and what comes next."""
    rows = result.hosts
    lines = []
    moved = [o for o in result.moves if o.result == outcomes.MOVED]
    if moved:
        vms = len({o.server_id for o in moved})
        lines.append(_('%(moves)d moves of %(vms)d VMs (%(per).2f per VM '
                       'moved)') % {'moves': len(moved), 'vms': vms,
                                    'per': len(moved) / vms})
    awaiting = [r.host for r in rows if r.awaiting and r.result == PENDING]
    if awaiting:
        lines.append(_(
            'Awaiting maintenance, disabled with the roll\'s reason: '
            '%(hosts)s. Maintain them, then run the same command again: it '
            'checks them ready, reopens them and goes on.') % {
            'hosts': ', '.join(awaiting)})
    failed = [r for r in rows if r.result == FAILED]
    for row in failed:
        lines.append(_('%(host)s failed and stays disabled: %(why)s') % {
            'host': row.host, 'why': row.message})
    if result.until_passed:
        lines.append(_('--until %s passed: no further wave started; run the '
                       'same command again to go on.') %
                     request.until.strftime('%Y-%m-%d %H:%M:%SZ'))
    elif result.ended_early:
        lines.append(result.ended_early)
    if result.stop is not None or failed:
        lines.append(_('Run the same command again to resume: maintained '
                       'hosts are not maintained again.'))
    return lines
