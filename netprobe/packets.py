"""Packets: SYN probes and TCP traceroutes from raw sockets, and their replies.

The only module that sends or captures packets, and the only one that
imports scapy, which it does once the packet stage opens (never on the
``--help`` path, never without privileges). scapy builds the SYNs and
dissects what comes back; the sockets are the kernel's:

- a SYN leaves through a raw IP socket that carries its own header
  (``IPPROTO_RAW``), so the kernel routes it and resolves the next hop. Its
  source port is reserved by binding an ordinary TCP socket to it: the
  kernel gives that port to no other connection, and, having no connection
  on it, answers the server's SYN-ACK with a reset, so no half-open
  connection is left behind;
- every packet arriving on any interface is read from one ``AF_PACKET``
  socket, and ``evidence.reply_to`` decides which SYN, if any, it answers.

Raw sockets need root or CAP_NET_RAW. Without them, or without scapy, the
stage says in one line why it gathered nothing, and the check goes on at
the socket level.

Which SYNs, and when, so that the stage adds little to a check:

- port 25 of every address once its connect ends, however it ended: an
  open 25 may be another machine than the server;
- every port whose connect failed, and port 25 as soon as its connect has
  been silent for a few round trips, while the socket probe waits on;
- one working port of each such address, the host's own answer that the
  others are read against (the baseline);
- a TCP traceroute to a failing port 25 and to the baseline port, for at
  most ``Profile.traced_addresses`` addresses per family, and to an open 25
  whose SYN-ACK came from another distance than the baseline's.

Every wait is a few round trips of the path the socket probes measured,
within a floor and a ceiling (``Timeouts.packet_*``), and the stage ends at
most ``Timeouts.packets`` after the socket probes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from netprobe.evidence import Captured, Quoted, Segment, Sent, distance, reply_to
from netprobe.model import (
    Answer,
    Family,
    PacketEvidence,
    PacketReply,
    ProbeSpec,
    SynProbe,
    Trace,
)
from netprobe.plan import family_of
from netprobe.probe import RoundTrips, map_os_error
from netprobe.profile import Profile

log = logging.getLogger(__name__)

GATHERED = "gathered"
NOT_PRIVILEGED = "not gathered: needs root or CAP_NET_RAW"
TURNED_OFF = "not gathered: turned off (--no-packets)"
NOTHING_TO_PROBE = "not gathered: nothing to probe"

_ETH_P_ALL = 0x0003
_ETH_P_IP = 0x0800
_ETH_P_IPV6 = 0x86DD
# IP protocol numbers worth dissecting: ICMP, TCP, ICMPv6.
_ICMP, _TCP, _ICMPV6 = 1, 6, 58
_SMTP = 25
# The TTL of a plain SYN probe: what Linux itself sends with.
_TTL = 64
# Packets read per wake-up of the event loop, so that a flood of unrelated
# traffic cannot starve the probes that share the loop.
_BATCH = 256
# A port-25 connect silent this long (or a few round trips, if longer) is
# worth a look at the packet level while the socket probe waits on.
_SUSPECT_FLOOR = 0.2

NameLookup = Callable[[str], Awaitable[str | None]]
_T = TypeVar("_T")


class Held(Protocol):
    """A reserved source port, released by closing it."""

    def close(self) -> None: ...


class Wire(Protocol):
    """What the stage needs of the network: the raw sockets (``_Wire``), or a
    scripted path in tests."""

    def load(self) -> None: ...

    def reserve(self, address: str) -> tuple[Held, str, int]: ...

    def fileno(self) -> int: ...

    def send(self, sent: Sent) -> None: ...

    def receive(self) -> list[Captured]: ...

    def close(self) -> None: ...


class _Wire:
    """The raw sockets; scapy builds and dissects what goes through them."""

    def __init__(self) -> None:
        # The sending sockets need the same privilege as capture, and are
        # opened first and at once: without it the stage stops here, before
        # the import of scapy (about a third of a second) is paid for.
        self._senders: dict[Family, socket.socket] = {}
        self._capture: socket.socket | None = None
        self._senders[Family.IPV4] = socket.socket(
            socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW
        )
        try:
            self._senders[Family.IPV6] = socket.socket(
                socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW
            )
        except OSError as exc:
            log.debug("packets.ipv6 unavailable: %s", map_os_error(exc)[0])

    def load(self) -> None:
        """Import scapy and open the capture socket. Slow, so the stage runs
        it in a thread while the socket probes get going; it raises
        ImportError or OSError for the stage to report."""
        import scapy.layers.inet
        import scapy.layers.inet6  # noqa: F401

        capture = socket.socket(
            socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(_ETH_P_ALL)
        )
        capture.setblocking(False)
        capture.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        self._capture = capture

    def reserve(self, address: str) -> tuple[Held, str, int]:
        """A TCP socket bound to a free port on the address that routes to
        ``address``: the source of the SYNs, held until they are answered."""
        v6 = family_of(address) is Family.IPV6
        family = socket.AF_INET6 if v6 else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as route:
            # Connecting a UDP socket sends nothing; it asks the kernel
            # which source address it would use for this destination.
            route.connect((address, 9))
            source = str(route.getsockname()[0])
        hold = socket.socket(family, socket.SOCK_STREAM)
        try:
            hold.bind((source, 0))
        except OSError:
            hold.close()
            raise
        return hold, source, int(hold.getsockname()[1])

    def fileno(self) -> int:
        assert self._capture is not None, "load() first"
        return self._capture.fileno()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.close()
        for sender in self._senders.values():
            sender.close()

    def send(self, sent: Sent) -> None:
        """Send one SYN; raises OSError as the kernel refuses it."""
        sender = self._senders.get(sent.family)
        if sender is None:
            raise OSError(97, "no raw socket for this address family")
        sender.sendto(build_syn(sent), (sent.address, 0))

    def receive(self) -> list[Captured]:
        """The packets that arrived since the last call (at most a batch)."""
        captured: list[Captured] = []
        if self._capture is None:
            return captured
        for _ in range(_BATCH):
            try:
                data, where = self._capture.recvfrom(65535)
            except BlockingIOError:
                break
            except OSError as exc:
                log.debug("packets.capture %s", map_os_error(exc)[0])
                break
            # Our own SYNs and the kernel's resets leave through the same
            # interfaces; only what arrives is evidence.
            if where[2] == socket.PACKET_OUTGOING:
                continue
            packet = dissect(data, where[1], time.monotonic())
            if packet is not None:
                captured.append(packet)
        return captured


def build_syn(sent: Sent) -> bytes:
    """The SYN ``sent`` describes, IP header included, as bytes."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6

    header: Any
    if sent.family is Family.IPV6:
        header = IPv6(src=sent.source, dst=sent.address, hlim=sent.ttl)
        mss = 1440
    else:
        header = IP(src=sent.source, dst=sent.address, ttl=sent.ttl)
        mss = 1460
    # The options an ordinary stack sends: some firewalls drop bare SYNs.
    syn = TCP(
        sport=sent.local_port,
        dport=sent.port,
        flags="S",
        seq=sent.seq,
        window=64240,
        options=[("MSS", mss), ("SAckOK", b""), ("WScale", 7)],
    )
    return bytes(header / syn)


