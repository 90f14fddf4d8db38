"""Probe: connect, read the greeting, say EHLO, upgrade to TLS, say QUIT.

Connections are opened here, through :meth:`Prober.connect`, which the
receiving side's probe (``probe_mailbox``) shares so that both kinds of probe
learn from the same round trips and respect the same limits. Every probe runs
concurrently, bounded per address and overall, and hands back an
:class:`~netprobe.model.Observation`: what it saw, not what it means
(``classify`` decides that). It never sends MAIL, RCPT, DATA or AUTH.

Waiting for a silent port is the slow part of any check. A dropped SYN gets
no answer at all, so the only way to call it filtered is to wait; the wait is
bounded by what the rest of the check learns about the path. Every answer (a
SYN-ACK or a RST) records its round trip; a connection is called filtered
once the SYN the kernel resends after one second has had a few of the
slowest round trips seen to be answered (see ``RoundTrips`` and
``profile.Timeouts``). With no answer anywhere, the ceiling applies. The
greeting is not judged this way: a server may take its time to greet on
purpose, and a slow greeting is an open port, not a blocked one.

A :class:`ConnectWatcher` (the packet stage) is told when each connect
starts and ends, so that it can look at failing ports while the rest of
the probes are still talking.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from netprobe import certs
from netprobe.model import Observation, ProbeSpec, TlsInfo
from netprobe.profile import Profile, Timeouts
from netprobe.smtp import Extensions, Reply, ReplyError, ReplyReader

log = logging.getLogger(__name__)

_READ_CHUNK = 4096
# QUIT is a courtesy (RFC 5321 4.1.1.10); do not wait long for its reply.
_QUIT_WAIT = 1.0


class StepError(Exception):
    """A step of a conversation (SMTP here, IMAP or POP3 in probe_mailbox)
    failed; carries the step and why. Caught inside the probe, never raised
    out of it: the observation records it."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


def map_os_error(exc: BaseException) -> tuple[str, int | None]:
    """The one place OS errors become names. Timeouts are checked first:
    ``TimeoutError`` is an ``OSError`` subclass and must not be read as one.
    """
    if isinstance(exc, TimeoutError):
        return "timeout", None
    if isinstance(exc, ssl.SSLError):
        return f"TLS {exc.reason or exc.__class__.__name__}", None
    if isinstance(exc, OSError) and exc.errno is not None:
        return errno.errorcode.get(exc.errno, f"errno {exc.errno}"), exc.errno
    if isinstance(exc, OSError):
        return exc.strerror or exc.__class__.__name__, None
    return exc.__class__.__name__, None


# Linux resends an unanswered SYN after one second: RFC 6298 2.1's initial
# retransmission timeout (TCP_TIMEOUT_INIT in the kernel).
SYN_RETRY = 1.0
# When an ICMPv6 error for a SYN reaches the socket: at that first resend.
ICMP6_SETTLE = SYN_RETRY + 0.25


@dataclass
class RoundTrips:
    """Round trips of the answers seen so far, shared by all probes.

    An answer that took longer than ``SYN_RETRY`` may answer the resent SYN
    rather than the first, so its time says nothing sure about the path
    (Karn's rule, RFC 6298 3): it wakes the waiters but is not recorded.
    Otherwise one SYN lost on Wi-Fi would stretch every wait fourfold.
    """

    by_address: dict[str, float] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, address: str, seconds: float) -> None:
        if seconds < SYN_RETRY:
            self.by_address[address] = max(self.by_address.get(address, 0.0), seconds)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def path(self, address: str) -> float | None:
        """The round trip to ``address``: the slowest of its answers, or for
        an address not heard from, the slowest path measured, since an
        unmeasured path may be as long as the longest."""
        rtt = self.by_address.get(address)
        if rtt is None and self.by_address:
            rtt = max(self.by_address.values())
        return rtt

    def resend_after(self, address: str, timeouts: Timeouts) -> float | None:
        """When a silent connection gets a second SYN of netprobe's own.

        Linux resends a SYN only after a second (RFC 6298 2.1); once the
        path is measured, a fresh connection after ``filtered_rtt_multiple``
        round trips does the same job sooner, so one SYN lost on Wi-Fi still
        cannot pass for a filter. ``None`` while nothing has answered.
        """
        rtt = self.path(address)
        if rtt is None:
            return None
        return max(timeouts.filtered_floor / 2, timeouts.filtered_rtt_multiple * rtt)

    def silent_limit(self, address: str, timeouts: Timeouts) -> float:
        """How long a silent connection to ``address`` is worth waiting for.

        Silence is judged from the second SYN (``resend_after``): it gets
        its own ``filtered_rtt_multiple`` round trips to be answered in,
        never less than ``filtered_floor`` in all, never more than the
        ``connect`` ceiling, which alone applies while nothing has answered.
        """
        rtt = self.path(address)
        resend = self.resend_after(address, timeouts)
        if rtt is None or resend is None:
            return timeouts.connect
        limit = max(
            timeouts.filtered_floor, resend + timeouts.filtered_rtt_multiple * rtt
        )
        return min(limit, timeouts.connect)

    async def wait_changed(self) -> None:
        await self._changed.wait()


