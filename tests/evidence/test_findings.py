"""From observations and packet evidence to findings: classify, diagnose,
advise, verdict and the report, all pure, with evidence written by hand.

The hotel of DESIGN.md: port 25 of mail.whaler.example (hop 4) is blocked
by the ISP router at hop 1 in the ways an ISP does it; 587 works.
"""

from __future__ import annotations

import errno

import pytest

from netprobe.advise import advise
from netprobe.classify import classify
from netprobe.diagnose import diagnose
from netprobe.model import (
    Answer,
    CheckReport,
    Confidence,
    Exchange,
    Family,
    Finding,
    Hop,
    Host,
    MailRouting,
    Observation,
    Outcome,
    PacketEvidence,
    PortSpec,
    ProbeResult,
    ProbeSpec,
    Resolution,
    Role,
    SynProbe,
    TlsInfo,
    Trace,
)
from netprobe.packets import NOT_PRIVILEGED
from netprobe.plan import family_of
from netprobe.report import document, text
from netprobe.verdict import decide
from tests.evidence.builders import (
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

MAIL = "mail.whaler.example"
RELAY = "mail.isp.example"
REFERENCE, REFERENCE_V4 = "mx.reference.example", "192.0.2.25"
NAMES = {ISP_V4: ISP_NAME, ISP_V6: ISP_NAME}
GATEWAY = Hop(ISP_V4, ISP_NAME, 1)
EHLO_TLS = (250, (MAIL, "PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"))
EHLO_PLAIN = (250, (MAIL, "PIPELINING", "8BITMIME"))


def spec(
    address: str, port: int, host: str = MAIL, role: Role = Role.EXCHANGE
) -> ProbeSpec:
    service = PortSpec.standard(port).service
    return ProbeSpec(host, address, family_of(address), port, service, (role,))


def verified(*names: str) -> TlsInfo:
    return TlsInfo(
        "TLSv1.3", "TLS_AES_256_GCM_SHA384", True, None, None, None, names, None
    )


def opened(
    probe: ProbeSpec,
    *,
    greets: str | None = None,
    ehlo: tuple[int, tuple[str, ...]] = EHLO_TLS,
    tls: TlsInfo | None = None,
    connect: float = 0.04,
    starttls_reply: tuple[int, tuple[str, ...]] | None = None,
) -> Observation:
    name = greets or probe.host
    offered = "STARTTLS" in ehlo[1]
    if starttls_reply is None and offered:
        starttls_reply = (220, ("ready",))
    upgraded = starttls_reply is not None and starttls_reply[0] == 220
    return Observation(
        probe,
        True,
        greeting=(220, (f"{name} ESMTP",)),
        ehlo=ehlo,
        starttls_reply=starttls_reply if offered else None,
        ehlo_after_tls=ehlo if upgraded else None,
        tls=(tls or verified(name)) if upgraded else None,
        timings={"connect": connect, "greeting": 0.01, "total": 0.2},
    )


def failed(probe: ProbeSpec, error: str, number: int | None = None) -> Observation:
    seconds = 1.25 if error == "timeout" else 0.04
    return Observation(
        probe,
        False,
        connect_error=error,
        connect_errno=number,
        timings={"connect": seconds, "total": seconds},
    )


def whaler(*addresses: str, references: tuple[Host, ...] = ()) -> Resolution:
    return Resolution(
        "whaler.example",
        "whaler.example",
        MailRouting.MX,
        (Exchange(Host(MAIL, addresses), 10),),
        (),
        (),
        "192.0.2.53",
        0.01,
        references=references,
    )


def packets(
    probes: tuple[SynProbe, ...], traces: tuple[Trace, ...] = ()
) -> PacketEvidence:
    return PacketEvidence("gathered", True, probes, traces, NAMES, 0.4)


def check(
    observations: list[Observation],
    evidence: PacketEvidence | None = None,
    resolution: Resolution | None = None,
) -> CheckReport:
    resolution = resolution or whaler(MAIL_V4)
    evidence = evidence or PacketEvidence(NOT_PRIVILEGED)
    results = classify(observations, evidence)
    findings = diagnose(resolution, results)
    advice = advise(resolution, results, findings)
    return CheckReport(
        "whaler.example",
        "whaler.example",
        "2024-01-01T00:00:00+00:00",
        1.5,
        resolution,
        results,
        findings,
        advice,
        decide("whaler.example", findings, advice),
        "test",
        packets=evidence,
    )


def the(code: str, report: CheckReport) -> Finding:
    [finding] = [f for f in report.findings if f.code == code]
    return finding


def result(report: CheckReport, address: str, port: int) -> ProbeResult:
    return next(
        r for r in report.results if (r.spec.address, r.spec.port) == (address, port)
    )


def codes(report: CheckReport) -> set[str]:
    return {f.code for f in report.findings}


TRACE_587 = trace(MAIL_V4, 587, ROUTERS_V4, reply(Answer.SYN_ACK, MAIL_V4, 61))


# --- port 25 blocked, and how ------------------------------------------------


def test_dropped_25_is_filtered_and_names_the_last_router_that_answers() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets(
        (silent(MAIL_V4, 25), syn_ack(MAIL_V4, 587)),
        (trace(MAIL_V4, 25, [ISP_V4, None, None, None]), TRACE_587),
    )

    report = check(observations, evidence)

    blocked = the("port25_blocked", report)
    assert (blocked.how, blocked.families, blocked.hop) == (
        "filtered",
        (Family.IPV4,),
        GATEWAY,
    )
    assert blocked.forged is None
    assert f"no farther than hop 1, {ISP_V4} ({ISP_NAME})" in blocked.summary
    assert result(report, MAIL_V4, 25).outcome is Outcome.FILTERED
    assert report.advice[0].port == 587


def test_forged_reset_is_reset_forged_at_the_first_hop() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "ECONNREFUSED", errno.ECONNREFUSED),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets(
        (reset(MAIL_V4, 25, ttl=64), syn_ack(MAIL_V4, 587, ttl=61)), (TRACE_587,)
    )

    report = check(observations, evidence)

    blocked = the("port25_blocked", report)
    assert (blocked.how, blocked.forged, blocked.hop) == ("reset", True, GATEWAY)
    assert "forged by a middlebox at hop 1" in blocked.summary
    assert blocked.confidence is Confidence.HIGH
    assert result(report, MAIL_V4, 25).forged is True