def dissect(data: bytes, ethertype: int, at: float) -> Captured | None:
    """One captured packet (from its IP header on) as a ``Captured``, or
    None when it cannot answer a SYN: not TCP, not an ICMP error."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6

    ip: Any
    if ethertype == _ETH_P_IP and len(data) >= 20 and data[9] in (_ICMP, _TCP):
        family, ip = Family.IPV4, IP(data)
        ttl, protocol = int(ip.ttl), int(ip.proto)
    elif ethertype == _ETH_P_IPV6 and len(data) >= 40 and data[6] in (_TCP, _ICMPV6):
        family, ip = Family.IPV6, IPv6(data)
        ttl, protocol = int(ip.hlim), int(ip.nh)
    else:
        return None
    source, destination, payload = str(ip.src), str(ip.dst), ip.payload
    if protocol == _TCP:
        # A fragment or a mangled header dissects as raw bytes: no reply.
        if not isinstance(payload, TCP):
            return None
        segment = Segment(
            int(payload.sport),
            int(payload.dport),
            int(payload.seq),
            int(payload.ack),
            int(payload.flags),
        )
        return Captured(family, source, destination, ttl, at, segment=segment)
    kind, code = getattr(payload, "type", None), getattr(payload, "code", None)
    quoted = _quoted(payload.payload)
    if quoted is None or kind is None or code is None:
        return None
    return Captured(
        family,
        source,
        destination,
        ttl,
        at,
        icmp_type=int(kind),
        icmp_code=int(code),
        quoted=quoted,
    )


def _quoted(inner: Any) -> Quoted | None:
    """The SYN an ICMP error quotes, as far as the router quoted it.

    The TCP fields are read from the quoted bytes themselves: RFC 792 asks
    for only the first 64 bits (ports and sequence number), too little for
    scapy to dissect as TCP.
    """
    source, destination = getattr(inner, "src", None), getattr(inner, "dst", None)
    protocol = getattr(inner, "proto", getattr(inner, "nh", None))
    if source is None or destination is None or protocol is None:
        return None
    tcp = bytes(getattr(inner.payload, "original", None) or b"")
    sport, dport = struct.unpack_from("!HH", tcp) if len(tcp) >= 4 else (None, None)
    seq = struct.unpack_from("!I", tcp, 4)[0] if len(tcp) >= 8 else None
    return Quoted(str(source), str(destination), int(protocol), sport, dport, seq)


@dataclass
class _Expect:
    """SYNs out from one reserved port, and the first reply to each."""

    sents: list[Sent] = field(default_factory=list)
    replies: dict[int, PacketReply] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, packet: Captured) -> PacketReply | None:
        for sent in self.sents:
            if sent.seq in self.replies:
                continue
            reply = reply_to(sent, packet)
            if reply is not None:
                self.replies[sent.seq] = reply
                self.changed.set()
                return reply
        return None

    async def until(self, deadline: float, done: Callable[[], bool]) -> bool:
        """Wait until ``done()`` or the deadline; say whether done."""
        loop = asyncio.get_running_loop()
        while not done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                return done()
        return True


@dataclass
class _Address:
    """What the socket probes have shown so far about one address."""

    pending: set[int]
    failing: set[int] = field(default_factory=set)
    working: int | None = None
    # Set once a working port is known, or once none can come.
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self) -> None:
        if self.working is not None or self.pending <= self.failing:
            self.ready.set()


class PacketStage:
    """Runs beside the socket probes (as their ``ConnectWatcher``) and ends
    with :meth:`finish`, which returns what was gathered."""

    def __init__(
        self,
        wire: Wire,
        specs: Iterable[ProbeSpec],
        profile: Profile,
        round_trips: RoundTrips,
        name_of: NameLookup | None = None,
    ) -> None:
        self._wire = wire
        self._profile = profile
        self._timeouts = profile.timeouts
        self._round_trips = round_trips
        self._name_of = name_of
        self._loop = asyncio.get_running_loop()
        self._started = time.monotonic()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._expects: list[_Expect] = []
        self._syns: dict[tuple[str, int], asyncio.Task[SynProbe]] = {}
        self._traces: dict[tuple[str, int], asyncio.Task[Trace]] = {}
        self._paired: list[str] = []
        self._baselined: set[str] = set()
        self._names: dict[str, str] = {}
        self._naming: set[str] = set()
        self._connected: dict[tuple[str, int], asyncio.Event] = {}
        self._addresses: dict[str, _Address] = {}
        for spec in specs:
            self._addresses.setdefault(spec.address, _Address(set())).pending.add(
                spec.port
            )
        self._closed = False
        self._reading = False
        self._loaded = asyncio.ensure_future(asyncio.to_thread(wire.load))
        self._loaded.add_done_callback(self._start_reading)

    def _start_reading(self, loaded: asyncio.Future[None]) -> None:
        if self._closed or loaded.cancelled() or loaded.exception() is not None:
            return
        self._loop.add_reader(self._wire.fileno(), self._read)
        self._reading = True

    async def _ready(self) -> bool:
        """Whether scapy loaded and capture runs; waits for it to."""
        try:
            await self._loaded
        except (ImportError, OSError):
            return False
        return True

    # --- ConnectWatcher ------------------------------------------------------

    def connect_started(self, spec: ProbeSpec) -> None:
        if spec.port == _SMTP:
            self._spawn(self._watch(spec))

    def connect_done(self, spec: ProbeSpec, connected: bool) -> None:
        self._ended(spec).set()
        state = self._state(spec.address)
        state.pending.discard(spec.port)
        if connected and spec.port != _SMTP and state.working is None:
            state.working = spec.port
        if not connected:
            self._failing(spec.address, spec.port)
        elif spec.port == _SMTP:
            self._spawn(self._check_open_25(spec.address))
        state.update()

    # --- what to probe ---------------------------------------------------------

    def _state(self, address: str) -> _Address:
        return self._addresses.setdefault(address, _Address(set()))

    def _ended(self, spec: ProbeSpec) -> asyncio.Event:
        return self._connected.setdefault((spec.address, spec.port), asyncio.Event())

    def _failing(self, address: str, port: int) -> None:
        state = self._state(address)
        state.failing.add(port)
        state.update()
        self._syn(address, port)
        if address not in self._baselined:
            self._baselined.add(address)
            self._spawn(self._baseline(address))
        if port == _SMTP:
            self._trace_pair(address)

    async def _watch(self, spec: ProbeSpec) -> None:
        """Treat a port-25 connect as failing once it has been silent for a
        few round trips of the path, without waiting for the socket probe
        to give up on it: the packet evidence is then ready when it does."""
        ended = self._ended(spec)
        started = self._loop.time()
        while not ended.is_set():
            rtt = self._round_trips.path(spec.address)
            suspect = (
                None
                if rtt is None
                else max(_SUSPECT_FLOOR, self._timeouts.filtered_rtt_multiple * rtt)
            )
            waited = self._loop.time() - started
            if suspect is not None and waited >= suspect:
                log.debug("packets.suspect address=%s port=%s", spec.address, 25)
                self._failing(spec.address, spec.port)
                return
            changes = {
                asyncio.ensure_future(self._round_trips.wait_changed()),
                asyncio.ensure_future(ended.wait()),
            }
            await asyncio.wait(
                changes,
                timeout=None if suspect is None else suspect - waited,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for change in changes:
                change.cancel()

    async def _baseline(self, address: str) -> None:
        state = self._state(address)
        await self._bounded(state.ready.wait())
        if state.working is not None:
            await self._syn(address, state.working)

    async def _check_open_25(self, address: str) -> None:
        """Port 25 connected: was it the host that answered?"""
        state = self._state(address)
        own = self._syn(address, _SMTP)
        await self._bounded(state.ready.wait())
        if state.working is None:
            await own
            return
        probe, baseline = await asyncio.gather(own, self._syn(address, state.working))
        if (
            probe.reply.answer is Answer.SYN_ACK
            and baseline.reply.answer is Answer.SYN_ACK
            and probe.reply.ttl is not None
            and baseline.reply.ttl is not None
            and distance(probe.reply.ttl) != distance(baseline.reply.ttl)
        ):
            # Another machine answered: trace the path to name it.
            self._trace_pair(address)

    def _trace_pair(self, address: str) -> None:
        family = family_of(address)
        traced = [a for a in self._paired if family_of(a) is family]
        if address in self._paired or len(traced) >= self._profile.traced_addresses:
            return
        self._paired.append(address)
        self._spawn(self._trace_both(address))

    async def _trace_both(self, address: str) -> None:
        state = self._state(address)
        await self._bounded(state.ready.wait())
        hops = self._profile.max_hops
        working = state.working
        if working is not None:
            baseline = await self._syn(address, working)
            if baseline.reply.answer is Answer.SYN_ACK and baseline.reply.ttl:
                # Past the host itself every SYN would only reach it again;
                # two more hops allow for a return path longer than the way
                # there (the distance is measured on the way back).
                hops = min(hops, distance(baseline.reply.ttl) + 2)
        ports = [_SMTP] if working is None else [_SMTP, working]
        await asyncio.gather(*(self._trace(address, port, hops) for port in ports))

    # --- sending and waiting --------------------------------------------------

    def _syn(self, address: str, port: int) -> asyncio.Task[SynProbe]:
        key = (address, port)
        if key not in self._syns:
            self._syns[key] = self._spawn(self._send_syn(address, port))
        return self._syns[key]

    def _trace(self, address: str, port: int, hops: int) -> asyncio.Task[Trace]:
        key = (address, port)
        if key not in self._traces:
            self._traces[key] = self._spawn(self._send_trace(address, port, hops))
        return self._traces[key]

    def _window(self, address: str) -> float:
        """How long to wait for the replies to one round of SYNs."""
        rtt = self._round_trips.path(address)
        floor, ceiling = self._timeouts.packet_floor, self._timeouts.packets
        if rtt is None:
            return floor
        return min(ceiling, max(floor, self._timeouts.packet_rtt_multiple * rtt))

    def _send(self, expect: _Expect, sent: Sent) -> bool:
        try:
            self._wire.send(sent)
        except OSError as exc:
            log.debug(
                "packets.send address=%s port=%s failed: %s",
                sent.address,
                sent.port,
                map_os_error(exc)[0],
            )
            return False
        expect.sents.append(sent)
        return True

    async def _send_syn(self, address: str, port: int) -> SynProbe:
        family = family_of(address)
        if not await self._ready():
            return SynProbe(address, family, port, _TTL, PacketReply(Answer.NONE), 0)
        try:
            hold, source, local_port = self._wire.reserve(address)
        except OSError as exc:
            log.debug("packets.reserve %s: %s", address, map_os_error(exc)[0])
            return SynProbe(address, family, port, _TTL, PacketReply(Answer.NONE), 0)
        expect = _Expect()
        self._expects.append(expect)
        window = self._window(address)
        deadline = self._loop.time() + window
        try:
            # One resend half way through the window, with a fresh sequence
            # number, so that one lost packet is not read as silence.
            for attempt in range(2):
                sent = Sent(
                    family,
                    source,
                    address,
                    port,
                    local_port,
                    random.getrandbits(32),
                    _TTL,
                    time.monotonic(),
                )
                self._send(expect, sent)
                until = deadline if attempt else self._loop.time() + window / 2
                if await expect.until(until, lambda: bool(expect.replies)):
                    break
        finally:
            self._expects.remove(expect)
            hold.close()
        reply = next(iter(expect.replies.values()), PacketReply(Answer.NONE))
        log.debug(
            "packets.syn address=%s port=%s answer=%s ttl=%s",
            address,
            port,
            reply.answer,
            reply.ttl,
        )
        return SynProbe(address, family, port, _TTL, reply, len(expect.sents))

    async def _send_trace(self, address: str, port: int, hops: int) -> Trace:
        """SYNs with TTL 1 to ``hops`` at once, each with its own sequence
        number so that the ICMP error quoting it says which TTL it was."""
        family = family_of(address)
        if not await self._ready():
            return Trace(address, family, port, ())
        try:
            hold, source, local_port = self._wire.reserve(address)
        except OSError as exc:
            log.debug("packets.reserve %s: %s", address, map_os_error(exc)[0])
            return Trace(address, family, port, ())
        expect = _Expect()
        self._expects.append(expect)
        by_ttl: dict[int, list[Sent]] = {ttl: [] for ttl in range(1, hops + 1)}

        def reply(ttl: int) -> PacketReply | None:
            return next(
                (expect.replies[s.seq] for s in by_ttl[ttl] if s.seq in expect.replies),
                None,
            )

        def reached() -> int | None:
            return next(
                (
                    ttl
                    for ttl in by_ttl
                    if (r := reply(ttl)) is not None
                    and r.answer is not Answer.TIME_EXCEEDED
                ),
                None,
            )

        def complete() -> bool:
            last = reached() or hops
            return all(reply(ttl) is not None for ttl in range(1, last + 1))

        window = self._window(address)
        deadline = self._loop.time() + window
        try:
            for attempt in range(2):
                last = reached() or hops
                for ttl in range(1, last + 1):
                    if reply(ttl) is None:
                        sent = Sent(
                            family,
                            source,
                            address,
                            port,
                            local_port,
                            random.getrandbits(32),
                            ttl,
                            time.monotonic(),
                        )
                        if self._send(expect, sent):
                            by_ttl[ttl].append(sent)
                until = deadline if attempt else self._loop.time() + window / 2
                if await expect.until(until, complete):
                    break
        finally:
            self._expects.remove(expect)
            hold.close()
        last = reached() or hops
        trace = Trace(
            address,
            family,
            port,
            tuple(
                SynProbe(
                    address,
                    family,
                    port,
                    ttl,
                    reply(ttl) or PacketReply(Answer.NONE),
                    len(by_ttl[ttl]),
                )
                for ttl in range(1, last + 1)
            ),
        )
        log.debug(
            "packets.trace address=%s port=%s reached=%s hops=%d",
            address,
            port,
            reached(),
            len(trace.hops),
        )
        return trace

    # --- capture ------------------------------------------------------------

    def _read(self) -> None:
        for packet in self._wire.receive():
            for expect in list(self._expects):
                reply = expect.offer(packet)
                if reply is not None and reply.answer in (
                    Answer.TIME_EXCEEDED,
                    Answer.UNREACHABLE,
                ):
                    self._name(reply.source)
                    break

    def _name(self, address: str | None) -> None:
        if address is None or self._name_of is None or address in self._naming:
            return
        self._naming.add(address)
        self._spawn(self._look_up(address))

    async def _look_up(self, address: str) -> None:
        assert self._name_of is not None
        name = await self._name_of(address)
        if name:
            self._names[address] = name

    # --- tasks and the end ----------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        return task

    async def _bounded(self, work: Awaitable[object]) -> None:
        try:
            await asyncio.wait_for(work, self._timeouts.packets)
        except TimeoutError:
            log.debug("packets.wait gave up after %s s", self._timeouts.packets)

    async def finish(self) -> PacketEvidence:
        """Wait for what is in flight (bounded), then stop and report."""
        # Every connect has ended: no working port is coming that has not.
        for state in self._addresses.values():
            state.pending.clear()
            state.update()
        deadline = self._loop.time() + self._timeouts.packets
        while active := {t for t in self._tasks if not t.done()}:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(active, timeout=remaining)
        late = [t for t in self._tasks if not t.done()]
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        loaded = await self._ready() if self._loaded.done() else False
        self.close()

        if not loaded:
            return PacketEvidence(_load_failure(self._loaded))
        status = GATHERED
        if late:
            status = f"{GATHERED} (cut short after {self._timeouts.packets:g} s)"
        for task in self._tasks:
            if task.cancelled() or task.exception() is None:
                continue
            # A fault of netprobe's own: said in the report, not swallowed,
            # and the socket-level verdict still stands.
            error = task.exception()
            log.error("packets.internal %r", error, exc_info=error)
            status = f"incomplete: internal error ({type(error).__name__}: {error})"
        return PacketEvidence(
            status,
            gathered=True,
            probes=tuple(_results(self._syns.values())),
            traces=tuple(t for t in _results(self._traces.values()) if t.hops),
            names=dict(self._names),
            seconds=time.monotonic() - self._started,
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reading:
            self._loop.remove_reader(self._wire.fileno())
        if not self._loaded.done():
            # The import thread cannot be stopped; let it finish, then close.
            self._loaded.add_done_callback(lambda _: self._wire.close())
            return
        self._wire.close()


def _load_failure(loaded: asyncio.Future[None]) -> str:
    """The one line for a stage whose scapy import or capture socket failed."""
    error = None if not loaded.done() or loaded.cancelled() else loaded.exception()
    if isinstance(error, ImportError):
        return f"not gathered: scapy cannot be imported ({error})"
    if isinstance(error, PermissionError):
        return NOT_PRIVILEGED
    if isinstance(error, OSError):
        return f"not gathered: packet capture unavailable ({map_os_error(error)[0]})"
    return "not gathered: scapy did not load in time"


def _results(tasks: Iterable[asyncio.Task[_T]]) -> list[_T]:
    return [
        t.result()
        for t in tasks
        if t.done() and not t.cancelled() and not t.exception()
    ]


def open_stage(
    specs: Iterable[ProbeSpec],
    profile: Profile,
    round_trips: RoundTrips,
    name_of: NameLookup | None = None,
) -> PacketStage | str:
    """The packet stage, ready to watch the socket probes; or, when it
    cannot run, the one line the report gives instead."""
    specs = list(specs)
    if not profile.packets:
        return TURNED_OFF
    if not specs:
        return NOTHING_TO_PROBE
    if not hasattr(socket, "AF_PACKET"):
        # Limitation: capture uses Linux's AF_PACKET; other systems would
        # need BPF devices (the BSDs, macOS) or Npcap (Windows).
        return "not gathered: packet capture is implemented for Linux only"
    try:
        wire = _Wire()
    except PermissionError:
        return NOT_PRIVILEGED
    except OSError as exc:
        return f"not gathered: raw sockets unavailable ({map_os_error(exc)[0]})"
    return PacketStage(wire, specs, profile, round_trips, name_of)
