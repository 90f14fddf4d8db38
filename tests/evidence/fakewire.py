"""A scripted path for the packet stage: what the raw sockets would carry.

It answers each SYN the way a real path of Linux routers and a Linux host
does, including what a port-25 policy at one hop does to it, so that the
stage's scheduling and matching can be tested without privileges. The rules
follow what the ev- network showed: the TTL is checked before the forward
filter (so the filtering router still answers a traceroute), and a redirect
to the router's own relay happens before it (so even TTL 1 is answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field

from netprobe.evidence import ACK, RST, SYN, Captured, Quoted, Segment, Sent
from netprobe.model import Family


@dataclass
class Path:
    """Routers at hops 1..n, the host after them; ``policy`` at ``at``."""

    routers: tuple[str, ...]
    policy: str | None = None
    at: int = 1
    closed: frozenset[int] = frozenset({465})
    # Ports whose SYNs vanish entirely (a host that is down for them).
    silent: frozenset[int] = frozenset()


class _Held:
    def __init__(self, wire: FakeWire, port: int) -> None:
        self._wire, self._port = wire, port

    def close(self) -> None:
        self._wire.held.discard(self._port)


@dataclass
class FakeWire:
    paths: dict[str, Path]
    delay: float = 0.002
    broken: BaseException | None = None
    sent: list[Sent] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    _queue: list[Captured] = field(default_factory=list)
    _next_port: int = 40000

    def reserve(self, address: str) -> tuple[_Held, str, int]:
        self._next_port += 1
        self.held.add(self._next_port)
        source = "2001:db8:1::10" if ":" in address else "198.51.100.10"
        return _Held(self, self._next_port), source, self._next_port

    def __post_init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)

    def load(self) -> None:
        if self.broken is not None:
            raise self.broken

    def fileno(self) -> int:
        return self._read

    def close(self) -> None:
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                continue

    def send(self, sent: Sent) -> None:
        self.sent.append(sent)
        packet = self._answer(sent)
        if packet is not None:
            asyncio.get_running_loop().call_later(self.delay, self._deliver, packet)

    def receive(self) -> list[Captured]:
        with contextlib.suppress(BlockingIOError):
            os.read(self._read, 4096)
        captured, self._queue = self._queue, []
        return captured

    def _deliver(self, packet: Captured) -> None:
        self._queue.append(packet)
        os.write(self._write, b"x")

    def _answer(self, sent: Sent) -> Captured | None:
        path = self.paths[sent.address]
        v6 = sent.family is Family.IPV6
        for hop, router in enumerate(path.routers, start=1):
            left = sent.ttl - (hop - 1)
            ttl = 64 - (hop - 1)
            here = path.policy is not None and hop == path.at and sent.port == 25
            if here and path.policy == "redirect":
                return self._tcp(sent, SYN | ACK, ttl)
            if left <= 1:
                return self._icmp(sent, router, ttl, (3, 0) if v6 else (11, 0))
            if here and path.policy == "drop":
                return None
            if here and path.policy == "reset":
                return self._tcp(sent, RST | ACK, ttl)
            if here and path.policy == "prohibited":
                return self._icmp(sent, router, ttl, (1, 1) if v6 else (3, 13))
        ttl = 64 - len(path.routers)
        if sent.port in path.silent:
            return None
        flags = RST | ACK if sent.port in path.closed else SYN | ACK
        return self._tcp(sent, flags, ttl)

    def _tcp(self, sent: Sent, flags: int, ttl: int) -> Captured:
        segment = Segment(
            sent.port, sent.local_port, 4242, (sent.seq + 1) % 2**32, flags
        )
        at = sent.at + self.delay
        return Captured(sent.family, sent.address, sent.source, ttl, at, segment)

    def _icmp(
        self, sent: Sent, router: str, ttl: int, kind: tuple[int, int]
    ) -> Captured:
        quoted = Quoted(
            sent.source, sent.address, 6, sent.local_port, sent.port, sent.seq
        )
        return Captured(
            sent.family,
            router,
            sent.source,
            ttl,
            sent.at + self.delay,
            icmp_type=kind[0],
            icmp_code=kind[1],
            quoted=quoted,
        )