def test_resets_from_the_servers_own_distance_are_not_a_network_block() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "ECONNREFUSED", errno.ECONNREFUSED),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets((reset(MAIL_V4, 25, ttl=61), syn_ack(MAIL_V4, 587, ttl=61)))

    report = check(observations, evidence)

    assert "port25_blocked" not in codes(report)
    refused = the("port25_refused", report)
    assert refused.forged is False
    assert "not blocking" in refused.summary


def test_reset_without_packet_evidence_stays_a_block_of_unknown_origin() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "ECONNREFUSED", errno.ECONNREFUSED),
        opened(spec(MAIL_V4, 587)),
    ]

    blocked = the("port25_blocked", check(observations))

    assert (blocked.how, blocked.forged, blocked.hop) == ("reset", None, None)


def test_icmp_admin_prohibited_names_the_router_and_the_code() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "EHOSTUNREACH", errno.EHOSTUNREACH),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets((icmp(MAIL_V4, 25, ISP_V4, (3, 13)), syn_ack(MAIL_V4, 587)))

    report = check(observations, evidence)

    blocked = the("port25_blocked", report)
    assert (blocked.how, blocked.hop) == ("prohibited", GATEWAY)
    assert f"The refusal comes from hop 1, {ISP_V4} ({ISP_NAME})." in blocked.summary
    assert "type 3 code 13" in result(report, MAIL_V4, 25).detail


def test_icmpv6_admin_prohibited_names_the_router() -> None:
    observations = [
        failed(spec(MAIL_V6, 25), "EACCES", errno.EACCES),
        opened(spec(MAIL_V6, 587)),
    ]
    evidence = packets((icmp(MAIL_V6, 25, ISP_V6, (1, 1)), syn_ack(MAIL_V6, 587)))

    report = check(observations, evidence, whaler(MAIL_V6))

    blocked = the("port25_blocked", report)
    assert (blocked.how, blocked.families) == ("prohibited", (Family.IPV6,))
    assert blocked.hop == Hop(ISP_V6, ISP_NAME, 1)


