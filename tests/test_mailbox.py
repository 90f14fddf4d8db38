"""The receiving side: IMAP and POP3 parsed from bytes, probed against a
real Dovecot on loopback and against scripted misbehaviour, and the whole
check with the receiving side on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from netprobe.classify import classify_mailbox
from netprobe.cli import app
from netprobe.mailbox import (
    MAX_LINE_OCTETS,
    LineReader,
    Pop3MultiLine,
    ProtocolError,
    parse_imap,
    parse_imap_greeting,
    parse_pop3,
    pop3_capabilities,
)
from netprobe.model import (
    Family,
    MailboxResult,
    MailboxService,
    MailboxSpec,
    Outcome,
)
from netprobe.probe import Prober
from netprobe.probe_mailbox import MailboxProber
from netprobe.profile import Profile, Timeouts
from tests.support.dovecot import Dovecot, DovecotPorts, dovecot
from tests.support.pki import MailCA
from tests.support.smtpserver import Script, ScriptedServer, free_port
from tests.support.world import World, mail_world

IMAP_HOST = "127.0.0.7"
TIMEOUTS = Timeouts(connect=2.0, greeting=1.0, command=1.0, tls=2.0)

# --- sans-IO -----------------------------------------------------------------

DOVECOT_GREETING = (
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
    "LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) ready."
)


def test_imap_greeting_with_capability_code_lists_capabilities() -> None:
    greeting = parse_imap_greeting(DOVECOT_GREETING)

    assert (greeting.tag, greeting.status) == ("*", "OK")
    assert greeting.text == "Dovecot (Debian) ready."
    caps = greeting.capabilities()
    assert caps is not None
    assert {"IMAP4REV1", "STARTTLS", "LOGINDISABLED"} <= set(caps)


def test_imap_untagged_capability_data_and_tagged_ok() -> None:
    data = parse_imap("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
    done = parse_imap("n1 OK Pre-login capabilities listed")

    assert data.status is None
    assert data.capabilities() == ("IMAP4REV1", "AUTH=PLAIN")
    assert (done.tag, done.status, done.capabilities()) == ("n1", "OK", None)


@pytest.mark.parametrize(
    "line",
    ["220 mail.example ESMTP Postfix", "+OK Dovecot ready.", "SSH-2.0-OpenSSH_9.2", ""],
)
def test_imap_greeting_of_another_protocol_is_refused(line: str) -> None:
    with pytest.raises(ProtocolError):
        parse_imap_greeting(line)


def test_imap_bye_greeting_parses_as_bye() -> None:
    assert parse_imap_greeting("* BYE [UNAVAILABLE] too busy").status == "BYE"


def test_pop3_status_lines_and_other_protocols() -> None:
    assert parse_pop3("+OK Dovecot ready.").ok
    assert not parse_pop3("-ERR [SYS/TEMP] busy").ok
    with pytest.raises(ProtocolError):
        parse_pop3("* OK IMAP ready")


def test_pop3_multiline_unstuffs_dots_and_stops_at_the_terminator() -> None:
    body = Pop3MultiLine()
    lines = ["TOP", "..hidden", "SASL PLAIN LOGIN", "STLS", "."]

    results = [body.feed(line) for line in lines]

    assert results[:-1] == [None] * 4
    assert results[-1] == ["TOP", ".hidden", "SASL PLAIN LOGIN", "STLS"]
    caps = pop3_capabilities(results[-1])
    assert {"STLS", "SASL", "SASL=PLAIN", "SASL=LOGIN"} <= set(caps)


def test_pop3_multiline_without_end_is_cut_at_the_line_limit() -> None:
    body = Pop3MultiLine()

    with pytest.raises(ProtocolError, match="too many lines"):
        for _ in range(1000):
            body.feed("X-CAP")


def test_line_reader_joins_fragments_and_keeps_the_rest() -> None:
    reader = LineReader()

    assert reader.feed(b"* OK ready\r\n* CAPA") == ["* OK ready"]
    assert reader.feed(b"BILITY IMAP4rev1\n") == ["* CAPABILITY IMAP4rev1"]


def test_line_reader_refuses_a_line_that_never_ends() -> None:
    reader = LineReader()

    with pytest.raises(ProtocolError, match="line too long"):
        reader.feed(b"* OK " + b"x" * MAX_LINE_OCTETS)


# --- probes against a real Dovecot -------------------------------------------


@pytest.fixture(scope="module")
def imap_server(test_ca: MailCA) -> Iterator[Dovecot]:
    ports = DovecotPorts(*(free_port(IMAP_HOST) for _ in range(4)))
    with dovecot(test_ca, IMAP_HOST, "imap.ok.example", ports) as server:
        yield server


def probe(
    port: int,
    service: MailboxService,
    cafile: str | None,
    address: str = IMAP_HOST,
    host: str = "imap.ok.example",
) -> MailboxResult:
    spec = MailboxSpec(host, address, Family.IPV4, port, service)
    prober = Prober(Profile(timeouts=TIMEOUTS, cafile=cafile))
    [observation] = asyncio.run(MailboxProber(prober, TIMEOUTS).run([spec]))
    return classify_mailbox(observation)


@pytest.mark.parametrize("service", list(MailboxService))
def test_probe_dovecot_every_service_is_open_with_verified_tls(
    imap_server: Dovecot, test_ca: MailCA, service: MailboxService
) -> None:
    port = getattr(imap_server.ports, service.value)

    result = probe(port, service, str(test_ca.cafile))

    assert result.outcome is Outcome.OPEN, result.detail
    tls = result.observation.tls
    assert tls is not None and tls.verified
    assert result.starttls is (None if service.implicit_tls else True)
    assert result.detail.startswith(service.protocol.upper())


def test_probe_dovecot_imap_capabilities_change_after_starttls(
    imap_server: Dovecot, test_ca: MailCA
) -> None:
    result = probe(imap_server.ports.imap, MailboxService.IMAP, str(test_ca.cafile))

    before = result.observation.capabilities or ()
    after = result.observation.capabilities_after_tls or ()
    assert "LOGINDISABLED" in before
    assert "LOGINDISABLED" not in after
    assert "AUTH=PLAIN" in after
    assert result.observation.starttls_reply is not None
    assert " OK " in result.observation.starttls_reply


def test_probe_dovecot_pop3_reads_capa_before_and_after_stls(
    imap_server: Dovecot, test_ca: MailCA
) -> None:
    result = probe(imap_server.ports.pop3, MailboxService.POP3, str(test_ca.cafile))

    assert "STLS" in (result.observation.capabilities or ())
    assert "SASL=PLAIN" in (result.observation.capabilities_after_tls or ())


def test_probe_dovecot_never_logs_in(imap_server: Dovecot, test_ca: MailCA) -> None:
    for service in MailboxService:
        probe(getattr(imap_server.ports, service.value), service, str(test_ca.cafile))

    # Dovecot logs each disconnect with the number of authentication
    # attempts and the user name, and "Login:" for a login that succeeded.
    log = imap_server.log()
    disconnects = [line for line in log.splitlines() if "Disconnected" in line]
    assert len(disconnects) >= len(MailboxService)
    # ("before auth was ready": the fixture's own check that ports listen.)
    assert all(
        "no auth attempts" in line or "before auth was ready" in line
        for line in disconnects
    ), log
    assert all("user=<>" in line for line in disconnects)
    assert "Login:" not in log and "auth failed" not in log


def test_probe_dovecot_untrusted_ca_is_tls_failed(imap_server: Dovecot) -> None:
    result = probe(imap_server.ports.imaps, MailboxService.IMAPS, cafile=None)

    assert result.outcome is Outcome.TLS_FAILED
    assert "certificate" in result.detail


# --- scripted misbehaviour ---------------------------------------------------


async def _imap_without_starttls(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    # A middlebox that strips STARTTLS, as some do for SMTP.
    writer.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] stripped.example\r\n")
    await writer.drain()
    while line := await reader.readline():
        tag = line.split(b" ", 1)[0]
        if b"LOGOUT" in line.upper():
            writer.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
            await writer.drain()
            return


async def _imap_bye(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"* BYE [UNAVAILABLE] too many connections from your address\r\n")
    await writer.drain()


async def _smtp_banner(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    writer.write(b"220 smtp.example ESMTP\r\n")
    await writer.drain()
    await asyncio.sleep(2)


async def _pop3_old(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # RFC 1939 without RFC 2449: CAPA is an unknown command.
    writer.write(b"+OK old POP3 ready\r\n")
    await writer.drain()
    while line := await reader.readline():
        if line.upper().startswith(b"QUIT"):
            writer.write(b"+OK bye\r\n")
            await writer.drain()
            return
        writer.write(b"-ERR unknown command\r\n")
        await writer.drain()


def scripted(script: Script, service: MailboxService) -> MailboxResult:
    with ScriptedServer(script) as server:
        return probe(server.port, service, None, address=server.address)


def test_probe_imap_without_starttls_is_open_but_says_passwords_go_in_clear() -> None:
    result = scripted(_imap_without_starttls, MailboxService.IMAP)

    assert result.outcome is Outcome.OPEN
    assert result.starttls is False
    assert "no STARTTLS" in result.detail


def test_probe_imap_bye_greeting_is_rejected() -> None:
    result = scripted(_imap_bye, MailboxService.IMAP)

    assert result.outcome is Outcome.REJECTED
    assert "too many connections" in result.detail


def test_probe_smtp_banner_on_an_imap_port_is_not_the_protocol() -> None:
    result = scripted(_smtp_banner, MailboxService.IMAP)

    assert result.outcome is Outcome.NOT_SMTP
    assert result.detail.startswith("not IMAP: ")


def test_probe_pop3_without_capa_is_open_without_starttls() -> None:
    result = scripted(_pop3_old, MailboxService.POP3)

    assert result.outcome is Outcome.OPEN
    assert result.observation.capabilities == ()
    assert result.starttls is False


# --- the whole check ---------------------------------------------------------

ZONE = """
$TTL 60
example. IN SOA ns.example. admin.example. 1 60 60 60 60
ok.example. IN MX 10 mail.ok.example.
mail.ok.example. IN A 127.0.0.4
_imaps._tcp.ok.example. IN SRV 0 1 {imaps} imap.ok.example.
imap.ok.example. IN A 127.0.0.7
plain.example. IN MX 10 mail.ok.example.
imap.plain.example. IN A 127.0.0.8
"""


@pytest.fixture(scope="module")
def receiving_world(test_ca: MailCA, imap_server: Dovecot) -> Iterator[World]:
    zone = ZONE.format(imaps=imap_server.ports.imaps)
    with mail_world(test_ca, zone) as world:
        yield world


def check(world: World, domain: str, profile: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        app, ["check", domain, *extra, *world.args, "--profile", str(profile)]
    )


def test_check_receiving_side_probes_srv_host_and_advises_imap(
    receiving_world: World, imap_server: Dovecot, tmp_path: Path
) -> None:
    ports = imap_server.ports
    profile = tmp_path / "incoming.toml"
    profile.write_text(
        "receiving = true\nreceiving_ports = [\n"
        f'  {{ port = {ports.imap}, service = "imap" }},\n'
        f'  {{ port = {ports.pop3s}, service = "pop3s" }},\n]\n'
        f'expect = [{{ host = "imap.ok.example", port = {ports.imaps}, '
        'outcome = "open" }]\n'
    )
    result = check(receiving_world, "ok.example", profile, "-f", "json")
    text = check(receiving_world, "ok.example", profile)

    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["mailbox_hosts"][0] == {
        "host": "imap.ok.example",
        "source": "srv",
        "port": ports.imaps,
        "service": "imaps",
        "addresses": ["127.0.0.7"],
    }
    by_host: dict[str, set[tuple[int, str]]] = {}
    for p in doc["mailbox_probes"]:
        by_host.setdefault(p["host"], set()).add((p["port"], p["outcome"]))
    assert by_host["imap.ok.example"] == {
        (ports.imaps, "open"),
        (ports.imap, "open"),
        (ports.pop3s, "open"),
    }
    # mail.ok.example is one of the usual names, and runs no IMAP or POP3.
    assert {o for _, o in by_host["mail.ok.example"]} == {"refused"}
    assert not any(f["code"].startswith("incoming") for f in doc["findings"])
    incoming = [a for a in doc["advice"] if a["purpose"] == "incoming"]
    assert (incoming[0]["host"], incoming[0]["port"], incoming[0]["protocol"]) == (
        "imap.ok.example",
        ports.imaps,
        "imap",
    )
    assert incoming[0]["security"] == "implicit_tls"
    assert doc["expectations"][0]["holds"] is True
    assert "Incoming mail (IMAP, POP3):" in text.stdout
    assert "(incoming mail, IMAP)" in text.stdout


def test_check_receiving_side_unreachable_is_a_finding(
    receiving_world: World, tmp_path: Path
) -> None:
    closed = free_port("127.0.0.8")
    profile = tmp_path / "incoming.toml"
    profile.write_text(
        "receiving = true\n"
        f'receiving_ports = [{{ port = {closed}, service = "imaps" }}]\n'
    )

    result = check(receiving_world, "plain.example", profile, "-f", "json")

    doc = json.loads(result.stdout)
    blocked = [f for f in doc["findings"] if f["code"] == "incoming_blocked"]
    assert blocked and blocked[0]["how"] == "reset"
    assert doc["verdict"]["status"] == "degraded"
    assert result.exit_code == 1


def test_check_without_receiving_probes_no_mailbox(receiving_world: World) -> None:
    result = CliRunner().invoke(
        app, ["check", "ok.example", "-f", "json", *receiving_world.args]
    )

    doc = json.loads(result.stdout)
    assert doc["mailbox_probes"] == [] and doc["mailbox_hosts"] == []
    assert not any(q["name"].startswith("_imaps") for q in doc["dns"])
