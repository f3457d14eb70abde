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
disabled by someone else), the lease of the roll's record, and the whole
sequence of waves simulated with the placement model (``waves``). Then,
wave by wave, each of its hosts goes through its steps, which the record
in Nova keeps (``roll_record``) so that a run stopped anywhere resumes
where it was:

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
import os
import time

from osc_lib import exceptions

from migrationhelper.cloud import listings
from migrationhelper.cloud import roll_record
from migrationhelper import defaults
from migrationhelper.i18n import _
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.planning import decision
from migrationhelper.planning import destinations
from migrationhelper.planning import plan
from migrationhelper.planning import waves
from migrationhelper.workflows import disabled_reason
from migrationhelper.workflows import drain
from migrationhelper.workflows import host_commands
from migrationhelper.workflows import restore
from migrationhelper.workflows import undrain

STOP = 'stop'
SKIP = 'skip'
ON_FAILURE_CHOICES = (STOP, SKIP)

# A host's result in the roll's table.
MAINTAINED = 'maintained'
FAILED = 'failed'
SKIPPED = 'skipped'
PENDING = 'pending'
PLANNED = 'planned'

READY_POLL_SECONDS = 5
# Why a roll ended before its last wave, besides engine.Stop.
UNTIL = 'until'


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
class HostRow:
    host: str
    wave: int | None
    result: str = PENDING
    vms_moved: int = 0
    drain: float | None = None
    maintenance: float | None = None
    ready: float | None = None
    log: str | None = None
    message: str = ''
    # A dry run's plan: one dict per VM (id, name, action, destination).
    vms: list = dataclasses.field(default_factory=list)

    def add_note(self, text):
        self.message = '; '.join(m for m in (self.message, text) if m)


@dataclasses.dataclass
class Result:
    hosts: list                     # HostRow, in the roll's order
    moves: list                     # outcomes.Outcome of every VM moved
    stop: engine.Stop | None = None
    ended_early: str | None = None  # UNTIL, or a wave that no longer fit
    closing: list = dataclasses.field(default_factory=list)
    sequence: waves.Sequence | None = None


def roll_reason(name, wave):
    return _reason_head(name) + '%d' % wave


def _reason_head(name):
    # Not translated: the next run reads it back.
    return 'roll %s wave ' % name


def is_this_rolls(host, name):
    reason = host.disabled_reason or ''
    return disabled_reason.is_ours(reason) and reason.startswith(
        '%s %s' % (defaults.REASON_PREFIX, _reason_head(name)))


