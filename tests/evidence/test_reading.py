"""Reading recorded packet evidence: pure, no privileges, no network.

Every case is packets written by hand, the way ``packets`` records them.
"""

from __future__ import annotations

import pytest

from netprobe import evidence
from netprobe.evidence import ACK, RST, SYN, Captured, Quoted, Segment, Sent
from netprobe.model import Answer, Family, Hop
from tests.evidence.builders import (
    CORE_V4,
    CORP_V4,
    ISP_NAME,
    ISP_V4,
    ISP_V6,
    MAIL_V4,
    MAIL_V6,
    ROUTERS_V4,
    icmp,
    reply,
    reset,
    silent,
    syn_ack,
    trace,
)

NAMES = {ISP_V4: ISP_NAME, ISP_V6: ISP_NAME}
HOTEL_V4 = "198.51.100.10"


# --- distances ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "initial", "hop"),
    [
        (64, 64, 1),
        (63, 64, 2),
        (61, 64, 4),
        (128, 128, 1),
        (119, 128, 10),
        (255, 255, 1),
        (250, 255, 6),
        (65, 128, 64),
    ],
)
def test_distance_counts_hops_from_the_next_initial_ttl(
    received: int, initial: int, hop: int
) -> None:
    assert evidence.initial_ttl(received) == initial
    assert evidence.distance(received) == hop


# --- resets ------------------------------------------------------------------


def test_reset_nearer_than_the_hosts_syn_ack_is_forged() -> None:
    # The SYN-ACK on 587 arrives with TTL 61: the host is hop 4. The reset on
    # 25 arrives with TTL 63, one router crossed: it was sent from hop 2.
    reading = evidence.read_port(
        reset(MAIL_V4, 25, ttl=63), syn_ack(MAIL_V4, 587, ttl=61), [], {}
    )

    assert reading.answer is Answer.RESET
    assert reading.forged is True
    assert reading.hop == Hop(None, None, 2)
    assert "forged" in reading.detail


def test_forged_reset_from_the_first_router_is_named_by_the_traceroute() -> None:
    # The ISP router sends its reset with TTL 64 untouched: hop 1, which the
    # traceroute to 587 names.
    traces = [trace(MAIL_V4, 587, ROUTERS_V4, reply(Answer.SYN_ACK, MAIL_V4, 61))]

    reading = evidence.read_port(
        reset(MAIL_V4, 25, ttl=64), syn_ack(MAIL_V4, 587), traces, NAMES
    )

    assert reading.forged is True
    assert reading.hop == Hop(ISP_V4, ISP_NAME, 1)
    assert f"hop 1, {ISP_V4} ({ISP_NAME})" in reading.detail


def test_reset_as_far_as_the_hosts_syn_ack_is_genuine() -> None:
    reading = evidence.read_port(
        reset(MAIL_V4, 465, ttl=61), syn_ack(MAIL_V4, 587, ttl=61), [], {}
    )

    assert reading.forged is False
    assert reading.hop == Hop(MAIL_V4, None, 4)
    assert "the host refused" in reading.detail


def test_reset_without_a_baseline_says_where_but_not_whether_forged() -> None:
    reading = evidence.read_port(reset(MAIL_V4, 25, ttl=64), None, [], {})

    assert reading.forged is None
    assert reading.hop is None
    assert "hop 1" in reading.detail


# --- interception ------------------------------------------------------------


def test_syn_ack_from_a_nearer_hop_is_an_interception() -> None:
    traces = [trace(MAIL_V4, 587, ROUTERS_V4, reply(Answer.SYN_ACK, MAIL_V4, 61))]

    reading = evidence.read_port(
        syn_ack(MAIL_V4, 25, ttl=64), syn_ack(MAIL_V4, 587, ttl=61), traces, NAMES
    )

    assert reading.intercepted
    assert reading.hop == Hop(ISP_V4, ISP_NAME, 1)
    assert "another machine took the connection" in reading.detail


def test_syn_ack_from_the_hosts_own_distance_is_not_an_interception() -> None:
    reading = evidence.read_port(
        syn_ack(MAIL_V4, 25, ttl=61), syn_ack(MAIL_V4, 587, ttl=61), [], {}
    )

    assert not reading.intercepted
    assert reading.hop is None


def test_baseline_is_never_port_25_and_prefers_the_lowest_other_port() -> None:
    probes = [
        syn_ack(MAIL_V4, 25, ttl=64),
        syn_ack(MAIL_V4, 587),
        syn_ack(MAIL_V4, 465),
        reset(MAIL_V4, 2525, ttl=61),
        syn_ack(MAIL_V6, 587),
    ]

    assert evidence.baseline_for(probes, MAIL_V4, 25) == syn_ack(MAIL_V4, 465)
    assert evidence.baseline_for(probes, MAIL_V4, 465) == syn_ack(MAIL_V4, 587)
    # Port 25 alone answered: no baseline, rather than a wrong one.
    assert evidence.baseline_for(probes[:1], MAIL_V4, 587) is None


# --- ICMP --------------------------------------------------------------------


