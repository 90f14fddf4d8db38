"""Advise: what answered -> ranked settings for a mail client (RFC 8314 3.3,
RFC 6186)."""

from __future__ import annotations

import pytest

from netprobe.advise import advise
from netprobe.diagnose import diagnose
from netprobe.model import (
    Advice,
    Confidence,
    Finding,
    MailRouting,
    Outcome,
    ProbeResult,
    Resolution,
    Role,
    Security,
    Severity,
)
from tests.unit.builders import (
    ISP_RELAY,
    MX1,
    MX1_V4,
    REFERENCE_V4,
    SMTP,
    SMTP_V4,
    SMTP_V6,
    make_exchange,
    make_resolution,
    make_result,
    make_spec,
    make_submission_host,
    mx_query,
    open_submission,
)

SRV_HOST = "submit.whaler.example"
SRV_V4 = "203.0.113.30"


def whaler() -> Resolution:
    return make_resolution(
        exchanges=[make_exchange(MX1, 10, MX1_V4)],
        submission_hosts=[
            make_submission_host(SRV_HOST, "srv", SRV_V4),
            make_submission_host(SMTP, "name", SMTP_V4),
            make_submission_host(MX1, "exchange", MX1_V4),
        ],
    )


def advice_for(results: list[ProbeResult]) -> tuple[Advice, ...]:
    resolution = whaler()
    return advise(resolution, results, diagnose(resolution, results))


def settings(advice: tuple[Advice, ...]) -> list[tuple[str | None, int | None]]:
    return [(a.host, a.port) for a in advice]


def test_implicit_tls_465_is_ranked_before_starttls_587() -> None:
    advice = advice_for(
        [open_submission(SMTP, 587, SMTP_V4), open_submission(SMTP, 465, SMTP_V4)]
    )

    assert settings(advice) == [(SMTP, 465), (SMTP, 587)]
    assert [a.security for a in advice] == [Security.IMPLICIT_TLS, Security.STARTTLS]
    assert [a.rank for a in advice] == [1, 2]
    assert all(a.purpose == "submission" for a in advice)


def test_verified_certificate_is_ranked_before_unverified() -> None:
    advice = advice_for(
        [
            open_submission(SMTP, 465, SMTP_V4, verified=False),
            open_submission(SMTP, 587, SMTP_V4),
        ]
    )

    assert settings(advice) == [(SMTP, 587), (SMTP, 465)]
    assert "the certificate is a problem: self-signed" in advice[1].reason


def test_srv_host_comes_before_guessed_name_before_exchange() -> None:
    advice = advice_for(
        [
            open_submission(MX1, 587, MX1_V4, roles=(Role.EXCHANGE, Role.SUBMISSION)),
            open_submission(SMTP, 587, SMTP_V4),
            open_submission(SRV_HOST, 587, SRV_V4),
        ]
    )

    assert settings(advice) == [(SRV_HOST, 587), (SMTP, 587), (MX1, 587)]


def test_submission_advice_says_login_and_reason() -> None:
    (advice,) = advice_for([open_submission(SMTP, 587, SMTP_V4)])

    assert advice.login is True
    assert advice.reason == (
        "587 with STARTTLS works from this network; "
        "the server asks for a login (PLAIN, LOGIN)."
    )


def test_submission_without_auth_leaves_login_unknown() -> None:
    spec = make_spec(SMTP, 587, SMTP_V4, (Role.SUBMISSION,))
    result = make_result(spec, Outcome.OPEN, starttls=True)

    (advice, *_) = advice_for([result])

    assert advice.host == SMTP
    assert advice.login is None


def test_plaintext_only_submission_is_never_advised() -> None:
    advice = advice_for([open_submission(SMTP, 587, SMTP_V4, starttls=False)])

    assert all(a.host != SMTP for a in advice)
    assert [a.purpose for a in advice] == ["next_step"]


def test_same_host_and_port_over_two_families_is_advised_once() -> None:
    advice = advice_for(
        [open_submission(SMTP, 587, SMTP_V6), open_submission(SMTP, 587, SMTP_V4)]
    )

    assert settings(advice) == [(SMTP, 587)]


