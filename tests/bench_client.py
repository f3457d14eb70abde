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

"""The benchmark's clients, each a process of its own, as a user runs them.

``python -m tests.bench_client TRACE floor
MOVES`` sends the moves straight to the compute API (Nova's floor);
``... TRACE drain ARGV...`` runs ``openstack ARGV`` (the drain) in this
process. Either writes TRACE (JSON): its requests, the engine's sleeps, the
rows settled, on the wall clock (time.time()) so that the benchmark can
lay them beside the hypervisor's steps, which its own process records.
Nothing of nova is imported here (it lives outside the functional tests'
package, which imports nova's test machinery and eventlet's patching).
"""

import concurrent.futures
import contextlib
import json
import sys
import time

from keystoneauth1 import session as ks_session

# Each VM is read this often by the floor.
FLOOR_READ_INTERVAL = 0.05
# Requests the floor sends at once: all six moves of the 6-VM run. With
# 24 at once, the sandbox's conductor (one process with the whole control
# plane) failed live migrations it could not check in time (MigrationError,
# the VM left in ERROR): no floor at all.
FLOOR_SENDERS = 6


class Recorder:
    def __init__(self):
        self.requests = []      # [start, end, method, url]
        self.asleep = []        # [start, end]
        self.steps = []         # [server ID, step, time]
        self.start = self.end = None
        # When the openstack shell's modules were imported.
        self.imported = None

    def dump(self, path, **more):
        with open(path, 'w') as f:
            json.dump(dict(vars(self), **more), f)


@contextlib.contextmanager
def requests_recorded(recorder):
    """Each request the client sends to the cloud's APIs."""
    real = ks_session.Session.request

    def request(session, url, method, *args, **kwargs):
        start = time.time()
        response = real(session, url, method, *args, **kwargs)
        if session.auth is not None:
            query = '&'.join('%s=%s' % kv for kv in
                             (kwargs.get('params') or {}).items())
            recorder.requests.append([start, time.time(), method,
                                      url + ('?' + query if query else '')])
        return response
    ks_session.Session.request = request
    try:
        yield
    finally:
        ks_session.Session.request = real


def floor(recorder, cloud, moves):
    """Nova's floor for ``moves`` ([server ID, status]).

    The client is made, authenticated and has its microversion before the
    clock starts; every move is sent at once (up to FLOOR_SENDERS threads,
    each sending the next move as soon as Nova took its last); then each VM
    is read every FLOOR_READ_INTERVAL and its resize confirmed as soon as
    it shows VERIFY_RESIZE, until each is off its host, idle, in its old
    status. No checks, no plan, no verification beyond that.
    """
    import openstack
    compute = openstack.connect(cloud=cloud).compute
    hosts = {}
    for server_id, _status in moves:
        hosts[server_id] = compute.get_server(server_id).compute_host
    was = dict(moves)

    def send(server_id):
        if was[server_id] == 'ACTIVE':
            compute.live_migrate_server(server_id, host=None,
                                        block_migration='auto')
        else:
            compute.migrate_server(server_id)
    with requests_recorded(recorder):
        recorder.start = time.time()
        with concurrent.futures.ThreadPoolExecutor(
                min(len(moves), FLOOR_SENDERS)) as senders:
            list(senders.map(send, was))
        pending, confirmed = set(was), set()
        while pending:
            time.sleep(FLOOR_READ_INTERVAL)
            for server_id in sorted(pending):
                server = compute.get_server(server_id)
                if server.status == 'VERIFY_RESIZE':
                    if server_id not in confirmed:
                        compute.confirm_server_resize(server_id)
                        confirmed.add(server_id)
                elif not server.task_state and \
                        server.compute_host != hosts[server_id] and \
                        server.status == was[server_id]:
                    pending.discard(server_id)
                    recorder.steps.append([server_id, 'verified',
                                           time.time()])
        recorder.end = time.time()
    return 0


@contextlib.contextmanager
def engine_recorded(recorder):
    """The engine's sleeps between polls, and each row as it settles."""
    from migrationhelper.moving import engine
    from migrationhelper.moving.tasks import base
    real_idle = engine.idle
    real_finish = base.Task._finish

    def idle(seconds):
        start = time.time()
        try:
            real_idle(seconds)
        finally:
            recorder.asleep.append([start, time.time()])

    def finish(task, *args, **kwargs):
        recorder.steps.append([task.server.id, 'verified', time.time()])
        return real_finish(task, *args, **kwargs)
    engine.idle = idle
    base.Task._finish = finish
    try:
        yield
    finally:
        engine.idle = real_idle
        base.Task._finish = real_finish


def drain(recorder, argv):
    from openstackclient import shell
    recorder.imported = time.time()
    with requests_recorded(recorder), engine_recorded(recorder):
        try:
            code = shell.main(argv)
        except SystemExit as e:
            code = e.code
    recorder.end = time.time()
    return code


def main(trace_path, what, *args):
    recorder = Recorder()
    if what == 'floor':
        code = floor(recorder, args[0], json.loads(args[1]))
    else:
        code = drain(recorder, list(args))
    recorder.dump(trace_path, exit_code=code)
    return code


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
