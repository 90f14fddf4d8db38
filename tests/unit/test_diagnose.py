"""Diagnose: probe outcomes and DNS answers -> findings.

The rule that matters most: "port 25 is blocked by this network" only when
something else answers; silence everywhere is "no connectivity", silence
from one host while others answer is "that host is down".
"""

from __future__ import annotations

import pytest

from netprobe.diagnose import diagnose
from netprobe.model import (
    Confidence,
    DnsQuery,
    DnsStatus,
    Family,
    Finding,
    MailRouting,
    Outcome,
    ProbeResult,
    Resolution,
    Role,
    Severity,
)
from tests.unit.builders import (
    DOMAIN,
    ISP_RELAY,
    MX1,
    MX1_V4,
    MX1_V6,
    MX2,
    MX2_V4,
    REFERENCE,
    REFERENCE_V4,
    SMTP,
    SMTP_V4,
    SMTP_V6,
    make_exchange,
    make_host,
    make_resolution,
    make_result,
    make_spec,
    make_submission_host,
    mx_query,
    open_submission,
    unverified_tls,
)


def whaler(*, v6: bool = False) -> Resolution:
    """whaler.example: two exchanges and a submission host, as resolved."""
    return make_resolution(
        exchanges=[
            make_exchange(MX1, 10, *((MX1_V6,) if v6 else ()), MX1_V4),
            make_exchange(MX2, 20, MX2_V4),
        ],
        submission_hosts=[
            make_submission_host(SMTP, "name", *((SMTP_V6,) if v6 else ()), SMTP_V4)
        ],
    )


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [f.code for f in findings]


def the(code: str, findings: tuple[Finding, ...]) -> Finding:
    (found,) = [f for f in findings if f.code == code]
    return found


def exchange_25(host: str, address: str, outcome: Outcome) -> ProbeResult:
    greeting_host = ISP_RELAY if outcome is Outcome.INTERCEPTED else None
    return make_result(
        make_spec(host, 25, address), outcome, greeting_host=greeting_host
    )


def open_exchange_587(host: str, address: str) -> ProbeResult:
    return open_submission(host, 587, address, roles=(Role.EXCHANGE,))


# --- port 25 blocked ---------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "how", "words"),
    [
        (Outcome.FILTERED, "filtered", "silently dropped"),
        (Outcome.REFUSED, "reset", "TCP reset"),
        (Outcome.PROHIBITED, "prohibited", "administratively prohibited"),
        (Outcome.INTERCEPTED, "intercepted", "redirected"),
    ],
)
def test_port25_blocked_while_same_hosts_answer_587_is_high_confidence(
    outcome: Outcome, how: str, words: str
) -> None:
    results = [
        exchange_25(MX1, MX1_V4, outcome),
        open_exchange_587(MX1, MX1_V4),
        exchange_25(MX2, MX2_V4, outcome),
        open_exchange_587(MX2, MX2_V4),
    ]

    findings = diagnose(whaler(), results)

    blocked = the("port25_blocked", findings)
    assert blocked.how == how
    assert blocked.confidence is Confidence.HIGH
    assert blocked.severity is Severity.PROBLEM
    assert blocked.families == (Family.IPV4,)
    assert words in blocked.summary
    assert "only" not in blocked.summary
    assert any(e.startswith(f"{MX1} [{MX1_V4}]:25 ") for e in blocked.evidence)
    assert "exchange_down" not in codes(findings)


def test_port25_blocked_while_only_other_hosts_answer_is_medium_confidence() -> None:
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        exchange_25(MX2, MX2_V4, Outcome.FILTERED),
        open_submission(SMTP, 587, SMTP_V4),
    ]

    blocked = the("port25_blocked", diagnose(whaler(), results))

    assert blocked.confidence is Confidence.MEDIUM


def test_port25_blocked_how_is_the_most_common_outcome() -> None:
    results = [
        exchange_25(MX1, MX1_V4, Outcome.REFUSED),
        exchange_25(MX2, MX2_V4, Outcome.FILTERED),
        exchange_25("mx3.whaler.example", "203.0.113.12", Outcome.FILTERED),
        open_exchange_587(MX1, MX1_V4),
    ]

    assert the("port25_blocked", diagnose(whaler(), results)).how == "filtered"


def test_port25_blocked_over_ipv4_only_names_that_family() -> None:
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        open_exchange_587(MX1, MX1_V4),
        make_result(make_spec(MX1, 25, MX1_V6), Outcome.OPEN),
        open_exchange_587(MX1, MX1_V6),
    ]

    blocked = the("port25_blocked", diagnose(whaler(v6=True), results))

    assert blocked.families == (Family.IPV4,)
    assert "over IPv4 only" in blocked.summary


