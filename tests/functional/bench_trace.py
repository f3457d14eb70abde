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

"""Where a benchmarked drain's time goes, phase by phase and move by move.

A Trace puts together what the client process recorded (bench_client:
every request it sent, each of the engine's sleeps between polls, each row
as it settled: the move verified) and what the cloud's fake hypervisor
recorded (bench.SlowMoveFakeDriver: Nova running the copy, the VM on its
destination, the resize confirmed). Times are seconds from the command's
start.
"""

import os
import re
import statistics


# What the shell asks before the plan: the APIs' version documents, the
# compute services and the hypervisors.
DISCOVERY = re.compile(r'(/v2\.1/?|/placement/?|/os-services|'
                       r'/os-hypervisors/detail)$')
SERVICE_UPDATE = re.compile(r'os-services/[^/]+$')
ACTION = re.compile(r'servers/([^/]+)/action$')


class Trace:
    """A run, in seconds from ``origin`` (time.time() of its start).

    :param client: what bench_client recorded (requests, sleeps, rows).
    :param hypervisor: [(server ID, step, time)] the fake driver recorded.
    """

    def __init__(self, origin, end, client, hypervisor):
        self.end = end - origin
        # When the command returned, before the interpreter's exit.
        self.returned = min(client['end'] - origin, self.end)
        self.imported = (client['imported'] - origin if client.get('imported')
                         else 0.0)
        # (start, end, method, path); the query is kept in ``urls``.
        self.requests = [(s - origin, e - origin, method, url.split('?')[0])
                         for s, e, method, url in client['requests']]
        self.urls = [url for _s, _e, _m, url in client['requests']]
        self.asleep = [(s - origin, e - origin) for s, e in client['asleep']]
        self.steps = {}
        for server_id, step, at in list(hypervisor) + client['steps']:
            self.steps.setdefault(server_id, {}).setdefault(step,
                                                            at - origin)
        for start, _end, method, path in self.requests:
            match = ACTION.search(path)
            if method == 'POST' and match:
                self.steps.setdefault(match.group(1), {}).setdefault(
                    'sent', start)

    # -- what it says ---------------------------------------------------------

    def phases(self):
        """[(phase, seconds, requests)] of a drain, in order."""
        reqs = self.requests
        verified = [s['verified'] for s in self.steps.values()
                    if 'verified' in s]
        last_verified = max(verified) if verified else self.end
        updates = [r for r in reqs if r[2] == 'PUT' and
                   SERVICE_UPDATE.search(r[3])]
        first = reqs[0][0] if reqs else self.end
        plan_start = next((r[0] for r in reqs
                           if not DISCOVERY.search(r[3])), first)
        moves_start = updates[-1][1] if updates else plan_start
        update_start = updates[0][0] if updates else moves_start
        asleep = sum(min(e, last_verified) - max(s, moves_start)
                     for s, e in self.asleep if e > moves_start)
        bounds = [('python, importing the openstack shell', 0.0,
                   self.imported),
                  ('openstack shell start (clouds.yaml, plugins)',
                   self.imported, first),
                  ('discovery: versions, services, hypervisors', first,
                   plan_start),
                  ('plan: listings, placement, the model', plan_start,
                   update_start),
                  ('service update (disable)', update_start, moves_start),
                  ('moves: first request to last verified', moves_start,
                   last_verified),
                  ('final listing, placement, output', last_verified,
                   self.returned),
                  ('interpreter exit', self.returned, self.end)]
        rows = []
        for name, start, end in bounds:
            count = sum(start <= r[0] < end for r in reqs)
            rows.append((name, max(0.0, end - start), count))
            if name.startswith('moves'):
                rows.append(('  of which asleep between polls', asleep, 0))
        return rows

    def lags(self):
        """{what: [seconds per move]}: each step after the one before it."""
        pairs = (('sent -> Nova running', 'sent', 'running'),
                 ('running -> on destination', 'running', 'on destination'),
                 ('on destination -> confirmed (cold)', 'on destination',
                  'confirmed'),
                 ('Nova done -> verified', None, 'verified'))
        lags = {}
        for label, before, after in pairs:
            for steps in self.steps.values():
                if after not in steps:
                    continue
                if before is None:
                    before_t = steps.get('confirmed',
                                         steps.get('on destination'))
                else:
                    before_t = steps.get(before)
                if before_t is not None:
                    lags.setdefault(label, []).append(steps[after] -
                                                      before_t)
        return lags

    def moves(self):
        """[(server ID, {step: time})] in the order the moves were sent."""
        return sorted(self.steps.items(),
                      key=lambda kv: kv[1].get('sent', float('inf')))


STEPS = ('sent', 'running', 'on destination', 'confirmed', 'verified')


def print_trace(title, trace, floor=None, names=None):
    """The lags; a drain's phases (given ``floor``) and moves (``names``)."""
    print('\n%s: %.2f s, %d requests' % (title, trace.end,
                                         len(trace.requests)))
    if floor is not None:
        print('  %-46s %8s %9s' % ('phase', 'seconds', 'requests'))
        for name, seconds, count in trace.phases():
            print('  %-46s %8.2f %9s' % (name, seconds, count or ''))
    print('  %-46s %8s %8s %8s' % ('lag per move', 'median', 'worst',
                                   'floor'))
    floor_lags = floor.lags() if floor is not None else {}
    for label, values in trace.lags().items():
        theirs = floor_lags.get(label)
        print('  %-46s %8.2f %8.2f %8s' % (
            label, statistics.median(values), max(values),
            '%.2f' % statistics.median(theirs) if theirs else ''))
    if names and os.environ.get('BENCH_REQUESTS'):
        for request, url in zip(trace.requests, trace.urls):
            start, end, method, _path = request
            print('  %7.2f %5.2f %-6s %s' % (start, end - start, method,
                                             url[-90:]))
    if names:
        print('  %-10s %s' % ('VM', ' '.join('%15s' % s for s in STEPS)))
        for server_id, steps in trace.moves():
            name = names.get(server_id, server_id[:8])
            print('  %-10s %s' % (name, ' '.join(
                '%15s' % ('%.2f' % steps[s] if s in steps else '-')
                for s in STEPS)))
