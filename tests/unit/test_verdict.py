"""The verdict: status (and so the exit code) and the first sentences.

The last tests run the pure stages end to end on hand-made observations:
classify -> diagnose -> advise -> decide, as check.run_check wires them.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

import pytest

from netprobe.advise import advise
from netprobe.classify import classify
from netprobe.cli import EXIT_BLOCKED, EXIT_DEGRADED, EXIT_NO_MAIL, EXIT_OK, STATUS_EXIT
from netprobe.diagnose import diagnose
from netprobe.model import (
    Advice,
    Confidence,
    DnsStatus,
    Finding,
    MailRouting,
    Observation,
    Outcome,
    Resolution,
    Role,
    Security,
    Severity,
    Status,
    Verdict,
)
from netprobe.verdict import decide, settings_sentence
from tests.unit.builders import (
    DOMAIN,
    ISP_RELAY,
    MX1,
    MX1_V4,
    MX2,
    MX2_V4,
    SMTP,
    SMTP_V4,
    connect_failed,
    make_exchange,
    make_resolution,
    make_result,
    make_spec,
    make_submission_host,
    mx_query,
    open_submission,
    silent,
    smtp_session,
    verified_tls,
)


def finding(code: str, severity: Severity = Severity.PROBLEM) -> Finding:
    return Finding(code, severity, f"summary of {code}.", Confidence.HIGH)


SUBMISSION = Advice(
    1, SMTP, 587, Security.STARTTLS, True, "submission", "587 with STARTTLS works."
)
RELAY = Advice(1, ISP_RELAY, 25, Security.NONE, False, "relay", "relay works.")
NEXT_STEP = Advice(1, None, None, None, None, "next_step", "Try another network.")


# --- settings_sentence -------------------------------------------------------


@pytest.mark.parametrize(
    ("advice", "sentence"),
    [
        (SUBMISSION, f"{SMTP}, port 587, STARTTLS, with your login"),
        (
            Advice(1, SMTP, 465, Security.IMPLICIT_TLS, None, "submission", ""),
            f"{SMTP}, port 465, SSL/TLS (implicit TLS)",
        ),
        (RELAY, f"{ISP_RELAY}, port 25, no encryption, no login"),
    ],
)
def test_settings_sentence_names_host_port_security_and_login(
    advice: Advice, sentence: str
) -> None:
    assert settings_sentence(advice) == sentence


# --- decide ------------------------------------------------------------------


def test_decide_nothing_wrong_and_submission_works_is_ok() -> None:
    verdict = decide(DOMAIN, (), (SUBMISSION,))

    assert verdict.status is Status.OK
    assert DOMAIN in verdict.sentences[0]
    assert verdict.sentences[-1] == (
        f"Set {SMTP}, port 587, STARTTLS, with your login in your mail client."
    )


def test_decide_info_findings_do_not_spoil_ok() -> None:
    verdict = decide(DOMAIN, (finding("implicit_mx", Severity.INFO),), (SUBMISSION,))

    assert verdict.status is Status.OK
    assert "summary of implicit_mx." not in verdict.sentences


def test_decide_port25_blocked_while_submission_works_is_degraded() -> None:
    verdict = decide(DOMAIN, (finding("port25_blocked"),), (SUBMISSION,))

    assert verdict == Verdict(
        Status.DEGRADED,
        (
            "summary of port25_blocked.",
            f"Set {SMTP}, port 587, STARTTLS, with your login in your mail client.",
        ),
    )


def test_decide_only_the_isp_relay_left_is_degraded_with_the_way_out() -> None:
    verdict = decide(DOMAIN, (finding("intercepted"),), (RELAY,))

    assert verdict.status is Status.DEGRADED
    assert verdict.sentences[-1] == (
        f"The only way out: {ISP_RELAY}, port 25, no encryption, no login."
    )


def test_decide_nothing_usable_is_blocked_with_the_next_step() -> None:
    verdict = decide(DOMAIN, (finding("no_connectivity"),), (NEXT_STEP,))

    assert verdict == Verdict(
        Status.BLOCKED, ("summary of no_connectivity.", "Try another network.")
    )


def test_decide_delivery_advice_alone_is_still_blocked() -> None:
    delivery = Advice(1, MX1, 25, Security.STARTTLS, False, "delivery", "servers.")

    verdict = decide(DOMAIN, (finding("submission_blocked"),), (delivery, NEXT_STEP))

    assert verdict.status is Status.BLOCKED


@pytest.mark.parametrize("code", ["nxdomain", "null_mx", "no_mail_host"])
def test_decide_domain_taking_no_mail_is_no_mail_with_that_sentence_only(
    code: str,
) -> None:
    verdict = decide(DOMAIN, (finding(code),), (NEXT_STEP,))

    assert verdict == Verdict(Status.NO_MAIL, (f"summary of {code}.",))


def test_decide_headline_keeps_the_two_most_telling_problems_in_order() -> None:
    findings = (
        finding("tls_problem", Severity.WARNING),
        finding("port25_blocked"),
        finding("exchange_down", Severity.WARNING),
        finding("intercepted"),
    )

    verdict = decide(DOMAIN, findings, (SUBMISSION,))

    assert verdict.sentences[:2] == (
        "summary of intercepted.",
        "summary of port25_blocked.",
    )
    assert len(verdict.sentences) == 3


def test_decide_unknown_finding_code_still_counts_but_comes_last() -> None:
    findings = (finding("brand_new_code"), finding("tls_problem", Severity.WARNING))

    verdict = decide(DOMAIN, findings, (SUBMISSION,))

    assert verdict.status is Status.DEGRADED
    assert verdict.sentences[:2] == (
        "summary of tls_problem.",
        "summary of brand_new_code.",
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Status.OK, EXIT_OK),
        (Status.DEGRADED, EXIT_DEGRADED),
        (Status.BLOCKED, EXIT_BLOCKED),
        (Status.NO_MAIL, EXIT_NO_MAIL),
    ],
)
def test_status_exit_maps_every_status_to_its_documented_code(
    status: Status, code: int
) -> None:
    assert STATUS_EXIT[status] == code


def test_status_exit_codes_are_distinct_and_cover_every_status() -> None:
    assert set(STATUS_EXIT) == set(Status)
    assert sorted(STATUS_EXIT.values()) == [0, 1, 3, 4]


# --- the pure pipeline, end to end -------------------------------------------


def pipeline(resolution: Resolution, observations: Sequence[Observation]) -> Verdict:
    results = classify(observations)
    findings = diagnose(resolution, results)
    return decide(
        resolution.display_name, findings, advise(resolution, results, findings)
    )


def whaler() -> Resolution:
    return make_resolution(
        exchanges=[make_exchange(MX1, 10, MX1_V4), make_exchange(MX2, 20, MX2_V4)],
        submission_hosts=[make_submission_host(SMTP, "name", SMTP_V4)],
    )


def mail_servers(
    port25: Sequence[Observation], *, exchanges_on_587: bool = False
) -> list[Observation]:
    """The company's servers as seen from the hotel, with port 25 as given.

    The exchanges reset 587 and 465, unless ``exchanges_on_587`` says they
    also take submission on 587 (greeting with their own names).
    """
    submission = [
        smtp_session(
            make_spec(SMTP, port, SMTP_V4, (Role.SUBMISSION,)), tls=verified_tls(SMTP)
        )
        for port in (587, 465)
    ]
    exchanges = [
        smtp_session(make_spec(host, port, address), tls=verified_tls(host))
        if exchanges_on_587 and port == 587
        else connect_failed(make_spec(host, port, address), errno.ECONNREFUSED)
        for host, address in ((MX1, MX1_V4), (MX2, MX2_V4))
        for port in (587, 465)
    ]
    return [*port25, *exchanges, *submission]


def test_story_everything_open_is_ok() -> None:
    port25 = [
        smtp_session(make_spec(host, 25, address), tls=verified_tls(host))
        for host, address in ((MX1, MX1_V4), (MX2, MX2_V4))
    ]

    verdict = pipeline(whaler(), mail_servers(port25))

    assert verdict.status is Status.OK
    assert f"Set {SMTP}, port 465, SSL/TLS (implicit TLS)" in verdict.sentences[-1]


def test_story_hotel_drops_port_25_is_degraded_and_sends_to_465() -> None:
    port25 = [silent(make_spec(MX1, 25, MX1_V4)), silent(make_spec(MX2, 25, MX2_V4))]

    verdict = pipeline(whaler(), mail_servers(port25))

    assert verdict.status is Status.DEGRADED
    assert "blocks outgoing port 25" in verdict.sentences[0]
    assert f"Set {SMTP}, port 465" in verdict.sentences[-1]


def test_story_hotel_redirects_port_25_to_its_relay_is_degraded() -> None:
    port25 = [
        smtp_session(make_spec(MX1, 25, MX1_V4), ISP_RELAY),
        smtp_session(make_spec(MX2, 25, MX2_V4), ISP_RELAY),
    ]
    observations = mail_servers(port25, exchanges_on_587=True)

    results = classify(observations)
    verdict = pipeline(whaler(), observations)

    assert [r.outcome for r in results[:2]] == [Outcome.INTERCEPTED] * 2
    assert verdict.status is Status.DEGRADED
    assert ISP_RELAY in verdict.sentences[0]


def test_story_nothing_gets_out_is_blocked() -> None:
    observations = [
        silent(make_spec(host, port, address))
        for host, address in ((MX1, MX1_V4), (MX2, MX2_V4), (SMTP, SMTP_V4))
        for port in (25, 587, 465)
    ]

    verdict = pipeline(whaler(), observations)

    assert verdict.status is Status.BLOCKED
    assert "No host answered" in verdict.sentences[0]
    assert STATUS_EXIT[verdict.status] == EXIT_BLOCKED


def test_story_domain_does_not_exist_is_no_mail() -> None:
    resolution = make_resolution(
        routing=MailRouting.NXDOMAIN, queries=[mx_query(DnsStatus.NXDOMAIN)]
    )

    verdict = pipeline(resolution, ())

    assert verdict.status is Status.NO_MAIL
    assert "NXDOMAIN" in verdict.sentences[0]


def test_story_submission_without_tls_only_is_blocked() -> None:
    # A password in clear text over hotel Wi-Fi is not advice.
    observations = [
        smtp_session(make_spec(SMTP, 587, SMTP_V4, (Role.SUBMISSION,)), keywords=()),
        silent(make_spec(SMTP, 465, SMTP_V4, (Role.SUBMISSION,))),
        silent(make_spec(MX1, 25, MX1_V4)),
    ]
    resolution = make_resolution(
        exchanges=[make_exchange(MX1, 10, MX1_V4)],
        submission_hosts=[make_submission_host(SMTP, "name", SMTP_V4)],
    )

    verdict = pipeline(resolution, observations)

    assert verdict.status is Status.BLOCKED


def test_result_outcomes_drive_the_verdict_not_the_details() -> None:
    spec = make_spec(SMTP, 587, SMTP_V4, (Role.SUBMISSION,))
    working = open_submission(SMTP, 587, SMTP_V4)
    filtered = make_result(spec, Outcome.FILTERED, detail="looks fine")
    resolution = whaler()

    for results, status in (([working], Status.OK), ([filtered], Status.BLOCKED)):
        findings = diagnose(resolution, results)
        verdict = decide(DOMAIN, findings, advise(resolution, results, findings))
        assert verdict.status is status