def test_icmp_type_3_code_13_names_the_router_that_prohibits() -> None:
    reading = evidence.read_port(
        icmp(MAIL_V4, 25, ISP_V4, (3, 13)), syn_ack(MAIL_V4, 587), [], NAMES
    )

    assert reading.answer is Answer.UNREACHABLE
    assert reading.prohibited
    assert reading.refused_by_router
    assert reading.hop == Hop(ISP_V4, ISP_NAME, 1)
    assert reading.detail.startswith(
        "ICMP type 3 code 13 (communication administratively prohibited) from "
        f"hop 1, {ISP_V4} ({ISP_NAME})"
    )


@pytest.mark.parametrize("code", [9, 10, 13])
def test_ipv4_admin_prohibited_codes_are_prohibited(code: int) -> None:
    probe = icmp(MAIL_V4, 25, ISP_V4, (3, code))

    assert evidence.prohibited(Family.IPV4, probe.reply)


@pytest.mark.parametrize(
    ("code", "expected"),
    [(1, True), (5, True), (6, True), (0, False), (3, False), (4, False)],
)
def test_ipv6_type_1_code_1_and_its_subsets_are_prohibited(
    code: int, expected: bool
) -> None:
    probe = icmp(MAIL_V6, 25, ISP_V6, (1, code))

    assert evidence.prohibited(Family.IPV6, probe.reply) is expected


def test_icmpv6_type_1_code_1_reads_as_prohibited_by_that_router() -> None:
    reading = evidence.read_port(
        icmp(MAIL_V6, 25, ISP_V6, (1, 1)), syn_ack(MAIL_V6, 587), [], NAMES
    )

    assert reading.prohibited
    assert reading.hop == Hop(ISP_V6, ISP_NAME, 1)
    assert "ICMPv6 type 1 code 1 (communication administratively prohibited)" in (
        reading.detail
    )


def test_port_unreachable_from_a_router_is_a_firewall_reject_not_the_host() -> None:
    by_router = evidence.read_port(icmp(MAIL_V4, 25, ISP_V4, (3, 3)), None, [], {})
    by_host = evidence.read_port(icmp(MAIL_V4, 25, MAIL_V4, (3, 3)), None, [], {})

    assert by_router.refused_by_router and not by_router.prohibited
    assert not by_host.refused_by_router
    assert "from the host itself" in by_host.detail


def test_plain_host_unreachable_from_a_router_is_not_by_itself_a_policy() -> None:
    reading = evidence.read_port(icmp(MAIL_V4, 25, CORE_V4, (3, 1)), None, [], {})

    assert not reading.refused_by_router
    assert "host unreachable" in reading.detail


def test_router_hop_prefers_its_place_in_a_traceroute_to_its_ttl() -> None:
    # A router that starts its ICMP at TTL 30 (old stacks did) reads as hop
    # 37 by TTL alone; the traceroute saw it at hop 3.
    answer = reply(Answer.UNREACHABLE, CORP_V4, 28, icmp=(3, 13))
    traces = [trace(MAIL_V4, 587, ROUTERS_V4)]

    assert evidence.router_hop(answer, traces, {}) == Hop(CORP_V4, None, 3)
    assert evidence.router_hop(answer, [], {}) == Hop(CORP_V4, None, 37)


# --- traceroutes -------------------------------------------------------------


def test_silent_port_dies_after_the_last_router_that_answers_on_it() -> None:
    blocked = trace(MAIL_V4, 25, [ISP_V4, None, None, None])
    working = trace(MAIL_V4, 587, ROUTERS_V4, reply(Answer.SYN_ACK, MAIL_V4, 61))

    reading = evidence.read_port(
        silent(MAIL_V4, 25), syn_ack(MAIL_V4, 587), [blocked, working], NAMES
    )

    assert reading.answer is Answer.NONE
    assert reading.hop == Hop(ISP_V4, ISP_NAME, 1)
    assert "last router that answers on port 25 is hop 1" in reading.detail


def test_last_router_skips_silent_hops_in_between() -> None:
    blocked = trace(MAIL_V4, 25, [ISP_V4, None, CORP_V4, None])

    last = evidence.last_router(blocked)

    assert last is not None
    assert (last.ttl, last.reply.source) == (3, CORP_V4)
    assert evidence.reached(blocked) is None


def test_silent_port_without_a_traceroute_names_no_hop() -> None:
    reading = evidence.read_port(silent(MAIL_V4, 25), None, [], {})

    assert reading.hop is None
    assert reading.detail == "a raw SYN got no answer either"


def test_traceroute_that_reached_the_port_is_not_where_it_died() -> None:
    reached = trace(MAIL_V4, 25, [ISP_V4], reply(Answer.SYN_ACK, MAIL_V4, 63))

    reading = evidence.read_port(silent(MAIL_V4, 25), None, [reached], {})

    assert reading.hop is None


# --- matching replies to SYNs ------------------------------------------------


def sent(local_port: int, seq: int, port: int = 25, address: str = MAIL_V4) -> Sent:
    return Sent(Family.IPV4, HOTEL_V4, address, port, local_port, seq, 64, at=10.0)