def test_reference_target_is_never_advised() -> None:
    reference = open_submission(
        "smtp.reference.example", 587, REFERENCE_V4, roles=(Role.REFERENCE,)
    )

    advice = advice_for([reference])

    assert [a.purpose for a in advice] == ["next_step"]


def test_intercepted_port_25_gives_isp_relay_advice() -> None:
    intercepted = make_result(
        make_spec(MX1, 25, MX1_V4),
        Outcome.INTERCEPTED,
        greeting_host=ISP_RELAY,
        starttls=False,
    )

    (relay,) = advice_for([intercepted])

    assert relay == Advice(
        1,
        ISP_RELAY,
        25,
        Security.NONE,
        False,
        "relay",
        relay.reason,
    )
    assert ISP_RELAY in relay.reason
    assert "only while you are on this network" in relay.reason


def test_isp_relay_offering_starttls_is_advised_with_starttls() -> None:
    intercepted = make_result(
        make_spec(MX1, 25, MX1_V4),
        Outcome.INTERCEPTED,
        greeting_host=ISP_RELAY,
        starttls=True,
    )

    (relay,) = advice_for([intercepted])

    assert relay.security is Security.STARTTLS


def test_isp_relay_is_ranked_after_working_submission() -> None:
    intercepted = make_result(
        make_spec(MX1, 25, MX1_V4), Outcome.INTERCEPTED, greeting_host=ISP_RELAY
    )

    advice = advice_for([intercepted, open_submission(SMTP, 587, SMTP_V4)])

    assert [a.purpose for a in advice] == ["submission", "relay"]
    assert settings(advice) == [(SMTP, 587), (ISP_RELAY, 25)]


def test_unverified_submission_still_ranks_before_isp_relay() -> None:
    intercepted = make_result(
        make_spec(MX1, 25, MX1_V4), Outcome.INTERCEPTED, greeting_host=ISP_RELAY
    )

    advice = advice_for(
        [intercepted, open_submission(SMTP, 587, SMTP_V4, verified=False)]
    )

    assert [a.purpose for a in advice] == ["submission", "relay"]


def test_working_port_25_is_delivery_advice_for_servers_last() -> None:
    delivery = make_result(make_spec(MX1, 25, MX1_V4), Outcome.OPEN, starttls=True)

    advice = advice_for([delivery, open_submission(SMTP, 587, SMTP_V4)])

    assert [a.purpose for a in advice] == ["submission", "delivery"]
    assert advice[1].host == MX1
    assert advice[1].security is Security.STARTTLS
    assert advice[1].login is False


def test_only_port_25_working_adds_a_next_step_for_clients() -> None:
    delivery = make_result(make_spec(MX1, 25, MX1_V4), Outcome.OPEN)

    advice = advice_for([delivery])

    assert [a.purpose for a in advice] == ["delivery", "next_step"]
    assert [a.rank for a in advice] == [1, 2]


def test_nothing_working_gives_a_single_next_step() -> None:
    results = [
        make_result(make_spec(host, port, address), Outcome.FILTERED)
        for host, address in ((MX1, MX1_V4), (SMTP, SMTP_V4))
        for port in (25, 587, 465)
    ]

    (advice,) = advice_for(results)

    assert advice.purpose == "next_step"
    assert advice.rank == 1
    assert advice.host is None
    assert advice.port is None
    assert "another network" in advice.reason


def test_dns_failure_next_step_suggests_another_resolver() -> None:
    resolution = make_resolution(routing=MailRouting.DNS_FAILURE)
    findings = (
        Finding("dns_failure", Severity.PROBLEM, "resolver failed", Confidence.HIGH),
    )

    (advice,) = advise(resolution, (), findings)

    assert "--resolver" in advice.reason


@pytest.mark.parametrize(
    "routing", [MailRouting.NXDOMAIN, MailRouting.NULL_MX, MailRouting.NO_MAIL]
)
def test_domain_that_takes_no_mail_gets_only_a_spelling_hint(
    routing: MailRouting,
) -> None:
    resolution = make_resolution(routing=routing, queries=[mx_query()])
    working = [open_submission(SMTP, 587, SMTP_V4)]

    (advice,) = advise(resolution, working, ())

    assert advice.purpose == "next_step"
    assert "spelling" in advice.reason
