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

"""The steps of a roll's wave, each host's kept in the roll's record.

``draining`` (the drain is safe to run again), ``maintaining`` (--exec:
its success is written as soon as it ends, so that a stop never runs it
again), ``awaiting-maintenance`` (step mode), ``maintained`` (waiting to
be ready), ``restoring`` (--restore, with the time the drain began): a
run that stops anywhere resumes from the step written. A step past the
drain is trusted only while the host is still closed and empty: a host
someone reopened, or that holds VMs again, is drained again.
"""

import dataclasses
import os
import time

from osc_lib import exceptions

from migrationhelper.cloud import listings
from migrationhelper.cloud import roll_record
from migrationhelper import defaults
from migrationhelper.i18n import _
from migrationhelper.moving import engine
from migrationhelper.moving import outcomes
from migrationhelper.workflows import disabled_reason
from migrationhelper.workflows import drain
from migrationhelper.workflows import host_commands
from migrationhelper.workflows import restore
from migrationhelper.workflows import undrain

Step = roll_record.Step

# A host's result in the roll's table.
MAINTAINED = 'maintained'
FAILED = 'failed'
SKIPPED = 'skipped'
PENDING = 'pending'
PLANNED = 'planned'

READY_POLL_SECONDS = 5
# Steps after which the host must still be closed and empty.
PAST_THE_DRAIN = (Step.AWAITING, Step.MAINTAINING, Step.MAINTAINED)


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
    # Drained in this run, and awaiting a person's maintenance.
    awaiting: bool = False

    def add_note(self, text):
        self.message = '; '.join(m for m in (self.message, text) if m)


class Stopped(Exception):
    """The run stops (Ctrl-C, refused credentials): an engine.Stop."""

    def __init__(self, stop):
        super().__init__(stop.kind)
        self.stop = stop


def roll_reason(name, wave):
    # Not translated: the next run reads it back.
    return _reason_head(name) + '%d' % wave


def _reason_head(name):
    return 'roll %s wave ' % name


def is_this_rolls(host, name):
    """Disabled by this roll (a drain's reason naming the roll)."""
    return (host.disabled_reason or '').startswith(
        '%s %s' % (defaults.REASON_PREFIX, _reason_head(name)))


