"""Profiles: which ports to probe, how long to wait, what must hold.

A profile is plain data. The check pipeline reads it; nothing in it is
evaluated. Built-in profiles live in ``netprobe/profiles`` (the top-level
``profiles`` directory is the same one); ``profile_loader`` reads them and
the user's own from TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netprobe.expect import Expectation
from netprobe.model import (
    DEFAULT_MAILBOX_PORTS,
    DEFAULT_PORTS,
    Family,
    MailboxPort,
    PortSpec,
)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait at each step (RFC 5321 4.5.3.2 for the SMTP ones).

    ``connect`` is the ceiling for a silent SYN. Once other connections have
    answered, a silent one gets a second SYN of netprobe's own after
    ``filtered_rtt_multiple`` round trips of the slowest path seen (sooner
    than Linux's one-second resend), and is called filtered when that one
    too has had as many round trips to be answered in; never before
    ``filtered_floor`` (room for timer slack and a jittery first hop). See
    ``probe.RoundTrips``.

    The packet stage waits for the replies to its own SYNs in the same
    spirit: ``packet_rtt_multiple`` round trips, at least ``packet_floor``
    (routers answer a traceroute from their slow path), at most ``packets``,
    which also bounds how long the stage may outlast the socket probes.
    """

    connect: float = 10.0
    filtered_floor: float = 0.5
    filtered_rtt_multiple: float = 4.0
    # RFC 5321 asks for 5 minutes; no user waits that long, and servers that
    # delay on purpose (tarpits) rarely exceed 30 s.
    greeting: float = 30.0
    command: float = 10.0
    tls: float = 10.0
    packet_floor: float = 0.25
    packet_rtt_multiple: float = 4.0
    packets: float = 3.0


@dataclass(frozen=True)
class Profile:
    name: str = "default"
    description: str = "Probe 25, 587 and 465 on every exchange and submission host."
    ports: tuple[PortSpec, ...] = DEFAULT_PORTS
    timeouts: Timeouts = field(default_factory=Timeouts)
    families: tuple[Family, ...] = (Family.IPV6, Family.IPV4)
    references: tuple[str, ...] = ()
    cafile: str | None = None
    per_host_concurrency: int = 4
    concurrency: int = 64
    # Packet evidence (raw SYNs, TCP traceroutes) where privileges allow.
    packets: bool = True
    # Traceroutes go no farther; most Internet paths are under 20 hops, and
    # a port-25 block sits near one end of the path or the other.
    max_hops: int = 20
    # Traceroutes per address family: the block shows on the first hosts.
    traced_addresses: int = 2
    # The receiving side: IMAP and POP3 of the domain's mail host.
    receiving: bool = False
    receiving_ports: tuple[MailboxPort, ...] = DEFAULT_MAILBOX_PORTS
    expectations: tuple[Expectation, ...] = ()
    # "auto" (colour on a terminal unless NO_COLOR is set), "always", "never".
    color: str = "auto"
    # The file the profile was read from; None for the built-in defaults.
    source: str | None = None
