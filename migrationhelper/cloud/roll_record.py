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
  the roll was run with; ``roll_lease`` who runs it and until when
  (renewed while it runs): a second run of the same roll is refused while
  the lease holds.

The aggregate has no availability zone and no metadata a scheduler filter
reads (keys are ``roll_*``), so that its membership changes no scheduling.
It records; it decides nothing.
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


def aggregate_name(roll):
    return AGGREGATE_PREFIX + roll


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

    def __init__(self, name, wave, failure=None):
        self.name, self.wave, self.failure = name, wave, failure

    def __str__(self):
        text = '%s %d' % (self.name, self.wave)
        if self.failure:
            text += ' failed: %s' % self.failure
        return text[:VALUE_MAX_LENGTH]

    @classmethod
    def parse(cls, text):
        head, _sep, failure = text.partition(' failed: ')
        name, _sep, wave = head.partition(' ')
        return cls(name, int(wave) if wave.isdigit() else 0,
                   failure or None)


class Record:
    """The aggregate of one roll, read once, written step by step."""

    def __init__(self, compute, aggregate):
        self.compute = compute
        self.aggregate = aggregate

    @classmethod
    def find(cls, compute, roll):
        """The roll's record, or None when no roll of this name ran."""
        name = aggregate_name(roll)
        for aggregate in compute.aggregates():
            if aggregate.name == name:
                return cls(compute, aggregate)
        return None

    @classmethod
    def find_or_create(cls, compute, roll):
        found = cls.find(compute, roll)
        if found is not None:
            return found
        try:
            return cls(compute, compute.create_aggregate(
                name=aggregate_name(roll)))
        except sdk_exceptions.ConflictException:
            # A second run created it first: the lease decides.
            return cls.find(compute, roll)

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

    def lease(self):
        """(holder, expiry) of the lease, or (None, None)."""
        value = self.metadata.get(LEASE) or ''
        expiry, _sep, holder = value.partition(' ')
        try:
            when = datetime.datetime.strptime(
                expiry, vocabulary.TIME_FORMAT).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            return None, None
        return holder, when

    def refresh(self):
        self.aggregate = self.compute.get_aggregate(self.aggregate.id)
        return self

    def write(self, **metadata):
        """Set metadata; a value of None removes its key."""
        self.aggregate = self.compute.set_aggregate_metadata(
            self.aggregate, metadata)

    def set_step(self, host, step):
        self.write(**{STEP + host: str(step) if step else None})

    def take_lease(self, holder):
        until = now() + datetime.timedelta(seconds=LEASE_SECONDS)
        self.write(**{LEASE: '%s %s' % (
            until.strftime(vocabulary.TIME_FORMAT), holder)})

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