def test_port25_blocked_over_both_families_names_neither() -> None:
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        open_exchange_587(MX1, MX1_V4),
        exchange_25(MX1, MX1_V6, Outcome.PROHIBITED),
        open_exchange_587(MX1, MX1_V6),
    ]

    blocked = the("port25_blocked", diagnose(whaler(v6=True), results))

    assert blocked.families == (Family.IPV4, Family.IPV6)
    assert "only" not in blocked.summary


def test_port25_blocked_with_ipv6_dead_does_not_say_ipv4_only() -> None:
    # Nothing answers over IPv6 at all, so "over IPv4 only" would tell the
    # user that 25 works over IPv6, which nothing shows.
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        open_exchange_587(MX1, MX1_V4),
        exchange_25(MX1, MX1_V6, Outcome.FILTERED),
        make_result(make_spec(MX1, 587, MX1_V6, (Role.EXCHANGE,)), Outcome.FILTERED),
    ]

    findings = diagnose(whaler(v6=True), results)

    assert "family_unreachable" in codes(findings)
    blocked = the("port25_blocked", findings)
    assert blocked.families == (Family.IPV4,)
    assert "only" not in blocked.summary


def test_port25_open_on_one_exchange_is_not_blocked() -> None:
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        exchange_25(MX2, MX2_V4, Outcome.OPEN),
        open_exchange_587(MX1, MX1_V4),
    ]

    assert "port25_blocked" not in codes(diagnose(whaler(), results))


def test_port25_blocked_with_only_a_reset_elsewhere_is_medium_confidence() -> None:
    # The reset on 587 shows the host is up, so the silence on 25 is a
    # filter; a reset alone is weaker proof than a completed connection.
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        make_result(make_spec(MX1, 587, MX1_V4), Outcome.REFUSED),
    ]

    [finding] = [f for f in diagnose(whaler(), results) if f.code == "port25_blocked"]
    assert finding.confidence is Confidence.MEDIUM


def test_port25_blocked_without_anything_else_answering_is_not_concluded() -> None:
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        make_result(make_spec(MX1, 587, MX1_V4), Outcome.FILTERED),
    ]

    assert "port25_blocked" not in codes(diagnose(whaler(), results))


def test_port25_of_a_submission_host_alone_is_not_port25_blocked() -> None:
    # Only exchanges and reference targets speak for port 25.
    results = [
        make_result(make_spec(SMTP, 25, SMTP_V4, (Role.SUBMISSION,)), Outcome.FILTERED),
        open_submission(SMTP, 587, SMTP_V4),
    ]

    assert "port25_blocked" not in codes(diagnose(whaler(), results))


def test_port25_blocked_on_a_reference_target_counts() -> None:
    results = [
        make_result(
            make_spec(REFERENCE, 25, REFERENCE_V4, (Role.REFERENCE,)), Outcome.FILTERED
        ),
        open_submission(SMTP, 587, SMTP_V4),
    ]
    resolution = make_resolution(references=[make_host(REFERENCE, REFERENCE_V4)])

    assert "port25_blocked" in codes(diagnose(resolution, results))


# --- connectivity and hosts --------------------------------------------------


def test_nothing_answers_anywhere_is_no_connectivity_only() -> None:
    results = [
        make_result(make_spec(host, port, address), Outcome.FILTERED)
        for host, address in ((MX1, MX1_V4), (MX2, MX2_V4), (SMTP, SMTP_V4))
        for port in (25, 587, 465)
    ]

    findings = diagnose(whaler(), results)

    assert codes(findings) == ["no_connectivity"]
    assert findings[0].confidence is Confidence.HIGH
    assert findings[0].families == (Family.IPV4,)


def test_resets_everywhere_are_answers_not_no_connectivity() -> None:
    results = [
        make_result(make_spec(MX1, port, MX1_V4), Outcome.REFUSED)
        for port in (25, 587, 465)
    ]

    assert "no_connectivity" not in codes(diagnose(whaler(), results))


def test_one_family_silent_is_family_unreachable() -> None:
    results = [
        exchange_25(MX1, MX1_V6, Outcome.UNREACHABLE),
        make_result(make_spec(MX1, 587, MX1_V6), Outcome.UNREACHABLE),
        exchange_25(MX1, MX1_V4, Outcome.OPEN),
        open_exchange_587(MX1, MX1_V4),
    ]

    findings = diagnose(whaler(v6=True), results)

    assert codes(findings) == ["family_unreachable"]
    assert findings[0].families == (Family.IPV6,)
    assert "IPv6" in findings[0].summary


