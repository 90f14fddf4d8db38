"""Probes against servers that misbehave on purpose, on loopback.

Each case is something a real server cannot be made to do reliably: a
greeting that never ends, bytes that are not SMTP, a byte a second, a reply
of endless continuation lines. The probe must stop at its limits, say what it
saw, and never hang or grow without bound.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from netprobe.classify import classify_one
from netprobe.model import Family, Outcome, ProbeResult, ProbeSpec, Role, Service
from netprobe.probe import Prober
from netprobe.profile import Profile, Timeouts
from tests.support.smtpserver import Script, ScriptedServer, greet_then

TIMEOUTS = Timeouts(connect=2.0, greeting=1.0, command=1.0, tls=1.0)


def probe(server: ScriptedServer, service: Service = Service.SMTP) -> ProbeResult:
    spec = ProbeSpec(
        "mx.test.example",
        server.address,
        Family.IPV4,
        server.port,
        service,
        (Role.EXCHANGE,),
    )
    prober = Prober(Profile(timeouts=TIMEOUTS))
    [observation] = asyncio.run(prober.run([spec]))
    return classify_one(observation)


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    await writer.drain()
    await asyncio.sleep(5)


async def endless_line(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    writer.write(b"220 ")
    for _ in range(2000):  # 2 MB without a line end, bounded so the test ends
        writer.write(b"x" * 1024)
        await writer.drain()


async def endless_reply(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    for _ in range(100_000):
        writer.write(b"220-still greeting\r\n")
        await writer.drain()


async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for byte in b"220 slow.example ESMTP\r\n":
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.2)


async def slow_greeting(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await asyncio.sleep(0.6)
    await greet_then(reader, writer, b"220 slow.example ESMTP\r\n")


async def busy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await greet_then(reader, writer, b"554 5.7.1 no service for you\r\n")


async def closes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


def run(script: Script, service: Service = Service.SMTP) -> tuple[ProbeResult, float]:
    with ScriptedServer(script) as server:
        started = time.monotonic()
        result = probe(server, service)
        return result, time.monotonic() - started


def test_probe_greeting_never_comes_is_not_smtp_within_greeting_timeout() -> None:
    result, seconds = run(silent)

    assert result.outcome is Outcome.NOT_SMTP
    assert "no complete reply within 1 s" in result.detail
    assert seconds < TIMEOUTS.greeting + 1.0


def test_probe_garbage_bytes_are_not_smtp() -> None:
    result, _ = run(garbage)

    assert result.outcome is Outcome.NOT_SMTP
    assert "SSH-2.0" in result.detail


def test_probe_line_that_never_ends_is_cut_at_the_line_limit() -> None:
    result, seconds = run(endless_line)

    assert result.outcome is Outcome.NOT_SMTP
    assert "line too long" in result.detail
    assert seconds < 2.0


def test_probe_reply_of_endless_lines_is_cut_at_the_line_count() -> None:
    result, _ = run(endless_reply)

    assert result.outcome is Outcome.NOT_SMTP
    assert "too many reply lines" in result.detail


def test_probe_dripping_server_cannot_stretch_the_greeting_deadline() -> None:
    result, seconds = run(drip)

    assert result.outcome is Outcome.NOT_SMTP
    assert seconds < TIMEOUTS.greeting + 1.0


def test_probe_slow_but_legal_greeting_is_open() -> None:
    result, _ = run(slow_greeting)

    assert result.outcome is Outcome.OPEN
    assert result.greeting_host == "slow.example"
    assert result.observation.timings["greeting"] >= 0.5


def test_probe_554_greeting_is_rejected_and_quits_politely() -> None:
    result, _ = run(busy)

    assert result.outcome is Outcome.REJECTED
    assert "554" in result.detail
    assert result.observation.ehlo is None


def test_probe_server_that_closes_at_once_is_not_smtp() -> None:
    result, _ = run(closes)

    assert result.outcome is Outcome.NOT_SMTP
    assert "closed the connection" in result.detail


def test_probe_implicit_tls_against_plain_server_is_tls_failed() -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await greet_then(reader, writer, b"220 plain.example ESMTP\r\n")

    result, seconds = run(plain, Service.SUBMISSIONS)

    assert result.outcome is Outcome.TLS_FAILED
    assert seconds < TIMEOUTS.tls + 1.0


@pytest.mark.parametrize("service", [Service.SMTP, Service.SUBMISSION])
def test_probe_refused_port_is_refused(service: Service) -> None:
    with ScriptedServer(silent) as server:
        port = server.port
    spec = ProbeSpec(
        "mx.test.example", "127.0.0.1", Family.IPV4, port, service, (Role.EXCHANGE,)
    )
    [observation] = asyncio.run(Prober(Profile(timeouts=TIMEOUTS)).run([spec]))

    assert classify_one(observation).outcome is Outcome.REFUSED
    assert observation.connect_error == "ECONNREFUSED"