def test_firewall_port_unreachable_from_a_router_is_prohibited_not_reset() -> None:
    # Linux reports ICMP port unreachable as ECONNREFUSED, like a reset.
    observations = [
        failed(spec(MAIL_V4, 25), "ECONNREFUSED", errno.ECONNREFUSED),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets((icmp(MAIL_V4, 25, ISP_V4, (3, 3)), syn_ack(MAIL_V4, 587)))

    blocked = the("port25_blocked", check(observations, evidence))

    assert blocked.how == "prohibited"
    assert blocked.hop == GATEWAY


def test_redirect_seen_by_greeting_and_hop_distance_names_the_hop() -> None:
    observations = [
        opened(spec(MAIL_V4, 25), greets=RELAY, ehlo=EHLO_PLAIN, connect=0.002),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets(
        (syn_ack(MAIL_V4, 25, ttl=64), syn_ack(MAIL_V4, 587, ttl=61)), (TRACE_587,)
    )

    report = check(observations, evidence)

    intercepted = the("intercepted", report)
    assert intercepted.hop == GATEWAY
    assert RELAY in intercepted.summary
    assert the("port25_blocked", report).how == "intercepted"
    detail = result(report, MAIL_V4, 25).detail
    assert f"greets as {RELAY}" in detail
    assert "the SYN-ACK comes from hop 1" in detail
    assert any(a.purpose == "relay" and a.host == RELAY for a in report.advice)
    assert report.advice[0].port == 587


def test_redirect_to_a_transparent_proxy_is_caught_by_hop_distance_alone() -> None:
    observations = [opened(spec(MAIL_V4, 25)), opened(spec(MAIL_V4, 587))]
    evidence = packets(
        (syn_ack(MAIL_V4, 25, ttl=64), syn_ack(MAIL_V4, 587, ttl=61)), (TRACE_587,)
    )

    report = check(observations, evidence)

    intercepted = the("intercepted", report)
    assert "a middlebox answers in place" in intercepted.summary
    assert intercepted.hop == GATEWAY
    assert result(report, MAIL_V4, 25).outcome is Outcome.INTERCEPTED


def test_open_25_at_the_hosts_own_distance_stays_open() -> None:
    observations = [opened(spec(MAIL_V4, 25)), opened(spec(MAIL_V4, 587))]
    evidence = packets((syn_ack(MAIL_V4, 25), syn_ack(MAIL_V4, 587)))

    report = check(observations, evidence)

    assert result(report, MAIL_V4, 25).outcome is Outcome.OPEN
    assert result(report, MAIL_V4, 25).hop is None
    assert codes(report) == set()


def test_filtered_port_whose_raw_syn_was_answered_is_not_counted_blocked() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets((syn_ack(MAIL_V4, 25), syn_ack(MAIL_V4, 587)))

    report = check(observations, evidence)

    assert "port25_blocked" not in codes(report)
    assert "is not blocked" in result(report, MAIL_V4, 25).detail


# --- interception without packets --------------------------------------------


def test_certificate_for_another_host_on_25_is_an_interception() -> None:
    observations = [
        opened(spec(MAIL_V4, 25), tls=verified(RELAY)),
        opened(spec(MAIL_V4, 587)),
    ]

    report = check(observations)

    assert result(report, MAIL_V4, 25).outcome is Outcome.INTERCEPTED
    assert f"certificate names {RELAY}" in result(report, MAIL_V4, 25).detail


def test_connect_far_faster_than_the_paths_round_trip_is_an_interception() -> None:
    observations = [
        opened(spec(MAIL_V4, 25), connect=0.002),
        opened(spec(MAIL_V4, 587), connect=0.040),
    ]

    report = check(observations)

    assert result(report, MAIL_V4, 25).outcome is Outcome.INTERCEPTED
    assert "connected in 2.0 ms" in result(report, MAIL_V4, 25).detail
    assert "intercepted" in codes(report)


@pytest.mark.parametrize(
    ("fast", "slow"),
    [
        (0.002, 0.006),  # the gap is timer noise on a short path
        (0.020, 0.040),  # only twice as fast
        (0.002, 1.040),  # 587's first SYN was lost: its time is not the path's
    ],
)
def test_connect_times_that_prove_nothing_are_not_an_interception(
    fast: float, slow: float
) -> None:
    observations = [
        opened(spec(MAIL_V4, 25), connect=fast),
        opened(spec(MAIL_V4, 587), connect=slow),
    ]

    assert result(check(observations), MAIL_V4, 25).outcome is Outcome.OPEN


def test_hop_distance_overrules_connect_times_when_packets_were_gathered() -> None:
    observations = [
        opened(spec(MAIL_V4, 25), connect=0.002),
        opened(spec(MAIL_V4, 587), connect=0.040),
    ]
    evidence = packets((syn_ack(MAIL_V4, 25), syn_ack(MAIL_V4, 587)))

    assert result(check(observations, evidence), MAIL_V4, 25).outcome is Outcome.OPEN


# --- families and reference targets ------------------------------------------


def test_block_over_ipv4_only_says_so_and_that_ipv6_gets_through() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        opened(spec(MAIL_V4, 587)),
        opened(spec(MAIL_V6, 25)),
        opened(spec(MAIL_V6, 587)),
    ]

    report = check(observations, resolution=whaler(MAIL_V6, MAIL_V4))

    blocked = the("port25_blocked", report)
    assert blocked.families == (Family.IPV4,)
    assert "over IPv4 only (IPv6 gets through)" in blocked.summary
    assert "over IPv4 only (IPv6 gets through)" in " ".join(report.verdict.sentences)


def test_different_ways_per_family_are_both_said() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        opened(spec(MAIL_V4, 587)),
        failed(spec(MAIL_V6, 25), "EACCES", errno.EACCES),
        opened(spec(MAIL_V6, 587)),
        failed(spec("203.0.113.26", 25, "backup.whaler.example"), "timeout"),
    ]

    blocked = the("port25_blocked", check(observations))

    assert blocked.families == (Family.IPV4, Family.IPV6)
    assert blocked.how == "filtered"
    assert "Over IPv6 they are rejected with ICMP administratively" in blocked.summary