def test_one_exchange_silent_while_the_other_answers_is_exchange_down() -> None:
    results = [
        make_result(make_spec(MX1, port, MX1_V4), Outcome.FILTERED)
        for port in (25, 587, 465)
    ] + [
        exchange_25(MX2, MX2_V4, Outcome.OPEN),
        open_exchange_587(MX2, MX2_V4),
    ]

    findings = diagnose(whaler(), results)

    down = the("exchange_down", findings)
    assert down.hosts == (MX1,)
    assert MX1 in down.summary
    assert "preference 10" in down.summary
    assert "port25_blocked" not in codes(findings)
    assert "no_connectivity" not in codes(findings)


def test_exchange_resetting_587_while_25_is_silent_is_not_down() -> None:
    # The usual MX runs only port 25: 587 and 465 answer with a reset. When
    # the network drops 25, the resets prove the exchange is up.
    results = [
        exchange_25(MX1, MX1_V4, Outcome.FILTERED),
        make_result(make_spec(MX1, 587, MX1_V4), Outcome.REFUSED),
        make_result(make_spec(MX1, 465, MX1_V4), Outcome.REFUSED),
        open_submission(SMTP, 587, SMTP_V4),
    ]

    findings = diagnose(
        make_resolution(exchanges=[make_exchange(MX1, 10, MX1_V4)]), results
    )

    assert "port25_blocked" in codes(findings)
    assert "exchange_down" not in codes(findings)


# --- DNS ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("routing", "status", "code", "words"),
    [
        (MailRouting.NXDOMAIN, DnsStatus.NXDOMAIN, "nxdomain", "does not exist"),
        (MailRouting.NULL_MX, DnsStatus.OK, "null_mx", "null MX"),
        (MailRouting.NO_MAIL, DnsStatus.NO_ANSWER, "no_mail_host", "cannot receive"),
    ],
)
def test_domain_that_takes_no_mail_gives_one_problem_finding(
    routing: MailRouting, status: DnsStatus, code: str, words: str
) -> None:
    resolution = make_resolution(routing=routing, queries=[mx_query(status)])

    findings = diagnose(resolution, ())

    assert codes(findings) == [code]
    assert findings[0].severity is Severity.PROBLEM
    assert DOMAIN in findings[0].summary
    assert words in findings[0].summary
    assert findings[0].evidence == (f"{DOMAIN} MX: {status.value}",)


@pytest.mark.parametrize("status", [DnsStatus.SERVFAIL, DnsStatus.TIMEOUT])
def test_mx_lookup_failure_is_dns_failure_blaming_the_resolver(
    status: DnsStatus,
) -> None:
    resolution = make_resolution(
        routing=MailRouting.DNS_FAILURE,
        queries=[mx_query(status, "no answer in time")],
    )

    findings = diagnose(resolution, ())

    assert codes(findings) == ["dns_failure"]
    assert findings[0].severity is Severity.PROBLEM
    assert f"({status.value})" in findings[0].summary
    assert "192.0.2.53" in findings[0].summary
    assert "not the domain" in findings[0].summary


def test_dns_failure_lists_every_kind_of_resolver_failure() -> None:
    resolution = make_resolution(
        routing=MailRouting.DNS_FAILURE,
        queries=[
            mx_query(DnsStatus.TIMEOUT),
            DnsQuery(f"_submission._tcp.{DOMAIN}", "SRV", DnsStatus.SERVFAIL),
            DnsQuery(f"smtp.{DOMAIN}", "A", DnsStatus.NXDOMAIN),
        ],
    )

    finding = the("dns_failure", diagnose(resolution, ()))

    assert "(servfail, timeout)" in finding.summary
    assert len(finding.evidence) == 2


def test_no_mx_is_implicit_mx_info() -> None:
    resolution = make_resolution(
        routing=MailRouting.IMPLICIT_MX,
        exchanges=[make_exchange(DOMAIN, 0, MX1_V4)],
        queries=[mx_query(DnsStatus.NO_ANSWER)],
    )

    findings = diagnose(resolution, ())

    assert codes(findings) == ["implicit_mx"]
    assert findings[0].severity is Severity.INFO


def test_exchange_address_lookup_failure_is_dns_failure_warning() -> None:
    failed = DnsQuery(MX2, "A", DnsStatus.SERVFAIL)
    resolution = make_resolution(
        exchanges=[
            make_exchange(MX1, 10, MX1_V4),
            make_exchange(MX2, 20, queries=[failed]),
        ]
    )

    finding = the("dns_failure", diagnose(resolution, ()))

    assert finding.severity is Severity.WARNING
    assert finding.hosts == (MX2,)


