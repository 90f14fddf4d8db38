"""Probe the receiving side: connect, read the IMAP or POP3 greeting, ask
for capabilities, upgrade to TLS, say LOGOUT or QUIT.

It never logs in: no LOGIN, AUTHENTICATE, USER, PASS or APOP is ever sent.
Connections go through :class:`~netprobe.probe.Prober`, so receiving-side
probes share the sending side's round trips, concurrency limits and TLS
settings. Each probe hands back a
:class:`~netprobe.model.MailboxObservation`; ``classify`` says what it means.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from netprobe.mailbox import (
    LineReader,
    Pop3MultiLine,
    ProtocolError,
    parse_imap,
    parse_imap_greeting,
    parse_pop3,
    pop3_capabilities,
)
from netprobe.model import MailboxObservation, MailboxSpec, TlsInfo
from netprobe.probe import (
    Prober,
    StepError,
    local_address,
    map_os_error,
    read_chunk,
    tls_failure,
    tls_info,
)
from netprobe.profile import Timeouts

log = logging.getLogger(__name__)

# LOGOUT and QUIT are courtesies; do not wait long for their replies.
_GOODBYE_WAIT = 1.0


class _Lines:
    """Line-at-a-time reads over an asyncio stream, with one deadline each."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer
        self._parser = LineReader()
        self._ready: deque[str] = deque()

    async def read(self, step: str, timeout: float) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._ready:
            data = await read_chunk(self.reader, step, deadline, timeout, "line")
            try:
                self._ready.extend(self._parser.feed(data))
            except ProtocolError as exc:
                raise StepError(step, f"{exc.reason}: {exc.sample!r}") from None
        return self._ready.popleft()

    async def send(self, step: str, line: str, timeout: float) -> None:
        self.writer.write(line.encode("ascii") + b"\r\n")
        try:
            await asyncio.wait_for(self.writer.drain(), timeout)
        except (OSError, TimeoutError) as exc:
            raise StepError(step, map_os_error(exc)[0]) from None

    async def start_tls(
        self, context: ssl.SSLContext, host: str, timeout: float
    ) -> None:
        await self.writer.start_tls(
            context, server_hostname=host, ssl_handshake_timeout=timeout
        )
        # As with SMTP (RFC 3207 5), lines buffered before the handshake
        # belong to the plaintext phase and must not be read as TLS-protected
        # answers (RFC 2595 3.1, the STARTTLS command injection).
        self._parser = LineReader()
        self._ready.clear()


class _Laps:
    """Records how long each step took since the one before, by name."""

    def __init__(self, timings: dict[str, float]) -> None:
        self._timings = timings
        self._mark = time.monotonic()

    def __call__(self, step: str) -> None:
        now = time.monotonic()
        self._timings[step] = now - self._mark
        self._mark = now


class _Seen:
    """What a conversation has seen so far; frozen into an observation."""

    def __init__(self) -> None:
        self.greeting: str | None = None
        self.capabilities: tuple[str, ...] | None = None
        self.starttls_reply: str | None = None
        self.capabilities_after_tls: tuple[str, ...] | None = None
        self.tls: TlsInfo | None = None
        self.failure_step: str | None = None
        self.failure: str | None = None


