"""Captured bytes to ``Captured`` values, and SYNs built to be sent: scapy at
work, with no sockets and no privileges."""

from __future__ import annotations

import pytest
from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6TimeExceeded, IPv6

from netprobe import evidence
from netprobe.evidence import Sent
from netprobe.model import Answer, Family
from netprobe.packets import build_syn, dissect

HOTEL, ISP, MAIL = "198.51.100.10", "198.51.100.1", "203.0.113.25"
HOTEL6, ISP6, MAIL6 = "2001:db8:1::10", "2001:db8:1::1", "2001:db8:3::25"
IPV4, IPV6 = 0x0800, 0x86DD
SENT = Sent(Family.IPV4, HOTEL, MAIL, 25, 40000, 123456789, 3, at=1.0)
SENT6 = Sent(Family.IPV6, HOTEL6, MAIL6, 25, 40001, 99, 2, at=1.0)


def test_built_syn_is_the_syn_described() -> None:
    packet = IP(build_syn(SENT))

    assert (packet.src, packet.dst, packet.ttl) == (HOTEL, MAIL, 3)
    segment = packet[TCP]
    assert (segment.sport, segment.dport, segment.seq) == (40000, 25, 123456789)
    assert str(segment.flags) == "S"
    assert dict(segment.options)["MSS"] == 1460


def test_built_ipv6_syn_carries_the_hop_limit() -> None:
    packet = IPv6(build_syn(SENT6))

    assert (packet.src, packet.dst, packet.hlim) == (HOTEL6, MAIL6, 2)
    assert packet[TCP].seq == 99


@pytest.mark.parametrize(
    ("quoted", "ports", "seq"),
    [(28, (40000, 25), 123456789), (24, (40000, 25), None), (20, (None, None), None)],
)
def test_icmp_error_quote_is_read_as_far_as_it_goes(
    quoted: int, ports: tuple[int | None, int | None], seq: int | None
) -> None:
    # RFC 792 promises the IP header and 64 bits: ports and sequence number.
    error = IP(src=ISP, dst=HOTEL) / ICMP(type=3, code=13) / build_syn(SENT)[:quoted]

    captured = dissect(bytes(error), IPV4, 1.5)

    assert captured is not None
    assert (captured.source, captured.ttl) == (ISP, 64)
    assert (captured.icmp_type, captured.icmp_code) == (3, 13)
    assert captured.quoted is not None
    assert (captured.quoted.sport, captured.quoted.dport) == ports
    assert captured.quoted.seq == seq


def test_dissected_icmp_error_answers_the_syn_it_quotes() -> None:
    error = IP(src=ISP, dst=HOTEL, ttl=64) / ICMP(type=11) / build_syn(SENT)[:28]

    captured = dissect(bytes(error), IPV4, 1.5)

    assert captured is not None
    answer = evidence.reply_to(SENT, captured)
    assert answer is not None
    assert (answer.answer, answer.source, answer.seconds) == (
        Answer.TIME_EXCEEDED,
        ISP,
        0.5,
    )


@pytest.mark.parametrize("kind", [ICMPv6DestUnreach(code=1), ICMPv6TimeExceeded()])
def test_icmpv6_errors_are_dissected_with_their_quote(kind: object) -> None:
    error = IPv6(src=ISP6, dst=HOTEL6, hlim=64) / kind / build_syn(SENT6)

    captured = dissect(bytes(error), IPV6, 1.5)

    assert captured is not None
    assert evidence.reply_to(SENT6, captured) is not None


def test_syn_ack_is_dissected_with_its_ttl_and_flags() -> None:
    reply = IP(src=MAIL, dst=HOTEL, ttl=61) / TCP(
        sport=25, dport=40000, flags="SA", seq=5, ack=123456790
    )

    captured = dissect(bytes(reply), IPV4, 1.02)

    assert captured is not None
    answer = evidence.reply_to(SENT, captured)
    assert answer is not None
    assert (answer.answer, answer.ttl) == (Answer.SYN_ACK, 61)


def test_what_cannot_answer_a_syn_is_dropped() -> None:
    fragment = IP(src=MAIL, dst=HOTEL, proto=6, frag=100) / (b"x" * 24)
    echo = IP(src=ISP, dst=HOTEL) / ICMP(type=0)
    udp = bytes(IP(src=MAIL, dst=HOTEL, proto=17) / (b"x" * 8))

    assert dissect(bytes(fragment), IPV4, 1.0) is None
    assert dissect(bytes(echo), IPV4, 1.0) is None
    assert dissect(udp, IPV4, 1.0) is None
    assert dissect(b"\x60" + b"\x00" * 10, IPV6, 1.0) is None
    assert dissect(b"not ip at all", 0x0806, 1.0) is None