def test_exchange_without_address_is_exchange_unresolved() -> None:
    resolution = make_resolution(
        exchanges=[
            make_exchange(MX1, 10, MX1_V4),
            make_exchange(MX2, 20, queries=[DnsQuery(MX2, "A", DnsStatus.NXDOMAIN)]),
        ]
    )

    finding = the("exchange_unresolved", diagnose(resolution, ()))

    assert finding.hosts == (MX2,)
    assert finding.evidence == (f"{MX2} A: nxdomain",)


def test_resolved_domain_without_results_has_no_findings() -> None:
    assert diagnose(whaler(), ()) == ()


# --- submission, TLS, greetings, interception ---------------------------------


def test_every_submission_port_filtered_is_submission_blocked() -> None:
    results = [
        make_result(
            make_spec(SMTP, port, SMTP_V4, (Role.SUBMISSION,)), Outcome.FILTERED
        )
        for port in (587, 465)
    ] + [exchange_25(MX1, MX1_V4, Outcome.OPEN)]

    finding = the("submission_blocked", diagnose(whaler(), results))

    assert finding.how == "filtered"
    assert finding.confidence is Confidence.HIGH
    assert finding.families == (Family.IPV4,)


def test_one_working_submission_port_is_not_submission_blocked() -> None:
    results = [
        make_result(
            make_spec(SMTP, 587, SMTP_V4, (Role.SUBMISSION,)), Outcome.FILTERED
        ),
        open_submission(SMTP, 465, SMTP_V4),
        exchange_25(MX1, MX1_V4, Outcome.OPEN),
    ]

    assert "submission_blocked" not in codes(diagnose(whaler(), results))


def test_submission_ports_of_a_reference_target_are_ignored() -> None:
    results = [
        make_result(
            make_spec(REFERENCE, 587, REFERENCE_V4, (Role.REFERENCE,)), Outcome.FILTERED
        ),
        exchange_25(MX1, MX1_V4, Outcome.OPEN),
    ]

    assert "submission_blocked" not in codes(diagnose(whaler(), results))


def test_certificate_name_mismatch_is_tls_problem() -> None:
    spec = make_spec(SMTP, 587, SMTP_V4, (Role.SUBMISSION,))
    mismatch = "hostname mismatch, certificate is not valid for 'smtp.whaler.example'"
    results = [
        make_result(
            spec,
            Outcome.OPEN,
            starttls=True,
            tls=unverified_tls(mismatch, MX1),
        ),
        exchange_25(MX1, MX1_V4, Outcome.OPEN),
    ]

    finding = the("tls_problem", diagnose(whaler(), results))

    assert finding.hosts == (SMTP,)
    assert finding.severity is Severity.WARNING


def test_tls_failed_is_tls_problem() -> None:
    spec = make_spec(SMTP, 465, SMTP_V4, (Role.SUBMISSION,))
    results = [make_result(spec, Outcome.TLS_FAILED, detail="TLS failed: x")]

    assert the("tls_problem", diagnose(whaler(), results)).hosts == (SMTP,)


def test_submission_without_starttls_is_tls_problem() -> None:
    results = [open_submission(SMTP, 587, SMTP_V4, starttls=False)]

    finding = the("tls_problem", diagnose(whaler(), results))

    assert finding.evidence[0].endswith("(no STARTTLS offered)")


def test_verified_tls_everywhere_is_no_tls_problem() -> None:
    results = [open_submission(SMTP, 587, SMTP_V4), open_submission(SMTP, 465, SMTP_V4)]

    assert "tls_problem" not in codes(diagnose(whaler(), results))


def test_rejecting_greeting_is_greeting_rejected() -> None:
    results = [
        make_result(make_spec(MX1, 25, MX1_V4), Outcome.REJECTED),
        open_submission(SMTP, 587, SMTP_V4),
    ]

    assert the("greeting_rejected", diagnose(whaler(), results)).hosts == (MX1,)


def test_not_smtp_answer_is_not_smtp_finding() -> None:
    results = [
        make_result(make_spec(MX1, 25, MX1_V4), Outcome.NOT_SMTP),
        open_submission(SMTP, 587, SMTP_V4),
    ]

    assert the("not_smtp", diagnose(whaler(), results)).hosts == (MX1,)


def test_intercepted_port_names_the_impostor() -> None:
    results = [
        exchange_25(MX1, MX1_V4, Outcome.INTERCEPTED),
        open_exchange_587(MX1, MX1_V4),
    ]

    finding = the("intercepted", diagnose(whaler(), results))

    assert finding.hosts == (ISP_RELAY,)
    assert finding.how == "intercepted"
    assert "port 25" in finding.summary
    assert ISP_RELAY in finding.summary