class WaveRunner:
    """Runs waves of one roll: each step of each host, recorded."""

    def __init__(self, compute, placement, request, report, warn, say,
                 record, lease, moves, waves):
        self.compute, self.placement = compute, placement
        self.request = request
        self.report, self.warn, self.say = report, warn, say
        self.record, self.lease = record, lease
        self.moves = moves          # every VM row of the run, appended to
        self.waves = waves          # how many this run has
        self.renewed = time.monotonic()
        self.failures = 0
        # Nova's time of each host's last heartbeat when its --exec ended.
        self.beat_at_exec_end = {}

    # -- what an operator sees ---------------------------------------------

    def show(self, wave, phase):
        """The status line's title: wave k of n, its phase, hosts done."""
        if self.report is None:
            return
        selected = {h.host for h in self.request.hosts}
        self.report.title = _(
            'wave %(wave)d of %(waves)d %(phase)s, %(done)d of %(total)d '
            'hosts maintained') % {
            'wave': wave, 'waves': self.waves, 'phase': phase,
            'done': len(self.record.done & selected),
            'total': len(selected)}
        self.report.redraw()

    def renew(self):
        if time.monotonic() - self.renewed > roll_record.RENEW_SECONDS:
            self.lease.renew()
            self.renewed = time.monotonic()

    def renewing_sleep(self, seconds):
        self.renew()
        if self.report is not None:
            self.report.redraw()
        engine.idle(seconds)

    def renewing_progress(self):
        return _RenewingProgress(self.report, self.renew)

    # -- the record ----------------------------------------------------------

    def hosts_now(self, names):
        """{name: ComputeHost} of ``names``, as Nova lists them now."""
        if not names:
            return {}
        return {h.host: h for h in listings.list_compute_hosts(self.compute)
                if h.host in names}

    def set_step(self, row, name, **values):
        step = Step(name, row.wave, **values)
        self.record.set_step(row.host, step)
        return step

    def fail(self, row, steps, name, why, detail=''):
        """The host stays disabled, saying what failed; the record too.

        :param detail: more for the row only (a command's output), never
            written to Nova, where every admin reads.
        """
        self.failures += 1
        row.result = FAILED
        row.add_note(why + detail)
        steps[row.host] = self.set_step(row, name, failure=why)
        host = self.hosts_now({row.host}).get(row.host)
        if host is not None and host.status == 'disabled' and \
                is_this_rolls(host, self.request.name):
            began = disabled_reason.drained_at(host.disabled_reason)
            self.compute.update_service(
                host.service_id, status='disabled',
                disabled_reason=disabled_reason.compose(
                    '%s: %s' % (roll_reason(self.request.name, row.wave),
                                why), self.request.user, began))

    def check_steps(self, rows, steps):
        """Fit each host's step to the cloud now and to this run's mode.

        A host past its drain that someone reopened, or that holds VMs
        again, is drained again. A maintenance an earlier run left to
        --exec is a person's without it, and the other way round.
        """
        past = [r for r in rows if steps.get(r.host) is not None and
                steps[r.host].name in PAST_THE_DRAIN]
        listed = self.hosts_now({r.host for r in past})
        for row in past:
            host = listed.get(row.host)
            step = steps[row.host]
            if host is None or host.status == 'enabled' or \
                    listings.list_host_servers(self.compute, host):
                steps[row.host] = self.set_step(row, Step.DRAINING)
            elif step.name == Step.MAINTAINING and not self.request.exec_words:
                steps[row.host] = self.set_step(row, Step.AWAITING)
                row.awaiting = True
            elif step.name == Step.AWAITING and self.request.exec_words:
                steps[row.host] = self.set_step(row, Step.MAINTAINING)

    # -- the steps -----------------------------------------------------------

    def drain_wave(self, rows, steps):
        """Drain the wave's hosts at their first step, together.

        :returns: a note why the wave did not start (it no longer fits),
            or None.
        :raises Stopped: the drain stopped.
        """
        request = self.request
        names = [r.host for r in rows
                 if steps.get(r.host) is None or
                 steps[r.host].name == Step.DRAINING]
        if not names:
            return None
        wave = rows[0].wave
        compute_hosts = listings.list_compute_hosts(self.compute)
        drain_request = drain.Request(
            hosts=[h for h in compute_hosts if h.host in names],
            compute_hosts=compute_hosts, options=request.options,
            reason=disabled_reason.compose(roll_reason(request.name, wave),
                                           request.user),
            reads=request.reads,
            prefer_hosts=frozenset(self.record.done))
        fresh = [r for r in rows if r.host in names and
                 steps.get(r.host) is None]
        for row in fresh:
            steps[row.host] = self.set_step(row, Step.DRAINING)
        self.show(wave, _('draining %d') % len(names))
        started = time.monotonic()
        try:
            moved, stop = drain.drain(self.compute, self.placement,
                                      drain_request,
                                      self.renewing_progress(), self.warn)
        except exceptions.CommandError as e:
            # Planned again, it no longer fits: nothing of it changed.
            for row in fresh:
                self.record.set_step(row.host, None)
                steps.pop(row.host, None)
            for row in rows:
                row.add_note(_('not started: the wave no longer fits'))
            return _('Wave %(wave)d no longer fits the cloud as it is now; '
                     'nothing of it was changed:\n%(why)s') % {
                'wave': wave, 'why': e}
        self.moves.extend(moved)
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
                self.fail(row, steps, Step.DRAINING, _(
                    'its drain left %d (see its VMs; run the same command '
                    'again once they can move)') % len(left))
            elif request.exec_words:
                steps[row.host] = self.set_step(row, Step.MAINTAINING)
            else:
                steps[row.host] = self.set_step(row, Step.AWAITING)
                row.awaiting = True
        if stop is not None:
            raise Stopped(stop)
        return None

    def maintain_wave(self, rows, steps):
        """Run --exec side by side on the wave's hosts at that step."""
        request = self.request
        due = {r.host: r for r in rows if r.result != FAILED and
               steps.get(r.host) is not None and
               steps[r.host].name == Step.MAINTAINING}
        if not due:
            return
        hosts = self.hosts_now(set(due))
        jobs = {}
        for name, row in due.items():
            argv, env = host_commands.for_host(request.exec_words,
                                               hosts[name], row.wave)
            row.log = os.path.join(request.log_dir, 'roll-%s-%s.log' % (
                request.name, name))
            jobs[name] = (argv, env, row.log)
        wave = next(iter(due.values())).wave
        self.say(_('wave %(wave)d: maintaining %(hosts)s') % {
            'wave': wave, 'hosts': ', '.join(sorted(jobs))})
        self.show(wave, _('maintaining %d') % len(jobs))

        def ended(name, ran):
            row = due[name]
            row.maintenance = ran.seconds
            if ran.ok:
                steps[name] = self.set_step(row, Step.MAINTAINED)
                host = self.hosts_now({name}).get(name)
                self.beat_at_exec_end[name] = host and host.updated_at
            else:
                self.fail(row, steps, Step.MAINTAINING, _(
                    'maintenance failed: %(why)s (log %(log)s)') % {
                    'why': ran.why, 'log': row.log},
                    (': ' + ran.tail.replace('\n', ' | '))
                    if ran.tail else '')
        host_commands.run_all(jobs, request.exec_timeout,
                              sleep=self.renewing_sleep, ended=ended)

    def ready_wave(self, rows, steps):
        """Wait until each maintained host is ready, and reopen it."""
        request = self.request
        waiting = {r.host: r for r in rows if r.result != FAILED and
                   steps.get(r.host) is not None and steps[r.host].name in (
                       Step.MAINTAINED, Step.AWAITING, Step.RESTORING)}
        if not waiting:
            return
        started = time.monotonic()
        deadline = started + request.ready_timeout
        self.show(rows[0].wave, _('waiting for %d to be ready') %
                  len(waiting))
        while waiting:
            for name, host in sorted(self.hosts_now(set(waiting)).items()):
                if self._ready(host, waiting[name].wave):
                    row = waiting.pop(name)
                    row.ready = round(time.monotonic() - started, 1)
                    self.reopen(row, host, steps)
            if not waiting:
                return
            if time.monotonic() >= deadline:
                for row in waiting.values():
                    row.ready = round(time.monotonic() - started, 1)
                    self.fail(row, steps, steps[row.host].name, _(
                        'not ready after %d s (--ready-timeout): '
                        'nova-compute or its hypervisor down, or --check '
                        'failing') % request.ready_timeout)
                return
            self.renewing_sleep(READY_POLL_SECONDS)

    def _ready(self, host, wave):
        """nova-compute and its hypervisor up, --check passing.

        After --exec, nova-compute must also have reported since it ended:
        Nova shows a stopped service up until its reports are missed.
        """
        if not (host.is_up and host.hypervisor_states and all(
                s == 'up' for s in host.hypervisor_states)):
            return False
        before = self.beat_at_exec_end.get(host.host)
        if before and not (host.updated_at and host.updated_at > before):
            return False
        if not self.request.check_words:
            return True
        argv, env = host_commands.for_host(self.request.check_words, host,
                                           wave)
        ran = host_commands.run_all({host.host: (argv, env, None)},
                                    READY_POLL_SECONDS * 12,
                                    sleep=self.renewing_sleep)
        return ran[host.host].ok

    def reopen(self, row, host, steps):
        """Enable the host (with --restore, bring its VMs back); done."""
        try:
            if self.request.restore:
                if not self._restore(row, host, steps):
                    return
            elif host.status == 'disabled':
                undrain.undrain(self.compute, host)
        except exceptions.CommandError as e:
            self.fail(row, steps, steps[row.host].name,
                      _('not reopened: %s') % e)
            return
        self.record.add_host(row.host)
        self.record.set_step(row.host, None)
        steps.pop(row.host, None)
        row.result = MAINTAINED
        self.say(_('%s maintained and reopened') % row.host)

    def _restore(self, row, host, steps):
        """Bring back the VMs the roll moved off; True when all are."""
        step = steps[row.host]
        since = (restore.parse_time(step.since) if step.since else
                 disabled_reason.drained_at(host.disabled_reason))
        steps[row.host] = self.set_step(
            row, Step.RESTORING, since=since and restore.format_time(since))
        options = dataclasses.replace(self.request.options,
                                      target_host=host)
        moved, stop, closing = restore.restore_hosts(
            self.compute, self.placement, [restore.Request(
                host=host, since=since,
                compute_hosts=listings.list_compute_hosts(self.compute),
                options=options, reads=self.request.reads)],
            self.renewing_progress(), self.warn)
        self.moves.extend(moved)
        if stop is not None:
            raise Stopped(stop)
        if not outcomes.all_done(moved):
            self.fail(row, steps, Step.RESTORING, _(
                'not every VM is back; run the same command again'),
                ' (%s)' % ' '.join(closing) if closing else '')
            return False
        return True


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
