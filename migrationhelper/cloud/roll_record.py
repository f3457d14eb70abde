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

"""A roll's record in Nova: a host aggregate named after the roll.

Readable by any admin from any workstation, with no service of ours:
``openstack aggregate show migrationhelper-roll-<name>``.

- Its hosts are the hosts the roll maintained and reopened.
- ``roll_step:<host>`` is where a host is mid-way: ``<step> <wave>``, and
  ``failed: <why>`` after it when that step failed.
- ``roll_state`` is ``running`` or ``finished``; ``roll_settings`` what
  the roll was run with.

Who runs the roll is a second aggregate, ``migrationhelper-roll-<name>-
lease``: a run holds it by adding one compute host to it (the first by
name), which Nova does for one caller only (a host is in an aggregate
once: the second addition fails), and keeps ``roll_lease`` (until when,
who) in its metadata, renewed while it runs. A second run is refused while
the lease holds; a lease not renewed in time (its run was killed) is taken
over.

Neither aggregate has an availability zone or metadata a scheduler
filter reads (keys are ``roll_*``), so that their membership changes no
scheduling. They record; they decide nothing.
"""

import datetime
import getpass
import os
import socket
import uuid

from openstack import exceptions as sdk_exceptions

from migrationhelper.cloud import vocabulary

AGGREGATE_PREFIX = 'migrationhelper-roll-'
LEASE = 'roll_lease'
STATE = 'roll_state'
SETTINGS = 'roll_settings'
STEP = 'roll_step:'
RUNNING = 'running'
FINISHED = 'finished'
# A roll renews its lease at least this often, and a lease not renewed
# for LEASE_SECONDS is over (the run that held it was killed).
LEASE_SECONDS = 300
RENEW_SECONDS = 60
# Nova's limit on an aggregate metadata value.
VALUE_MAX_LENGTH = 255


LEASE_SUFFIX = '-lease'


def aggregate_name(roll):
    return AGGREGATE_PREFIX + roll


def _find(compute, name):
    for aggregate in compute.aggregates():
        if aggregate.name == name:
            return aggregate
    return None


def _find_or_create(compute, name):
    found = _find(compute, name)
    if found is not None:
        return found
    try:
        return compute.create_aggregate(name=name)
    except sdk_exceptions.ConflictException:
        # Another run created it first.
        return _find(compute, name)


def _parse_lease(value):
    """(holder, expiry) of a lease value, or (None, None)."""
    expiry, _sep, holder = (value or '').partition(' ')
    when = vocabulary.parse_utc(expiry)
    return (holder, when) if when is not None else (None, None)


def _lease_value(holder):
    until = now() + datetime.timedelta(seconds=LEASE_SECONDS)
    return '%s %s' % (until.strftime(vocabulary.TIME_FORMAT), holder)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def holder_id():
    """Who runs this roll: login, workstation, process; unique per run."""
    return '%s@%s/%d/%s' % (getpass.getuser(), socket.gethostname(),
                            os.getpid(), uuid.uuid4().hex[:8])


class Step:
    """Where a host is mid-way in a roll."""

    DRAINING = 'draining'
    AWAITING = 'awaiting-maintenance'
    MAINTAINING = 'maintaining'
    MAINTAINED = 'maintained'
    # Bringing its VMs back (--restore), those moved off since ``since``.
    RESTORING = 'restoring'

    def __init__(self, name, wave, failure=None, since=None):
        self.name, self.wave, self.failure = name, wave, failure
        self.since = since

    def __str__(self):
        text = '%s %d' % (self.name, self.wave)
        if self.since:
            text += ' since %s' % self.since
        if self.failure:
            text += ' failed: %s' % self.failure
        return text[:VALUE_MAX_LENGTH]

    @classmethod
    def parse(cls, text):
        head, _sep, failure = text.partition(' failed: ')
        head, _sep, since = head.partition(' since ')
        name, _sep, wave = head.partition(' ')
        return cls(name, int(wave) if wave.isdigit() else 0,
                   failure or None, since or None)