class MailboxProber:
    """Runs receiving-side probes through a :class:`Prober`'s connections."""

    def __init__(self, prober: Prober, timeouts: Timeouts) -> None:
        self._prober = prober
        self._timeouts = timeouts

    async def run(
        self,
        specs: Iterable[MailboxSpec],
        on_done: Callable[[MailboxObservation], None] | None = None,
    ) -> list[MailboxObservation]:
        async def probe(spec: MailboxSpec) -> MailboxObservation:
            observation = await self.probe(spec)
            if on_done is not None:
                on_done(observation)
            return observation

        return list(await asyncio.gather(*(probe(spec) for spec in specs)))

    async def probe(self, spec: MailboxSpec) -> MailboxObservation:
        async with self._prober.slot(spec.address):
            log.debug("mailbox.started host=%s port=%s", spec.address, spec.port)
            observation = await self._probe(spec)
            log.debug(
                "mailbox.complete host=%s port=%s connected=%s failure=%s",
                spec.address,
                spec.port,
                observation.connected,
                observation.failure,
            )
            return observation

    async def _probe(self, spec: MailboxSpec) -> MailboxObservation:
        timings: dict[str, float] = {}
        started = time.monotonic()
        connected = await self._prober.connect(spec.address, spec.port)
        timings["connect"] = time.monotonic() - started
        if isinstance(connected, BaseException):
            name, number = map_os_error(connected)
            timings["total"] = timings["connect"]
            return MailboxObservation(
                spec, False, connect_error=name, connect_errno=number, timings=timings
            )

        reader, writer = connected
        local = local_address(writer)
        lines = _Lines(reader, writer)
        seen = _Seen()
        try:
            if spec.service.protocol == "imap":
                await self._imap(lines, spec, seen, timings)
            else:
                await self._pop3(lines, spec, seen, timings)
        except StepError as exc:
            seen.failure_step, seen.failure = exc.step, exc.reason
        finally:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), _GOODBYE_WAIT)
            except (OSError, TimeoutError, ssl.SSLError) as exc:
                log.debug("mailbox.close %s", map_os_error(exc)[0])
        timings["total"] = time.monotonic() - started
        return MailboxObservation(
            spec,
            True,
            greeting=seen.greeting,
            capabilities=seen.capabilities,
            starttls_reply=seen.starttls_reply,
            capabilities_after_tls=seen.capabilities_after_tls,
            tls=seen.tls,
            failure_step=seen.failure_step,
            failure=seen.failure,
            timings=timings,
            local_address=local,
        )

    async def _handshake(
        self, lines: _Lines, spec: MailboxSpec, seen: _Seen, step: str
    ) -> None:
        try:
            await lines.start_tls(self._prober.context, spec.host, self._timeouts.tls)
        except (OSError, ssl.SSLError, TimeoutError) as exc:
            seen.tls = tls_failure(exc)
            raise StepError(step, seen.tls.verify_error or "failed") from None
        seen.tls = tls_info(lines.writer, spec.host)

    # --- IMAP (RFC 9051) -----------------------------------------------------

    async def _imap_command(
        self, lines: _Lines, step: str, tag: str, command: str
    ) -> tuple[str, tuple[str, ...] | None]:
        """Send a tagged command; return its tagged reply and any
        capabilities announced on the way."""
        await lines.send(step, f"{tag} {command}", self._timeouts.command)
        capabilities = None
        for _ in range(100):
            line = await lines.read(step, self._timeouts.command)
            try:
                response = parse_imap(line)
            except ProtocolError as exc:
                raise StepError(step, f"{exc.reason}: {exc.sample!r}") from None
            capabilities = response.capabilities() or capabilities
            if response.tag == tag:
                return line, capabilities
        raise StepError(step, "no tagged reply after 100 lines")

    async def _imap(
        self,
        lines: _Lines,
        spec: MailboxSpec,
        seen: _Seen,
        timings: dict[str, float],
    ) -> None:
        lap = _Laps(timings)
        implicit = spec.service.implicit_tls
        if implicit:
            await self._handshake(lines, spec, seen, "tls")
            lap("tls")

        line = await lines.read("greeting", self._timeouts.greeting)
        seen.greeting = line
        try:
            greeting = parse_imap_greeting(line)
        except ProtocolError as exc:
            raise StepError("greeting", f"{exc.reason}: {exc.sample!r}") from None
        lap("greeting")
        if greeting.status == "BYE":
            return  # RFC 9051 7.1.5: the server closes the connection now

        capabilities = greeting.capabilities()
        if capabilities is None:
            _, capabilities = await self._imap_command(
                lines, "capability", "n1", "CAPABILITY"
            )
        caps = capabilities or ()
        if implicit:
            seen.capabilities_after_tls = caps
        else:
            seen.capabilities = caps
        lap("capability")

        if not implicit and "STARTTLS" in caps:
            reply, _ = await self._imap_command(lines, "starttls", "n2", "STARTTLS")
            seen.starttls_reply = reply
            if parse_imap(reply).status == "OK":
                await self._handshake(lines, spec, seen, "starttls")
                # RFC 9051 6.2.1: capabilities must be asked for again after
                # TLS; they often change (LOGINDISABLED goes away).
                _, after = await self._imap_command(
                    lines, "capability", "n3", "CAPABILITY"
                )
                seen.capabilities_after_tls = after or ()
            lap("starttls")
        await self._goodbye(lines, "n4 LOGOUT")

    # --- POP3 (RFC 1939, RFC 2449) -------------------------------------------

    async def _pop3_capa(self, lines: _Lines) -> tuple[str, ...]:
        await lines.send("capa", "CAPA", self._timeouts.command)
        status = await self._pop3_status(lines, "capa")
        if not status.ok:
            return ()  # CAPA is optional (RFC 2449); an old server says -ERR
        body = Pop3MultiLine()
        while True:
            line = await lines.read("capa", self._timeouts.command)
            try:
                done = body.feed(line)
            except ProtocolError as exc:
                raise StepError("capa", f"{exc.reason}: {exc.sample!r}") from None
            if done is not None:
                return pop3_capabilities(done)

    async def _pop3_status(self, lines: _Lines, step: str) -> _Pop3Line:
        line = await lines.read(step, self._timeouts.command)
        try:
            return _Pop3Line(line, parse_pop3(line).ok)
        except ProtocolError as exc:
            raise StepError(step, f"{exc.reason}: {exc.sample!r}") from None

    async def _pop3(
        self,
        lines: _Lines,
        spec: MailboxSpec,
        seen: _Seen,
        timings: dict[str, float],
    ) -> None:
        lap = _Laps(timings)
        implicit = spec.service.implicit_tls
        if implicit:
            await self._handshake(lines, spec, seen, "tls")
            lap("tls")

        line = await lines.read("greeting", self._timeouts.greeting)
        seen.greeting = line
        try:
            greeting = parse_pop3(line)
        except ProtocolError as exc:
            raise StepError("greeting", f"{exc.reason}: {exc.sample!r}") from None
        lap("greeting")
        if not greeting.ok:
            await self._goodbye(lines, "QUIT")
            return

        caps = await self._pop3_capa(lines)
        if implicit:
            seen.capabilities_after_tls = caps
        else:
            seen.capabilities = caps
        lap("capability")

        if not implicit and "STLS" in caps:
            await lines.send("starttls", "STLS", self._timeouts.command)
            reply = await self._pop3_status(lines, "starttls")
            seen.starttls_reply = reply.line
            if reply.ok:
                await self._handshake(lines, spec, seen, "starttls")
                seen.capabilities_after_tls = await self._pop3_capa(lines)
            lap("starttls")
        await self._goodbye(lines, "QUIT")

    async def _goodbye(self, lines: _Lines, command: str) -> None:
        try:
            await lines.send("goodbye", command, _GOODBYE_WAIT)
            await lines.read("goodbye", _GOODBYE_WAIT)
        except StepError as exc:
            log.debug("mailbox.goodbye unanswered: %s", exc)


@dataclass(frozen=True)
class _Pop3Line:
    """A POP3 status line as received, and whether it said +OK."""

    line: str
    ok: bool
