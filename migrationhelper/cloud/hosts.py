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

"""Compute hosts and how an operator's host name resolves to one.

The rules: an exact nova-compute service host or hypervisor hostname wins;
otherwise a name without dots matches when it is the first label of exactly
one host (``cld-nl-01`` finds ``cld-nl-01.pd.infn.it``). Case does not
matter, as in DNS. There is never any substring or prefix matching: a
wrong name must not drain the wrong node.
"""

import dataclasses
import difflib

from osc_lib import exceptions

from migrationhelper import errors
from migrationhelper.i18n import _


@dataclasses.dataclass(frozen=True)
class ComputeHost:
    """A nova-compute service and the hypervisors (nodes) it runs."""

    host: str
    hypervisor_hostnames: tuple = ()
    service_id: str | None = None
    status: str = 'enabled'
    state: str = 'up'
    forced_down: bool = False
    disabled_reason: str | None = None
    hypervisor_type: str | None = None
    hypervisor_version: int | None = None
    # From compute API 2.53 on, a hypervisor's ID is its compute node's
    # UUID, which is also its resource provider's in placement.
    hypervisor_ids: tuple = ()
    # Each hypervisor's state ('up', 'down'), as listed with its name.
    hypervisor_states: tuple = ()
    # Nova's time of the service's last report (or update).
    updated_at: str | None = None

    @property
    def names(self):
        return (self.host,) + tuple(
            n for n in self.hypervisor_hostnames if n != self.host)

    @property
    def is_up(self):
        return self.state == 'up'


def _first_label(name):
    return name.split('.', 1)[0]


def resolve(name, hosts):
    """Return the :class:`ComputeHost` of ``hosts`` that ``name`` means.

    :raises errors.HostNotFound: no host has that name; the message
        suggests close names.
    :raises errors.AmbiguousHost: the short name is the first label of
        several hosts; the message lists them.
    """
    hosts = list(hosts)
    wanted = name.lower()
    exact = [h for h in hosts if wanted in {n.lower() for n in h.names}]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise errors.AmbiguousHost(_(
            'Host name %(name)s is ambiguous: it names %(hosts)s.') % {
            'name': name, 'hosts': ', '.join(sorted(h.host for h in exact))})
    if '.' not in name:
        short = [h for h in hosts
                 if any(_first_label(n).lower() == wanted for n in h.names)]
        if len(short) == 1:
            return short[0]
        if short:
            raise errors.AmbiguousHost(_(
                'Host name %(name)s is ambiguous: it is the short name of '
                '%(hosts)s. Use the full name.') % {
                'name': name,
                'hosts': ', '.join(sorted(h.host for h in short))})
    raise errors.HostNotFound(_unknown_host_message(name, hosts))


def resolve_all(names, hosts):
    """Every name resolved, once each, or one error naming all the bad ones.

    :raises CommandError: with the message of every name that failed.
    """
    resolved, errors = [], []
    for name in names:
        try:
            host = resolve(name, hosts)
        except exceptions.CommandError as e:
            errors.append(str(e))
            continue
        if host not in resolved:
            resolved.append(host)
    if errors:
        raise exceptions.CommandError(' '.join(errors))
    return resolved


def _unknown_host_message(name, hosts):
    message = _('No compute host named %s.') % name
    suggestions = _close_hosts(name, hosts)
    if suggestions:
        message += ' ' + _('Did you mean: %s?') % ', '.join(suggestions)
    return message


# How alike a name must be to a host's (difflib's ratio) to be suggested:
# one or two characters off, not every host of the same naming scheme.
CLOSE_ENOUGH = 0.85
SUGGESTED = 3


def _close_hosts(name, hosts):
    """Hosts an operator may have meant, for the error message only."""
    wanted = name.lower()
    scored = {}
    for host in hosts:
        for candidate in host.names:
            lowered = candidate.lower()
            for form in (lowered, _first_label(lowered)):
                ratio = difflib.SequenceMatcher(None, wanted, form).ratio()
                if ratio >= CLOSE_ENOUGH:
                    scored[host.host] = max(ratio,
                                            scored.get(host.host, 0))
    best = sorted(scored, key=lambda h: (-scored[h], h))[:SUGGESTED]
    return sorted(best)


def same_hypervisor(a, b):
    """Whether two hosts run the same hypervisor type and version."""
    return (a.hypervisor_type, a.hypervisor_version) == (
        b.hypervisor_type, b.hypervisor_version)


def can_receive(host, excluded=()):
    return (host.status == 'enabled' and host.is_up and
            host.host not in excluded)


def receiving_hosts(compute_hosts, excluded=()):
    """The hosts that can take VMs: enabled, up, not among ``excluded``."""
    return [h for h in compute_hosts if can_receive(h, excluded)]