class Record:
    """The aggregate of one roll, read once, written step by step."""

    def __init__(self, compute, aggregate):
        self.compute = compute
        self.aggregate = aggregate

    @classmethod
    def find(cls, compute, roll):
        """The roll's record, or None when no roll of this name ran."""
        found = _find(compute, aggregate_name(roll))
        return None if found is None else cls(compute, found)

    @classmethod
    def find_or_create(cls, compute, roll):
        return cls(compute, _find_or_create(compute, aggregate_name(roll)))

    @property
    def metadata(self):
        return dict(self.aggregate.metadata or {})

    @property
    def done(self):
        """The hosts this roll maintained and reopened."""
        return set(self.aggregate.hosts or ())

    @property
    def state(self):
        return self.metadata.get(STATE)

    def steps(self):
        return {key[len(STEP):]: Step.parse(value)
                for key, value in self.metadata.items()
                if key.startswith(STEP) and value}

    def write(self, **metadata):
        """Set metadata; a value of None removes its key."""
        self.aggregate = self.compute.set_aggregate_metadata(
            self.aggregate, metadata)

    def set_step(self, host, step):
        self.write(**{STEP + host: str(step) if step else None})

    def add_host(self, host):
        if host not in self.done:
            self.aggregate = self.compute.add_host_to_aggregate(
                self.aggregate, host)

    def start_over(self):
        """Forget a finished roll: its hosts and every step."""
        for host in sorted(self.done):
            self.aggregate = self.compute.remove_host_from_aggregate(
                self.aggregate, host)
        self.write(**{key: None for key in self.metadata
                      if key.startswith(STEP) or key == STATE})


class Held(Exception):
    """Another run holds the lease: (holder, expiry)."""

    def __init__(self, holder, until):
        super().__init__(holder)
        self.holder, self.until = holder, until


class Lease:
    """Who runs a roll: see the module's doc."""

    def __init__(self, compute, roll, holder, lock_host):
        self.compute = compute
        self.roll = roll
        self.name = aggregate_name(roll) + LEASE_SUFFIX
        self.holder = holder
        self.lock_host = lock_host
        self.aggregate = None

    def current(self):
        """(holder, expiry) of the lease as Nova has it, or (None, None)."""
        found = _find(self.compute, self.name)
        if found is None or not found.hosts:
            return None, None
        return _parse_lease((found.metadata or {}).get(LEASE))

    def take(self):
        """Hold the lease, or raise Held; a lapsed one is taken over."""
        aggregate = _find_or_create(self.compute, self.name)
        if aggregate.hosts:
            holder, until = _parse_lease((aggregate.metadata or {}).get(
                LEASE))
            if holder != self.holder and until is not None and \
                    until > now():
                raise Held(holder, until)
            for host in aggregate.hosts:
                # Its run stopped renewing it: taken over.
                try:
                    aggregate = self.compute.remove_host_from_aggregate(
                        aggregate, host)
                except sdk_exceptions.HttpException:
                    aggregate = self.compute.get_aggregate(aggregate.id)
        self.compute.set_aggregate_metadata(
            aggregate, {LEASE: _lease_value(self.holder)})
        try:
            aggregate = self.compute.add_host_to_aggregate(
                aggregate, self.lock_host)
        except sdk_exceptions.ConflictException:
            # Added by another run between our read and now: it holds it.
            holder, until = _parse_lease((self.compute.get_aggregate(
                aggregate.id).metadata or {}).get(LEASE))
            raise Held(holder or '?', until or now())
        self.aggregate = aggregate
        self.renew()

    def renew(self):
        self.aggregate = self.compute.set_aggregate_metadata(
            self.aggregate, {LEASE: _lease_value(self.holder)})

    def release(self):
        if self.aggregate is None:
            return
        self.compute.set_aggregate_metadata(self.aggregate, {LEASE: None})
        try:
            self.compute.remove_host_from_aggregate(self.aggregate,
                                                    self.lock_host)
        except sdk_exceptions.NotFoundException:
            pass
        self.aggregate = None