def tcp(
    flags: int, sport: int, dport: int, ack: int, source: str = MAIL_V4
) -> Captured:
    return Captured(
        Family.IPV4,
        source,
        HOTEL_V4,
        61,
        at=10.03,
        segment=Segment(sport, dport, 777, ack, flags),
    )


def icmp_error(
    kind: tuple[int, int], sport: int | None, seq: int | None, dport: int = 25
) -> Captured:
    return Captured(
        Family.IPV4,
        ISP_V4,
        HOTEL_V4,
        64,
        at=10.01,
        icmp_type=kind[0],
        icmp_code=kind[1],
        quoted=Quoted(HOTEL_V4, MAIL_V4, 6, sport, dport, seq),
    )


FIRST, SECOND = sent(40001, 1000), sent(40002, 2000)


def test_syn_ack_answers_only_the_syn_whose_port_and_sequence_it_acks() -> None:
    packet = tcp(SYN | ACK, 25, 40001, ack=1001)

    answer = evidence.reply_to(FIRST, packet)

    assert answer is not None
    assert (answer.answer, answer.source, answer.ttl) == (Answer.SYN_ACK, MAIL_V4, 61)
    assert answer.seconds == pytest.approx(0.03)
    assert evidence.reply_to(SECOND, packet) is None
    # The right port, but the sequence number of another SYN.
    assert evidence.reply_to(FIRST, tcp(SYN | ACK, 25, 40001, ack=2001)) is None


def test_reset_must_acknowledge_the_syn_as_rfc_9293_asks() -> None:
    answer = evidence.reply_to(FIRST, tcp(RST | ACK, 25, 40001, ack=1001))

    assert answer is not None
    assert answer.answer is Answer.RESET
    assert evidence.reply_to(FIRST, tcp(RST, 25, 40001, ack=0)) is None


def test_tcp_from_another_address_or_port_answers_nothing() -> None:
    assert evidence.reply_to(FIRST, tcp(SYN | ACK, 587, 40001, ack=1001)) is None
    packet = tcp(SYN | ACK, 25, 40001, ack=1001, source="203.0.113.26")
    assert evidence.reply_to(FIRST, packet) is None
    assert evidence.reply_to(FIRST, tcp(ACK, 25, 40001, ack=1001)) is None


def test_icmp_error_answers_the_syn_it_quotes() -> None:
    packet = icmp_error((3, 13), sport=40002, seq=2000)

    answer = evidence.reply_to(SECOND, packet)

    assert answer is not None
    assert (answer.answer, answer.source, answer.icmp_code) == (
        Answer.UNREACHABLE,
        ISP_V4,
        13,
    )
    assert evidence.reply_to(FIRST, packet) is None


def test_icmp_error_quoting_another_sequence_number_answers_nothing() -> None:
    assert evidence.reply_to(SECOND, icmp_error((3, 13), 40002, seq=1000)) is None
    assert evidence.reply_to(SECOND, icmp_error((3, 13), 40002, 2000, 587)) is None


def test_icmp_error_quoting_only_the_ports_matches_on_the_port() -> None:
    answer = evidence.reply_to(SECOND, icmp_error((11, 0), sport=40002, seq=None))

    assert answer is not None
    assert answer.answer is Answer.TIME_EXCEEDED


def test_icmp_error_with_a_nat_rewritten_port_matches_on_the_sequence() -> None:
    answer = evidence.reply_to(SECOND, icmp_error((3, 13), sport=61000, seq=2000))

    assert answer is not None
    assert evidence.reply_to(SECOND, icmp_error((3, 13), 61000, seq=None)) is None


def test_icmp_of_the_other_family_or_kind_answers_nothing() -> None:
    ipv6 = Sent(Family.IPV6, "2001:db8:1::10", MAIL_V6, 25, 40002, 2000, 64, 10.0)
    redirect = icmp_error((5, 1), sport=40002, seq=2000)

    assert evidence.reply_to(ipv6, icmp_error((3, 13), 40002, 2000)) is None
    assert evidence.reply_to(SECOND, redirect) is None


def test_many_probes_at_once_each_get_only_their_own_replies() -> None:
    sents = [sent(40000 + n, 5000 + n, port=(25, 587, 465)[n % 3]) for n in range(9)]
    packets = [
        tcp(SYN | ACK, s.port, s.local_port, ack=s.seq + 1) for s in sents[::2]
    ] + [icmp_error((3, 13), s.local_port, s.seq, s.port) for s in sents[1::2]]

    matched = {
        (s.local_port, p.at)
        for s in sents
        for p in packets
        if evidence.reply_to(s, p) is not None
    }

    assert len(matched) == len(sents)
    assert {port for port, _ in matched} == {s.local_port for s in sents}


def test_sequence_number_wraps_around_at_two_to_the_32() -> None:
    last = sent(40003, 2**32 - 1)

    assert evidence.reply_to(last, tcp(SYN | ACK, 25, 40003, ack=0)) is not None
