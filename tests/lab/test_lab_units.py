"""The lab's pieces that need no network: rule sets, configs, the forwarder."""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
import struct
from pathlib import Path

import pytest

from lab import Family, Mode, dns, firewall, forwarder, pki, postfix, prerequisites
from lab import __main__ as cli
from lab import addresses as A
from lab.addresses import BACKUP, MAIL, REFERENCE
from lab.servfail import answer
from lab.state import State


@pytest.mark.parametrize(
    ("mode", "verdict"),
    [
        (Mode.DROP, "drop"),
        (Mode.RESET, "reject with tcp reset"),
        (Mode.PROHIBITED, "reject with icmpx type admin-prohibited"),
    ],
)
def test_blocking_mode_filters_forwarded_25_from_the_hotel(
    mode: Mode, verdict: str
) -> None:
    rules = firewall.policy_ruleset(mode, Family.BOTH)

    for family in ("ipv4", "ipv6"):
        rule = f'iifname "hotel0" meta nfproto {family} tcp dport 25 {verdict}'
        assert rule in rules
    assert "dnat" not in rules


def test_redirect_mode_dnats_each_family_to_the_relay() -> None:
    rules = firewall.policy_ruleset(Mode.REDIRECT, Family.BOTH)

    assert "meta nfproto ipv4 tcp dport 25 dnat ip to 198.51.100.1:25" in rules
    assert "meta nfproto ipv6 tcp dport 25 dnat ip6 to [2001:db8:1::1]:25" in rules


def test_family_mode_leaves_the_other_family_alone() -> None:
    rules = firewall.policy_ruleset(Mode.DROP, Family.IPV6)

    assert "nfproto ipv6" in rules
    assert "nfproto ipv4" not in rules


def test_none_mode_has_chains_but_no_rules() -> None:
    rules = firewall.policy_ruleset(Mode.NONE, Family.BOTH)

    assert "dport" not in rules
    assert "hook forward" in rules


def test_ruleset_replaces_its_table_in_one_transaction() -> None:
    lines = firewall.policy_ruleset(Mode.DROP, Family.BOTH).splitlines()

    assert lines[1:4] == [
        "table inet netprobe_port25",
        "delete table inet netprobe_port25",
        "table inet netprobe_port25 {",
    ]


def test_switched_off_host_drops_both_addresses() -> None:
    rules = firewall.hosts_ruleset([MAIL])

    assert "ip daddr 203.0.113.25 drop" in rules
    assert "ip6 daddr 2001:db8:3::25 drop" in rules
    assert BACKUP.v4 not in rules


def test_port25_switch_drops_port_25_of_both_addresses_only() -> None:
    rules = firewall.hosts_ruleset([], [MAIL])

    assert "ip daddr 203.0.113.25 tcp dport 25 drop" in rules
    assert "ip6 daddr 2001:db8:3::25 tcp dport 25 drop" in rules
    assert "ip daddr 203.0.113.25 drop" not in rules
    assert "port 25 switched off: mail" in rules


def test_host_switches_load_each_host_where_it_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: dict[str, str] = {}
    monkeypatch.setattr(
        firewall, "_load", lambda _, ns, ruleset: loaded.__setitem__(ns, ruleset)
    )

    firewall.apply_hosts(tmp_path, [REFERENCE], [MAIL])

    assert sorted(loaded) == ["np-corp", "np-net"]
    assert "ip daddr 203.0.113.40 drop" in loaded["np-net"]
    assert "203.0.113.25" not in loaded["np-net"]
    assert "ip daddr 203.0.113.25 tcp dport 25 drop" in loaded["np-corp"]
    assert "203.0.113.40" not in loaded["np-corp"]


def test_reference_addresses_lie_beyond_the_isp_on_no_link() -> None:
    links = [
        ipaddress.ip_interface(cidr).network
        for link in (A.HOTEL_ISP, A.ISP_NET, A.NET_CORP)
        for end in (link.a, link.b)
        for cidr in (*end.v4, *end.v6)
    ]
    v4, v6 = (ipaddress.ip_address(a) for a in (REFERENCE.v4, REFERENCE.v6))

    assert REFERENCE.namespace == A.NET
    assert not any(address in net for net in links for address in (v4, v6))
    assert v4 in ipaddress.ip_network("203.0.113.32/28")
    assert REFERENCE.key in A.SWITCHABLE