def test_reference_targets_failing_on_25_too_make_it_this_network() -> None:
    reference = spec(REFERENCE_V4, 25, REFERENCE, Role.REFERENCE)
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        failed(reference, "timeout"),
        opened(spec(REFERENCE_V4, 587, REFERENCE, Role.REFERENCE)),
    ]
    resolution = whaler(MAIL_V4, references=(Host(REFERENCE, (REFERENCE_V4,)),))

    blocked = the("port25_blocked", check(observations, resolution=resolution))

    assert f"Reference targets ({REFERENCE}) fail on port 25 too" in blocked.summary
    assert blocked.confidence is Confidence.HIGH


def test_reference_silent_on_every_port_is_not_cited_as_proof() -> None:
    # A reference that is simply down fails on 25 like everything else;
    # it says nothing about this network.
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        failed(spec(MAIL_V4, 587), "ECONNREFUSED", errno.ECONNREFUSED),
        failed(spec(REFERENCE_V4, 25, REFERENCE, Role.REFERENCE), "timeout"),
        failed(spec(REFERENCE_V4, 587, REFERENCE, Role.REFERENCE), "timeout"),
    ]
    resolution = whaler(MAIL_V4, references=(Host(REFERENCE, (REFERENCE_V4,)),))

    blocked = the("port25_blocked", check(observations, resolution=resolution))

    assert "Reference targets" not in blocked.summary
    assert blocked.confidence is Confidence.MEDIUM


def test_exchange_failing_on_25_while_a_reference_answers_is_not_a_block() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        opened(spec(MAIL_V4, 587)),
        opened(spec(REFERENCE_V4, 25, REFERENCE, Role.REFERENCE)),
    ]
    resolution = whaler(MAIL_V4, references=(Host(REFERENCE, (REFERENCE_V4,)),))

    report = check(observations, resolution=resolution)

    assert "port25_blocked" not in codes(report)
    failing = the("exchange_port25_failed", report)
    assert failing.hosts == (MAIL,)
    assert f"reference target {REFERENCE} answers on port 25" in failing.summary
    assert failing.confidence is Confidence.HIGH


def test_reference_answering_from_before_the_block_does_not_clear_it() -> None:
    # The ISP's own relay, one hop away, answers on 25 while the way out is
    # dropped at that same hop: it is no proof that 25 gets out.
    relay = spec(ISP_V4, 25, REFERENCE, Role.REFERENCE)
    observations = [
        failed(spec(MAIL_V4, 25), "timeout"),
        opened(spec(MAIL_V4, 587)),
        opened(relay),
    ]
    evidence = packets(
        (silent(MAIL_V4, 25), syn_ack(MAIL_V4, 587), syn_ack(ISP_V4, 25, ttl=64)),
        (trace(MAIL_V4, 25, [ISP_V4, None, None, None]), TRACE_587),
    )
    resolution = whaler(MAIL_V4, references=(Host(REFERENCE, (ISP_V4,)),))

    report = check(observations, evidence, resolution)

    assert "exchange_port25_failed" not in codes(report)
    assert the("port25_blocked", report).hop == GATEWAY


