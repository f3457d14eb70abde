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

"""The operator's commands a roll runs per host: --exec and --check.

Never through a shell: the command line is split into words once, as a
shell would (shlex), and ``{host}`` and ``{hypervisor}`` are replaced
inside each word afterwards, so that a host's name is one word whatever
it holds. The caller's environment is passed on, with
``MIGRATIONHELPER_HOST`` and ``MIGRATIONHELPER_WAVE``. Each command runs
in a session of its own, so that a timeout or Ctrl-C ends it with every
process it started.
"""

import dataclasses
import os
import shlex
import signal
import subprocess
import time

from migrationhelper.i18n import _

# How often a running command and a host not ready yet are looked at.
POLL_SECONDS = 0.5
# Lines of a failed command's output shown in its row.
TAIL_LINES = 5


def split(text):
    """The words of a command line; ValueError for an empty or bad one."""
    words = shlex.split(text)
    if not words:
        raise ValueError(_('an empty command'))
    return words


def for_host(words, host, wave):
    """(argv, environment) of ``words`` run for ``host`` (ComputeHost)."""
    hypervisor = (host.hypervisor_hostnames or (host.host,))[0]
    argv = [w.replace('{host}', host.host).replace('{hypervisor}',
                                                   hypervisor)
            for w in words]
    env = dict(os.environ, MIGRATIONHELPER_HOST=host.host,
               MIGRATIONHELPER_WAVE=str(wave))
    return argv, env


@dataclasses.dataclass
class Ran:
    """How one command ended."""

    ok: bool
    seconds: float
    why: str = ''           # failure, in words: exit status, timeout
    tail: str = ''          # its last lines of output, on failure


class _Running:
    def __init__(self, argv, env, log_path, clock):
        self.clock = clock
        self.log_path = log_path
        self.started = clock()
        self.process = None
        self.ran = None
        log = open(log_path, 'ab') if log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            self.ran = Ran(False, 0.0, _('could not run %(cmd)s: %(e)s') % {
                'cmd': argv[0], 'e': e.strerror or e})
        finally:
            if log_path:
                log.close()

    def poll(self, deadline):
        """A Ran once the command ended (or is ended at the deadline)."""
        if self.ran is not None:
            return self.ran
        code = self.process.poll()
        seconds = round(self.clock() - self.started, 1)
        if code is None and self.clock() < deadline:
            return None
        if code is None:
            self.kill()
            self.ran = Ran(False, seconds, _(
                'timed out after %d s, stopped') % seconds, self._tail())
        elif code == 0:
            self.ran = Ran(True, seconds)
        else:
            self.ran = Ran(False, seconds, _('exit status %d') % code,
                           self._tail())
        return self.ran

    def kill(self):
        """End the command and whatever it started (its session)."""
        if self.process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self.process.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue

    def _tail(self):
        if not self.log_path:
            return ''
        try:
            with open(self.log_path, errors='replace') as f:
                lines = f.read().splitlines()
        except OSError:
            return ''
        return '\n'.join(lines[-TAIL_LINES:])


def run_all(jobs, timeout, clock=time.monotonic, sleep=time.sleep,
            ended=None):
    """Run commands side by side until each ends or times out.

    :param jobs: {key: (argv, env, log path or None)}.
    :param ended: called with (key, Ran) as soon as each one ends, so that
        what it did is recorded even if the others are stopped.
    :returns: {key: Ran}. Ctrl-C (or any error) stops every command still
        running, with what it started.
    """
    running, told = {}, set()
    try:
        for key, (argv, env, log) in jobs.items():
            running[key] = _Running(argv, env, log, clock)
        deadline = clock() + timeout
        while True:
            results = {k: r.poll(deadline) for k, r in running.items()}
            for key, ran in results.items():
                if ran is not None and key not in told:
                    told.add(key)
                    if ended is not None:
                        ended(key, ran)
            if all(results.values()):
                return results
            sleep(POLL_SECONDS)
    finally:
        for one in running.values():
            one.kill()