async def read_chunk(
    reader: asyncio.StreamReader, step: str, deadline: float, timeout: float, what: str
) -> bytes:
    """One read towards a reply (or line) due by ``deadline``.

    The deadline is the whole reply's, so that a server dripping a byte at a
    time cannot stretch a read past it; ``timeout`` and ``what`` only word
    the error. An empty read is the server closing the connection.
    """
    late = StepError(step, f"no complete {what} within {timeout:g} s")
    remaining = deadline - asyncio.get_running_loop().time()
    if remaining <= 0:
        raise late
    try:
        data = await asyncio.wait_for(reader.read(_READ_CHUNK), remaining)
    except TimeoutError:
        raise late from None
    except OSError as exc:
        raise StepError(step, map_os_error(exc)[0]) from None
    if not data:
        raise StepError(step, "the server closed the connection")
    return data


_Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _cancel_others(
    attempts: dict[asyncio.Future[_Stream], float], keep: asyncio.Future[_Stream] | None
) -> None:
    """Stop the connection attempts other than ``keep``: cancel the pending
    ones, close any that connected too (the second SYN may win both)."""
    for attempt in attempts:
        if attempt is keep:
            continue
        if not attempt.done():
            attempt.cancel()
        elif keep is not None and not attempt.cancelled() and not attempt.exception():
            attempt.result()[1].close()


class ConnectWatcher(Protocol):
    """Told when each connect starts and how it ended (the packet stage)."""

    def connect_started(self, spec: ProbeSpec) -> None: ...

    def connect_done(self, spec: ProbeSpec, connected: bool) -> None: ...


class _Session:
    """One SMTP conversation over an asyncio stream."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        timeouts: Timeouts,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.timeouts = timeouts
        self._parser = ReplyReader()
        self._ready: deque[Reply] = deque()

    async def read_reply(self, step: str, timeout: float) -> Reply:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._ready:
            data = await read_chunk(self.reader, step, deadline, timeout, "reply")
            try:
                self._ready.extend(self._parser.feed(data))
            except ReplyError as exc:
                raise StepError(step, f"{exc.reason}: {exc.sample!r}") from None
        return self._ready.popleft()

    async def command(self, step: str, line: str) -> Reply:
        self.writer.write(line.encode("ascii") + b"\r\n")
        try:
            await asyncio.wait_for(self.writer.drain(), self.timeouts.command)
        except (OSError, TimeoutError) as exc:
            raise StepError(step, map_os_error(exc)[0]) from None
        return await self.read_reply(step, self.timeouts.command)

    async def start_tls(self, context: ssl.SSLContext, host: str) -> None:
        await self.writer.start_tls(
            context, server_hostname=host, ssl_handshake_timeout=self.timeouts.tls
        )
        # Bytes buffered before the handshake belong to the plaintext phase;
        # RFC 3207 5 says the client must discard them (the CVE-2011-0411
        # injection), so the reply parser starts afresh.
        self._parser = ReplyReader()
        self._ready.clear()

    async def quit(self) -> None:
        try:
            self.writer.write(b"QUIT\r\n")
            await asyncio.wait_for(self.writer.drain(), _QUIT_WAIT)
            await self.read_reply("quit", _QUIT_WAIT)
        except (StepError, OSError, TimeoutError) as exc:
            log.debug("probe.quit unanswered: %s", exc)


ReplyValue = tuple[int, tuple[str, ...]]


def _reply_value(reply: Reply) -> ReplyValue:
    return reply.code, reply.lines


@dataclass
class _Seen:
    """What a conversation has seen so far; frozen into an Observation."""

    greeting: ReplyValue | None = None
    ehlo: ReplyValue | None = None
    starttls_reply: ReplyValue | None = None
    ehlo_after_tls: ReplyValue | None = None
    tls: TlsInfo | None = None
    failure_step: str | None = None
    failure: str | None = None


def _ehlo_name(writer: asyncio.StreamWriter) -> str:
    """An address literal for our own end (RFC 5321 4.1.3).

    netprobe has no name it could prove, and an honest address literal is
    what RFC 5321 4.1.4 asks of a client without one.
    """
    sockname = writer.get_extra_info("sockname")
    address = str(sockname[0]) if sockname else "127.0.0.1"
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def tls_context(cafile: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if cafile:
        context.load_verify_locations(cafile=cafile)
    # The chain is verified by OpenSSL; the name is compared by certs.matches
    # so that a certificate for another host is recorded, not just refused.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def local_address(writer: asyncio.StreamWriter) -> str | None:
    """This machine's end of a connection: evidence, and what redaction hides."""
    sockname = writer.get_extra_info("sockname")
    return str(sockname[0]) if sockname else None


