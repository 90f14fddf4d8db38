"""Plan: which (host, address, port) probes a check runs.

Pure: the resolution and the profile go in, an ordered tuple of probe specs
comes out. The order is the one a reader expects in the table: exchanges by
preference, then submission hosts, then reference targets.
"""

from __future__ import annotations

import ipaddress

from netprobe.model import (
    Family,
    Host,
    MailboxSpec,
    PortSpec,
    ProbeSpec,
    Resolution,
    Role,
)
from netprobe.profile import Profile


def family_of(address: str) -> Family:
    version = ipaddress.ip_address(address).version
    return Family.IPV6 if version == 6 else Family.IPV4


def plan(resolution: Resolution, profile: Profile) -> tuple[ProbeSpec, ...]:
    wanted: list[tuple[Host, tuple[PortSpec, ...], Role]] = []
    for exchange in resolution.exchanges:
        wanted.append((exchange.host, profile.ports, Role.EXCHANGE))
    for submission in resolution.submission_hosts:
        ports = profile.ports
        if submission.port is not None and submission.port not in ports:
            ports = (submission.port, *ports)
        wanted.append((submission.host, ports, Role.SUBMISSION))
    for reference in resolution.references:
        wanted.append((reference, profile.ports, Role.REFERENCE))

    # One probe per (host, address, port); a host that is both an exchange
    # and a submission host is probed once, with both roles.
    specs: dict[tuple[str, str, int], ProbeSpec] = {}
    for host, ports, role in wanted:
        for address in host.addresses:
            family = family_of(address)
            if family not in profile.families:
                continue
            for port in ports:
                key = (host.name, address, port.number)
                known = specs.get(key)
                if known is None:
                    specs[key] = ProbeSpec(
                        host.name, address, family, port.number, port.service, (role,)
                    )
                elif role not in known.roles:
                    specs[key] = ProbeSpec(
                        known.host,
                        known.address,
                        known.family,
                        known.port,
                        known.service,
                        (*known.roles, role),
                    )
    return tuple(specs.values())


def plan_mailbox(resolution: Resolution, profile: Profile) -> tuple[MailboxSpec, ...]:
    """The receiving side's probes: every mailbox host on the profile's
    receiving ports, an SRV record's own port first."""
    if not profile.receiving:
        return ()
    specs: dict[tuple[str, str, int], MailboxSpec] = {}
    for mailbox in resolution.mailbox_hosts:
        ports = profile.receiving_ports
        if mailbox.port is not None and mailbox.port not in ports:
            ports = (mailbox.port, *ports)
        for address in mailbox.host.addresses:
            family = family_of(address)
            if family not in profile.families:
                continue
            for port in ports:
                key = (mailbox.host.name, address, port.number)
                specs.setdefault(
                    key,
                    MailboxSpec(
                        mailbox.host.name, address, family, port.number, port.service
                    ),
                )
    return tuple(specs.values())