# --- STARTTLS stripped ---------------------------------------------------------


def test_starttls_missing_on_25_over_ipv4_but_offered_over_ipv6_is_stripped() -> None:
    observations = [
        opened(spec(MAIL_V4, 25), ehlo=EHLO_PLAIN),
        opened(spec(MAIL_V6, 25)),
    ]

    stripped = the("starttls_stripped", check(observations))

    assert stripped.families == (Family.IPV4,)
    assert stripped.confidence is Confidence.HIGH
    assert "offers it over IPv6" in stripped.evidence[0]


def test_masked_starttls_keyword_is_stripped_on_its_own() -> None:
    masked = (250, (MAIL, "PIPELINING", "XXXXXXXA", "8BITMIME"))
    observations = [opened(spec(MAIL_V4, 25), ehlo=masked)]

    stripped = the("starttls_stripped", check(observations))

    assert stripped.confidence is Confidence.HIGH
    assert "overwritten" in stripped.evidence[0]


def test_starttls_refused_while_587_offers_tls_is_stripped() -> None:
    observations = [
        opened(spec(MAIL_V4, 25), starttls_reply=(454, ("TLS not available",))),
        opened(spec(MAIL_V4, 587)),
    ]

    stripped = the("starttls_stripped", check(observations))

    assert "STARTTLS is refused (454)" in stripped.evidence[0]


def test_starttls_missing_where_mta_sts_asks_for_it_is_stripped() -> None:
    observations = [opened(spec(MAIL_V4, 25), ehlo=EHLO_PLAIN)]
    resolution = Resolution(
        "whaler.example",
        "whaler.example",
        MailRouting.MX,
        (Exchange(Host(MAIL, (MAIL_V4,)), 10),),
        (),
        (),
        "192.0.2.53",
        0.01,
        mta_sts="v=STSv1; id=20240101",
    )

    stripped = the("starttls_stripped", check(observations, resolution=resolution))

    assert stripped.confidence is Confidence.MEDIUM
    assert "MTA-STS" in stripped.evidence[0]


def test_starttls_missing_with_nothing_to_compare_is_not_a_finding() -> None:
    observations = [opened(spec(MAIL_V4, 25), ehlo=EHLO_PLAIN)]

    assert "starttls_stripped" not in codes(check(observations))


# --- the report --------------------------------------------------------------


def test_json_carries_hop_forged_and_the_packet_evidence() -> None:
    observations = [
        failed(spec(MAIL_V4, 25), "ECONNREFUSED", errno.ECONNREFUSED),
        opened(spec(MAIL_V4, 587)),
    ]
    evidence = packets(
        (reset(MAIL_V4, 25, ttl=64), syn_ack(MAIL_V4, 587)), (TRACE_587,)
    )

    doc = document.to_document(check(observations, evidence))

    [blocked] = [f for f in doc["findings"] if f["code"] == "port25_blocked"]
    assert blocked["hop"] == {"address": ISP_V4, "name": ISP_NAME, "distance": 1}
    assert blocked["forged"] is True
    assert doc["evidence"]["packets"] == "gathered"
    assert doc["evidence"]["names"] == {ISP_V4: ISP_NAME, ISP_V6: ISP_NAME}
    probe = doc["probes"][0]
    assert probe["packets"]["reply"] == {
        "answer": "reset",
        "source": MAIL_V4,
        "ttl": 64,
        "seconds": 0.02,
        "icmp_type": None,
        "icmp_code": None,
    }
    assert probe["forged"] is True
    [hops] = [t["hops"] for t in doc["evidence"]["traces"]]
    assert [h["reply"]["answer"] for h in hops] == ["time_exceeded"] * 3 + ["syn_ack"]


def test_report_without_privileges_says_what_was_not_gathered() -> None:
    observations = [failed(spec(MAIL_V4, 25), "timeout"), opened(spec(MAIL_V4, 587))]

    report = check(observations)
    doc = document.to_document(report)
    rendered = text.render(doc)

    assert doc["evidence"]["packets"] == "not gathered: needs root or CAP_NET_RAW"
    assert doc["evidence"]["syn_probes"] == []
    assert the("port25_blocked", report).how == "filtered"
    lines = [line for line in rendered.splitlines() if "CAP_NET_RAW" in line]
    assert lines == [
        "Packets not gathered: needs root or CAP_NET_RAW (for ICMP codes, forged "
        "resets, hops)."
    ]
    assert len(lines[0]) <= 88