def tls_info(writer: asyncio.StreamWriter, host: str) -> TlsInfo:
    ssl_object = writer.get_extra_info("ssl_object")
    cert = ssl_object.getpeercert() if ssl_object else None
    cipher = ssl_object.cipher() if ssl_object else None
    names = certs.dns_names(cert) if cert else ()
    name_ok = certs.matches(host, names)
    error = None
    if not name_ok:
        listed = ", ".join(names) or "no names"
        error = f"certificate is not valid for {host} (it names {listed})"
    return TlsInfo(
        version=ssl_object.version() if ssl_object else None,
        cipher=cipher[0] if cipher else None,
        verified=name_ok,
        verify_error=error,
        subject=certs.subject_text(cert) if cert else None,
        issuer=certs.subject_text(cert, "issuer") if cert else None,
        names=names,
        not_after=str(cert.get("notAfter")) if cert else None,
    )


def tls_failure(exc: BaseException) -> TlsInfo:
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or str(exc)
    else:
        reason = map_os_error(exc)[0]
    return TlsInfo(
        version=None,
        cipher=None,
        verified=False,
        verify_error=reason,
        subject=None,
        issuer=None,
        names=(),
        not_after=None,
    )


class Prober:
    """Runs probes concurrently and returns their observations in order."""

    def __init__(
        self,
        profile: Profile,
        round_trips: RoundTrips | None = None,
        watcher: ConnectWatcher | None = None,
    ) -> None:
        self._profile = profile
        self._timeouts = profile.timeouts
        self.context = tls_context(profile.cafile)
        self._all = asyncio.Semaphore(profile.concurrency)
        self._per_address: dict[str, asyncio.Semaphore] = {}
        self.round_trips = round_trips if round_trips is not None else RoundTrips()
        self._watcher = watcher

    async def run(
        self,
        specs: Iterable[ProbeSpec],
        on_done: Callable[[Observation], None] | None = None,
    ) -> list[Observation]:
        """Probe every spec; ``on_done`` hears of each as it finishes (the
        CLI draws its progress from it), in completion order."""

        async def probe(spec: ProbeSpec) -> Observation:
            observation = await self.probe(spec)
            if on_done is not None:
                on_done(observation)
            return observation

        return list(await asyncio.gather(*(probe(spec) for spec in specs)))

    @contextlib.asynccontextmanager
    async def slot(self, address: str) -> AsyncIterator[None]:
        """Hold one of the overall and one of ``address``'s probe slots."""
        limit = self._per_address.setdefault(
            address, asyncio.Semaphore(self._profile.per_host_concurrency)
        )
        async with self._all, limit:
            yield

    async def probe(self, spec: ProbeSpec) -> Observation:
        async with self.slot(spec.address):
            log.debug("probe.started host=%s port=%s", spec.address, spec.port)
            observation = await self._probe(spec)
            log.debug(
                "probe.complete host=%s port=%s connected=%s failure=%s",
                spec.address,
                spec.port,
                observation.connected,
                observation.failure,
            )
            return observation

    async def connect(
        self, address: str, port: int, spec: ProbeSpec | None = None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | BaseException:
        """Connect, giving up on silence as soon as the path says it may.

        With ``spec``, the packet stage (if any) is told when the connection
        starts and ends, so its SYNs go out while the socket still waits.
        """
        if self._watcher is not None and spec is not None:
            self._watcher.connect_started(spec)
        started = time.monotonic()
        attempts = {self._attempt(address, port): started}
        try:
            while True:
                waited = time.monotonic() - started
                limit = self._silent_limit(address)
                if waited >= limit:
                    if spec is not None:
                        self._connect_done(spec, connected=False)
                    return TimeoutError(f"no answer within {waited:.1f} s")
                wake = limit - waited
                resend = self.round_trips.resend_after(address, self._timeouts)
                if resend is not None and len(attempts) == 1:
                    if waited >= resend:
                        log.debug("probe.resend host=%s port=%s", address, port)
                        attempts[self._attempt(address, port)] = time.monotonic()
                        continue
                    wake = min(wake, resend - waited)
                changed = asyncio.ensure_future(self.round_trips.wait_changed())
                waiting: set[asyncio.Future[Any]] = {*attempts, changed}
                done, _ = await asyncio.wait(
                    waiting,
                    timeout=wake,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                changed.cancel()
                answered_first = [a for a in attempts if a in done]
                if answered_first:
                    attempt = answered_first[0]
                    break
        finally:
            _cancel_others(attempts, keep=None)
        _cancel_others(attempts, keep=attempt)
        exc = attempt.exception()
        # A SYN-ACK and a RST are both answers from the path: either one
        # measures its round trip. An ICMP error may come from any router.
        answered = exc is None or (
            isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED
        )
        if answered:
            self.round_trips.record(address, time.monotonic() - attempts[attempt])
        if spec is not None:
            self._connect_done(spec, connected=exc is None)
        return exc if exc is not None else attempt.result()

    def _silent_limit(self, address: str) -> float:
        limit = self.round_trips.silent_limit(address, self._timeouts)
        if ":" in address and self._watcher is None:
            # Linux hands an ICMPv6 error (admin-prohibited among them) to a
            # connecting socket only when the SYN's first retransmission
            # timer fires (seen in the lab: EACCES after 1.02 s). Without
            # the packet stage to see the ICMPv6 itself, wait that long, or
            # "prohibited" would read as "filtered".
            limit = max(limit, min(ICMP6_SETTLE, self._timeouts.connect))
        return limit

    @staticmethod
    def _attempt(address: str, port: int) -> asyncio.Future[_Stream]:
        return asyncio.ensure_future(asyncio.open_connection(address, port))

    def _connect_done(self, spec: ProbeSpec, connected: bool) -> None:
        if self._watcher is not None:
            self._watcher.connect_done(spec, connected)

    async def _probe(self, spec: ProbeSpec) -> Observation:
        timings: dict[str, float] = {}
        started = time.monotonic()
        connected = await self.connect(spec.address, spec.port, spec)
        timings["connect"] = time.monotonic() - started
        if isinstance(connected, BaseException):
            name, number = map_os_error(connected)
            timings["total"] = timings["connect"]
            return Observation(
                spec, False, connect_error=name, connect_errno=number, timings=timings
            )

        reader, writer = connected
        local = local_address(writer)
        session = _Session(reader, writer, self._timeouts)
        seen = _Seen()
        try:
            await self._converse(session, spec, seen, timings)
        except StepError as exc:
            seen.failure_step, seen.failure = exc.step, exc.reason
        finally:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), _QUIT_WAIT)
            except (OSError, TimeoutError, ssl.SSLError) as exc:
                log.debug("probe.close %s", map_os_error(exc)[0])
        timings["total"] = time.monotonic() - started
        return Observation(
            spec,
            True,
            local_address=local,
            greeting=seen.greeting,
            ehlo=seen.ehlo,
            starttls_reply=seen.starttls_reply,
            ehlo_after_tls=seen.ehlo_after_tls,
            tls=seen.tls,
            failure_step=seen.failure_step,
            failure=seen.failure,
            timings=timings,
        )

    async def _converse(
        self,
        session: _Session,
        spec: ProbeSpec,
        seen: _Seen,
        timings: dict[str, float],
    ) -> None:
        mark = time.monotonic()

        def lap(step: str) -> None:
            nonlocal mark
            now = time.monotonic()
            timings[step] = now - mark
            mark = now

        if spec.service.implicit_tls:
            await self._handshake(session, spec, seen, "tls")
            lap("tls")

        greeting = await session.read_reply("greeting", self._timeouts.greeting)
        seen.greeting = _reply_value(greeting)
        lap("greeting")
        if greeting.code != 220:
            # RFC 5321 3.1: a 554 (or 421) greeting means "no service"; the
            # client should still QUIT and wait for the reply.
            await session.quit()
            return

        ehlo = await session.command("ehlo", f"EHLO {_ehlo_name(session.writer)}")
        seen.ehlo = _reply_value(ehlo)
        lap("ehlo")
        if ehlo.code != 250 or spec.service.implicit_tls:
            await session.quit()
            return

        if Extensions.from_reply(ehlo).starttls:
            reply = await session.command("starttls", "STARTTLS")
            seen.starttls_reply = _reply_value(reply)
            if reply.code == 220:
                await self._handshake(session, spec, seen, "starttls")
                again = await session.command(
                    "ehlo", f"EHLO {_ehlo_name(session.writer)}"
                )
                seen.ehlo_after_tls = _reply_value(again)
            lap("starttls")
        await session.quit()

    async def _handshake(
        self, session: _Session, spec: ProbeSpec, seen: _Seen, step: str
    ) -> None:
        try:
            await session.start_tls(self.context, spec.host)
        except (OSError, ssl.SSLError, TimeoutError) as exc:
            seen.tls = tls_failure(exc)
            raise StepError(step, seen.tls.verify_error or "failed") from None
        seen.tls = tls_info(session.writer, spec.host)