def test_state_saved_before_the_port25_switch_loads_with_none_off(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    old = {"mode": "drop", "family": "both", "delay_ms": 0, "hosts_off": ["mail"]}
    path.write_text(json.dumps(old))

    state = State.load(path)

    assert (state.hosts_off, state.port25_off) == (["mail"], [])


def test_dnsmasq_config_keeps_example_local_and_forwards_failing_zones() -> None:
    config = dns.config(Path("/run/x")).splitlines()

    assert "local=/example/" in config
    assert "no-resolv" in config
    assert "server=/broken.example/203.0.113.30" in config
    assert "server=/servfail.example/203.0.113.2" in config
    assert "dns-rr=nullmx.example,15,00:00:00" in config
    assert "host-record=mail.whaler.example,203.0.113.25,2001:db8:3::25" in config
    # PTR goes to the first host-record of an address: the exchange.
    first_25 = next(line for line in config if "203.0.113.25" in line)
    assert first_25.startswith("host-record=mail.whaler.example,")


def test_dnsmasq_config_has_the_reference_mx_and_its_addresses() -> None:
    config = dns.config(Path("/run/x")).splitlines()

    assert "mx-host=reference.example,mx.reference.example,10" in config
    assert "host-record=mx.reference.example,203.0.113.40,2001:db8:4::40" in config


def test_only_mail_offers_submission() -> None:
    mail, backup, relay, reference = postfix.INSTANCES

    assert "587 " in postfix.master_cf(mail)
    assert "smtpd_tls_wrappermode=yes" in postfix.master_cf(mail)
    assert "587 " not in postfix.master_cf(backup)
    assert "465 " not in postfix.master_cf(relay)
    assert "587 " not in postfix.master_cf(reference)
    assert "465 " not in postfix.master_cf(reference)


def test_reference_instance_greets_as_itself_on_its_own_addresses(
    tmp_path: Path,
) -> None:
    credential = pki.Credential(tmp_path / "c.pem", tmp_path / "c.key")
    reference = postfix.INSTANCES[-1]

    main_cf = postfix.main_cf(tmp_path, reference, tmp_path / "ca.pem", credential)

    assert reference.exchange is REFERENCE
    assert "myhostname = mx.reference.example" in main_cf
    assert "inet_interfaces = 203.0.113.40, [2001:db8:4::40]" in main_cf
    assert "smtpd_tls_security_level = may" in main_cf
    assert "mydestination = reference.example" in main_cf


def test_only_the_isp_relay_relays_for_the_hotel(tmp_path: Path) -> None:
    credential = pki.Credential(tmp_path / "c.pem", tmp_path / "c.key")
    mail, _, relay, _ = postfix.INSTANCES

    relay_cf = postfix.main_cf(tmp_path, relay, tmp_path / "ca.pem", credential)
    mail_cf = postfix.main_cf(tmp_path, mail, tmp_path / "ca.pem", credential)

    assert "198.51.100.0/24" in relay_cf
    assert "198.51.100.0/24" not in mail_cf
    assert "myhostname = mail.isp.example" in relay_cf


def test_pki_leaf_verifies_against_the_ca_for_its_name_only(tmp_path: Path) -> None:
    ca_file, credentials = pki.ensure(tmp_path, ["mail.whaler.example"])
    credential = credentials["mail.whaler.example"]

    context = ssl.create_default_context(cafile=str(ca_file))
    context.load_cert_chain(credential.cert, credential.key)  # key matches cert
    assert oct(credential.key.stat().st_mode & 0o777) == "0o600"
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(credential.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert names.value.get_values_for_type(x509.DNSName) == ["mail.whaler.example"]


def test_pki_keeps_valid_certificates(tmp_path: Path) -> None:
    pki.ensure(tmp_path, ["a.example"])
    first = (
        (tmp_path / "ca.pem").read_bytes(),
        (tmp_path / "a.example.pem").read_bytes(),
    )

    pki.ensure(tmp_path, ["a.example"])

    again = (
        (tmp_path / "ca.pem").read_bytes(),
        (tmp_path / "a.example.pem").read_bytes(),
    )
    assert again == first


def test_servfail_answer_keeps_id_and_question() -> None:
    question = b"\x06whaler\x07example\x00\x00\x0f\x00\x01"
    query = struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + question

    reply = answer(query)

    assert reply is not None
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", reply[:12])
    assert ident == 0xBEEF
    assert flags & 0x8000  # a response
    assert flags & 0x000F == 2  # SERVFAIL
    assert flags & 0x0100  # RD echoed
    assert (qd, an, ns, ar) == (1, 0, 0, 0)
    assert reply[12:] == question


def test_servfail_ignores_responses_and_runts() -> None:
    assert answer(b"\x00\x01\x80\x00" + bytes(8)) is None
    assert answer(b"\x00\x01") is None


def _direction() -> tuple[forwarder.Direction, int]:
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    return forwarder.Direction("test", source=-1, sink=write_end), read_end


def test_forwarder_sends_at_once_with_no_delay() -> None:
    direction, sink = _direction()

    direction.push(b"frame", now=0.0, delay=0.0)

    assert os.read(sink, 100) == b"frame"


def test_forwarder_holds_frames_for_the_delay() -> None:
    direction, sink = _direction()
    direction.push(b"frame", now=10.0, delay=0.05)

    direction.flush(10.049)
    assert direction.queue
    direction.flush(10.05)

    assert os.read(sink, 100) == b"frame"


def test_forwarder_keeps_order_when_the_delay_drops() -> None:
    direction, sink = _direction()
    direction.push(b"first", now=0.0, delay=0.1)

    direction.push(b"second", now=0.01, delay=0.0)
    direction.flush(0.05)

    # "second" was due at once but may not overtake "first".
    with pytest.raises(BlockingIOError):
        os.read(sink, 100)
    direction.flush(0.1)
    assert os.read(sink, 100) == b"firstsecond"


def test_forwarder_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forwarder, "MAX_QUEUE", 3)
    direction, _ = _direction()

    for _ in range(5):
        direction.push(b"x", now=0.0, delay=1.0)

    assert len(direction.queue) == 3
    assert direction.dropped == 2


def test_missing_tool_is_named_with_its_debian_package() -> None:
    missing = prerequisites.missing_tools({"no-such-tool-np": "np-fake-package"})

    assert missing == ["no-such-tool-np (Debian package np-fake-package)"]


def test_cli_up_without_root_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)

    status = cli.main(["up"])

    captured = capsys.readouterr()
    assert status == 1
    assert captured.err == (
        "lab: error: the lab needs root (network namespaces, nftables, TAP devices)\n"
    )
    assert captured.out == ""


def test_cli_up_with_a_missing_binary_names_the_package(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    tools = dict(prerequisites.TOOLS, **{"no-such-tool-np": "np-fake-package"})
    monkeypatch.setattr(prerequisites, "TOOLS", tools)

    status = cli.main(["up"])

    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1
    assert "no-such-tool-np (Debian package np-fake-package)" in err