def check_selection(request):
    """Every selected host up, and enabled or disabled by this roll.

    :raises CommandError: naming each host refused; nothing changed.
    """
    refused = []
    for host in request.hosts:
        if not host.is_up:
            refused.append(_('%s: its nova-compute service is down') %
                           host.host)
        elif host.status != 'enabled' and not is_this_rolls(
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


def check_lease(record, holder):
    """Refuse while another run holds the roll's lease."""
    other, until = record.lease()
    if other and other != holder and until > roll_record.now():
        raise exceptions.CommandError(_(
            'Roll %(name)s is running (%(holder)s holds it until '
            '%(until)s, renewed while it runs): nothing was changed. Give '
            'another --name for a roll of its own.') % {
            'name': record.aggregate.name[len(
                roll_record.AGGREGATE_PREFIX):],
            'holder': other, 'until': until.strftime('%Y-%m-%d %H:%M:%SZ')})


class _Roll:
    """One run of a roll; see the module's doc."""

    def __init__(self, compute, placement, request, report, warn, say):
        self.compute, self.placement = compute, placement
        self.request = request
        self.report, self.warn, self.say = report, warn, say
        self.record = None
        self.renewed = 0.0
        self.failures = 0
        self.waves = 0
        self.maintained = 0
        self.total = len(request.hosts)

    def show(self, wave, phase):
        """The status line's title: wave k of n, its phase, hosts done."""
        if self.report is None:
            return
        self.report.title = _(
            'wave %(wave)d of %(waves)d %(phase)s, %(done)d of %(total)d '
            'hosts maintained') % {
            'wave': wave, 'waves': self.waves, 'phase': phase,
            'done': self.maintained, 'total': self.total}
        self.report.redraw()

    # -- before anything changes -------------------------------------------

    def plan(self, record):
        request = self.request
        fresh = record is None or record.state == roll_record.FINISHED
        done = set() if fresh else record.done
        steps = {} if fresh else record.steps()
        names = {h.host for h in request.hosts}
        todo = [h for h in request.hosts if h.host not in done]
        planned_on = {h.host: plan.plan_host(
            self.compute, h, request.options.consent, None, request.reads)
            for h in todo}
        moving = [p for ps in planned_on.values() for p in ps
                  if destinations.needs_room(p)]
        receiving = [h for h in request.compute_hosts
                     if h.is_up and (h.status == 'enabled' or (
                         h.host in names and is_this_rolls(h, request.name)))]
        needs, receivers, groups, read, _summaries = \
            destinations.model_inputs(self.compute, self.placement, moving,
                                      receiving, read_all=True)
        for warning in dict.fromkeys(read.warnings):
            self.warn(warning)
        by_key = {n.key: n for n in needs}
        roll_hosts = []
        for host in todo:
            mine = planned_on[host.host]
            roll_hosts.append(waves.RollHost(
                host.host,
                tuple(by_key[p.server.id] for p in mine
                      if p.server.id in by_key),
                tuple(('%s (%s)' % (p.server.name, p.server.id),
                       p.decision.reason) for p in mine
                      if p.decision.action == decision.SKIP),
                frozenset(p.server.id for p in mine
                          if p.decision.downtime)))
        sequence = waves.simulate(
            roll_hosts, receivers, groups, request.max_unavailable,
            maintained=done, first=set(steps) & names)
        if sequence.refusal is not None:
            raise exceptions.CommandError(_(
                'The roll cannot be absorbed (nothing was changed): %s') %
                sequence.refusal)
        return sequence, done, steps, planned_on

    # -- the record --------------------------------------------------------

    def open_record(self):
        record = roll_record.Record.find_or_create(self.compute,
                                                   self.request.name)
        check_lease(record, self.request.holder)
        if record.state == roll_record.FINISHED:
            record.start_over()
        record.take_lease(self.request.holder)
        # Two runs that wrote at once: the last write holds the lease.
        check_lease(record.refresh(), self.request.holder)
        record.write(**{roll_record.STATE: roll_record.RUNNING,
                        roll_record.SETTINGS: self.request.settings[
                            :roll_record.VALUE_MAX_LENGTH]})
        self.record = record
        self.renewed = time.monotonic()

    def renew(self):
        if self.record is not None and time.monotonic() - self.renewed > \
                roll_record.RENEW_SECONDS:
            self.record.take_lease(self.request.holder)
            self.renewed = time.monotonic()

    def release(self):
        if self.record is not None:
            self.record.write(**{roll_record.LEASE: None})

    # -- per wave ----------------------------------------------------------

    def hosts_now(self, names):
        listed = {h.host: h for h in listings.list_compute_hosts(
            self.compute)}
        return [listed[n] for n in names if n in listed]

    def fail(self, row, step, why):
        """The host stays disabled, saying what failed; the record too."""
        self.failures += 1
        row.result = FAILED
        row.add_note(why)
        self.record.set_step(row.host, roll_record.Step(step, row.wave, why))
        for host in self.hosts_now([row.host]):
            if host.status == 'disabled' and is_this_rolls(host,
                                                           self.request.name):
                began = disabled_reason.drained_at(host.disabled_reason)
                self.compute.update_service(
                    host.service_id, status='disabled',
                    disabled_reason=disabled_reason.compose(
                        '%s: %s' % (roll_reason(self.request.name, row.wave),
                                    why), self.request.user, began))

    def drain_wave(self, rows, steps, result):
        """Drain the hosts of the wave that are at their first step."""
        request = self.request
        names = [r.host for r in rows
                 if steps.get(r.host) is None or
                 steps[r.host].name == roll_record.Step.DRAINING]
        if not names:
            return None
        compute_hosts = listings.list_compute_hosts(self.compute)
        wave = rows[0].wave
        drain_request = drain.Request(
            hosts=[h for h in compute_hosts if h.host in names],
            compute_hosts=compute_hosts, options=request.options,
            reason=disabled_reason.compose(roll_reason(request.name, wave),
                                           request.user),
            reads=request.reads,
            prefer_hosts=frozenset(self.record.done))
        for name in names:
            if steps.get(name) is None:
                self.record.set_step(name, roll_record.Step(
                    roll_record.Step.DRAINING, wave))
        self.show(wave, _('draining %d') % len(names))
        started = time.monotonic()
        try:
            moved, stop = drain.drain(self.compute, self.placement,
                                      drain_request, self._renewing(),
                                      self.warn)
        except exceptions.CommandError as e:
            # Planned again, it no longer fits: nothing of the wave changed.
            for name in names:
                if steps.get(name) is None:
                    self.record.set_step(name, None)
            for row in rows:
                row.add_note(_('not started: the wave no longer fits'))
            result.ended_early = _(
                'Wave %(wave)d no longer fits the cloud as it is now; '
                'nothing of it was changed:\n%(why)s') % {
                'wave': wave, 'why': e}
            return engine.Stop('no longer fits')
        result.moves.extend(moved)
        seconds = round(time.monotonic() - started, 1)
        for row in rows:
            if row.host not in names:
                continue
            mine = [o for o in moved if o.source == row.host]
            row.drain = seconds
            row.vms_moved = sum(o.result == outcomes.MOVED for o in mine)
            left = [o for o in mine if not (
                o.result == outcomes.MOVED or o.settled)]
            if stop is not None:
                row.add_note(_('drain stopped early'))
            elif left:
                self.fail(row, roll_record.Step.DRAINING, _(
                    'its drain left %d (see the VM rows; run the same '
                    'command again once they can move)') % len(left))
            else:
                steps[row.host] = roll_record.Step(
                    roll_record.Step.MAINTAINING if request.exec_words
                    else roll_record.Step.AWAITING, wave)
                self.record.set_step(row.host, steps[row.host])
        return stop

    def maintain_wave(self, rows, steps):
        """Run --exec on the wave's hosts that are at that step."""
        request = self.request
        ready = [r for r in rows if r.result != FAILED and steps.get(
            r.host) is not None and steps[r.host].name ==
            roll_record.Step.MAINTAINING]
        if not ready:
            return
        jobs = {}
        for row, host in zip(ready, self.hosts_now([r.host for r in ready])):
            argv, env = host_commands.for_host(request.exec_words, host,
                                               row.wave)
            row.log = os.path.join(request.log_dir, 'roll-%s-%s.log' % (
                request.name, host.host))
            jobs[row.host] = (argv, env, row.log)
        self.say(_('wave %(wave)d: maintaining %(hosts)s') % {
            'wave': ready[0].wave, 'hosts': ', '.join(sorted(jobs))})
        self.show(ready[0].wave, _('maintaining %d') % len(jobs))
        ran = host_commands.run_all(jobs, request.exec_timeout,
                                    sleep=self._renewing_sleep)
        for row in ready:
            one = ran[row.host]
            row.maintenance = one.seconds
            if one.ok:
                steps[row.host] = roll_record.Step(
                    roll_record.Step.MAINTAINED, row.wave)
                self.record.set_step(row.host, steps[row.host])
            else:
                self.fail(row, roll_record.Step.MAINTAINING, _(
                    'maintenance failed: %(why)s (log %(log)s)%(tail)s') % {
                    'why': one.why, 'log': row.log,
                    'tail': (': ' + one.tail.replace('\n', ' | '))
                    if one.tail else ''})

    def ready_wave(self, rows, steps):
        """Wait until each maintained host is ready; True if all are."""
        request = self.request
        waiting = {r.host: r for r in rows if r.result != FAILED and
                   steps.get(r.host) is not None and steps[r.host].name in (
                       roll_record.Step.MAINTAINED,
                       roll_record.Step.AWAITING)}
        started = time.monotonic()
        deadline = started + request.ready_timeout
        if waiting:
            self.show(rows[0].wave, _('waiting for %d to be ready') %
                      len(waiting))
        while waiting:
            for host in self.hosts_now(sorted(waiting)):
                if self._ready(host, waiting[host.host].wave):
                    row = waiting.pop(host.host)
                    row.ready = round(time.monotonic() - started, 1)
                    self.reopen(row, host)
            if not waiting:
                break
            if time.monotonic() >= deadline:
                for row in waiting.values():
                    row.ready = round(time.monotonic() - started, 1)
                    self.fail(row, roll_record.Step.MAINTAINED, _(
                        'not ready after %d s (--ready-timeout): '
                        'nova-compute or its hypervisor down, or --check '
                        'failing') % request.ready_timeout)
                break
            self._renewing_sleep(READY_POLL_SECONDS)

    def _ready(self, host, wave):
        if not (host.is_up and host.hypervisor_states and all(
                s == 'up' for s in host.hypervisor_states)):
            return False
        if not self.request.check_words:
            return True
        argv, env = host_commands.for_host(self.request.check_words, host,
                                           wave)
        ran = host_commands.run_all({host.host: (argv, env, None)},
                                    READY_POLL_SECONDS * 12,
                                    sleep=self._renewing_sleep)
        return ran[host.host].ok

    def reopen(self, row, host):
        """Enable the host (with --restore, bring its VMs back); done."""
        if self.request.restore and host.status == 'disabled':
            options = dataclasses.replace(self.request.options,
                                          target_host=host)
            moved, stop, closing = restore.restore_hosts(
                self.compute, self.placement, [restore.Request(
                    host=host, compute_hosts=listings.list_compute_hosts(
                        self.compute), options=options,
                    reads=self.request.reads)], self._renewing(),
                self.warn)
            if stop is not None:
                raise _Stopped(stop)
            if closing:
                row.add_note(' '.join(closing))
        elif host.status == 'disabled':
            undrain.undrain(self.compute, host)
        self.record.add_host(row.host)
        self.record.set_step(row.host, None)
        row.result = MAINTAINED
        self.maintained += 1
        self.say(_('%s maintained and reopened') % row.host)

    def _renewing(self):
        return _RenewingProgress(self.report, self.renew)

    def _renewing_sleep(self, seconds):
        self.renew()
        if self.report is not None:
            self.report.redraw()
        engine.idle(seconds)


class _Stopped(Exception):
    def __init__(self, stop):
        super().__init__(stop.kind)
        self.stop = stop


class _RenewingProgress:
    """The drain's progress, renewing the roll's lease as it goes."""

    def __init__(self, progress, renew):
        self.progress, self.renew = progress, renew

    def __call__(self, move, text):
        if self.progress is not None:
            self.progress(move, text)

    def status(self, counts):
        self.renew()
        if self.progress is not None:
            self.progress.status(counts)

    def __getattr__(self, name):
        return getattr(self.progress, name)


def roll(compute, placement, request, report=None, warn=None, say=None):
    """Run (or resume) the roll; return a :class:`Result`.

    :raises CommandError: before anything changed: the selection, the
        lease, a sequence that cannot be absorbed.
    """
    warn = warn or (lambda text: None)
    say = say or (lambda text: None)
    check_selection(request)
    run = _Roll(compute, placement, request, report, warn, say)
    record = roll_record.Record.find(compute, request.name)
    if record is not None and not request.dry_run:
        check_lease(record, request.holder)
    sequence, done, steps, planned_on = run.plan(record)
    rows = [HostRow(h, None, MAINTAINED, message=_('maintained by an '
                                                   'earlier run'))
            for h in sorted(done & {h.host for h in request.hosts})]
    by_wave = []
    for wave in sequence.waves:
        wave_rows = [HostRow(h, wave.number) for h in wave.hosts]
        by_wave.append(wave_rows)
        rows.extend(wave_rows)
    result = Result(rows, [], sequence=sequence)
    run.waves = len(sequence.waves)
    run.maintained = len(done & {h.host for h in request.hosts})
    if request.dry_run:
        _planned_rows(by_wave, sequence, planned_on)
        return result
    if request.until is not None and roll_record.now() >= request.until \
            and not steps:
        result.ended_early = UNTIL
        result.closing = closing_lines(request, result)
        return result
    run.open_record()
    try:
        _run_waves(run, by_wave, steps, result)
    except KeyboardInterrupt:
        result.stop = engine.Stop(engine.INTERRUPTED)
    except _Stopped as e:
        result.stop = e.stop
    finally:
        run.release()
    if all(r.result == MAINTAINED for r in rows):
        run.record.write(**{roll_record.STATE: roll_record.FINISHED})
    result.closing = closing_lines(request, result)
    return result


def _run_waves(run, by_wave, steps, result):
    request = run.request
    for wave_rows in by_wave:
        if run.failures and (request.on_failure == STOP or
                             run.failures > request.max_failures):
            _skipped(by_wave, run.failures)
            break
        wave_steps = {r.host: steps.get(r.host) for r in wave_rows}
        resuming = any(wave_steps.values())
        if not resuming and request.until is not None and \
                roll_record.now() >= request.until:
            result.ended_early = UNTIL
            break
        if not resuming:
            run.say(_('wave %(wave)d: %(hosts)s') % {
                'wave': wave_rows[0].wave,
                'hosts': ', '.join(r.host for r in wave_rows)})
        stop = run.drain_wave(wave_rows, wave_steps, result)
        if stop is not None:
            if stop.kind in (engine.INTERRUPTED, engine.CREDENTIALS_REFUSED):
                result.stop = stop
            break
        if request.exec_words:
            run.maintain_wave(wave_rows, wave_steps)
        elif any(s is not None and s.name == roll_record.Step.AWAITING and
                 not _awaited_before(r, steps)
                 for r, s in ((r, wave_steps[r.host]) for r in wave_rows)):
            for row in wave_rows:
                if row.result != FAILED:
                    row.add_note(_('awaiting maintenance'))
            return
        run.ready_wave(wave_rows, wave_steps)


def _skipped(by_wave, failures):
    """The hosts not started because of the failures: skipped."""
    for wave_rows in by_wave:
        for row in wave_rows:
            if row.result == PENDING and row.drain is None:
                row.result = SKIPPED
                row.add_note(_('not started: the roll stopped after %d '
                               'failed host(s)') % failures)


def _awaited_before(row, steps):
    """The host awaited its maintenance when this run began: it is done."""
    step = steps.get(row.host)
    return step is not None and step.name == roll_record.Step.AWAITING


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
    awaiting = [r.host for r in rows if 'awaiting maintenance' in r.message]
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
    if result.ended_early == UNTIL:
        lines.append(_('--until %s passed: no further wave started; run the '
                       'same command again to go on.') %
                     request.until.strftime('%Y-%m-%d %H:%M:%SZ'))
    elif result.ended_early:
        lines.append(result.ended_early)
    if result.stop is not None or failed:
        lines.append(_('Run the same command again to resume: maintained '
                       'hosts are not maintained again.'))
    return lines
