"""Classify: each observation read on its own, then against the others."""

from __future__ import annotations

import errno

import pytest

from netprobe.classify import classify, classify_one, families
from netprobe.model import Family, Observation, Outcome, Role
from netprobe.smtp import ReplyError, parse_replies
from tests.unit.builders import (
    ISP_RELAY,
    MX1,
    MX1_V4,
    MX1_V6,
    MX2,
    MX2_V4,
    SMTP,
    SMTP_V4,
    connect_failed,
    failed_tls,
    make_spec,
    silent,
    smtp_session,
    unverified_tls,
    verified_tls,
)

# --- connect failures --------------------------------------------------------


def test_classify_one_silent_syn_is_filtered() -> None:
    result = classify_one(silent(make_spec(), seconds=10.0))

    assert result.outcome is Outcome.FILTERED
    assert result.detail == "no answer to the SYN in 10.0 s"
    assert not result.works


@pytest.mark.parametrize(
    ("number", "outcome", "detail"),
    [
        (errno.ECONNREFUSED, Outcome.REFUSED, "TCP reset"),
        (errno.EACCES, Outcome.PROHIBITED, "administratively prohibited"),
        (errno.EPERM, Outcome.PROHIBITED, "own firewall"),
        (errno.EHOSTUNREACH, Outcome.UNREACHABLE, "host unreachable"),
        (errno.ENETUNREACH, Outcome.UNREACHABLE, "no route"),
        (errno.EADDRNOTAVAIL, Outcome.UNREACHABLE, "no local address"),
        (errno.EHOSTDOWN, Outcome.UNREACHABLE, "host down"),
        (errno.ECONNRESET, Outcome.UNREACHABLE, "ECONNRESET"),
    ],
)
def test_classify_one_connect_errno_gives_its_outcome(
    number: int, outcome: Outcome, detail: str
) -> None:
    result = classify_one(connect_failed(make_spec(), number))

    assert result.outcome is outcome
    assert detail in result.detail
    assert result.greeting_host is None


# --- what the server said ----------------------------------------------------


def test_classify_one_full_session_is_open_with_greeting_host_and_auth() -> None:
    obs = smtp_session(make_spec(SMTP, 587, SMTP_V4), tls=verified_tls(SMTP))

    result = classify_one(obs)

    assert result.outcome is Outcome.OPEN
    assert result.works
    assert result.greeting_host == SMTP
    assert result.starttls is True
    assert result.auth == ("PLAIN", "LOGIN")
    assert "AUTH" in result.extensions
    assert result.detail == "TLSv1.3, AUTH PLAIN LOGIN"


def test_classify_one_auth_offered_only_after_tls_is_seen() -> None:
    obs = smtp_session(
        make_spec(SMTP, 587, SMTP_V4),
        keywords=("STARTTLS",),
        keywords_after_tls=("AUTH LOGIN",),
        tls=verified_tls(SMTP),
    )

    assert classify_one(obs).auth == ("LOGIN",)


@pytest.mark.parametrize("code", [554, 421])
def test_classify_one_refusing_greeting_is_rejected(code: int) -> None:
    result = classify_one(smtp_session(make_spec(), code=code))

    assert result.outcome is Outcome.REJECTED
    assert result.detail.startswith(f"greeting {code}: ")
    assert not result.outcome.blocked


def test_classify_one_unexpected_positive_greeting_is_not_smtp() -> None:
    result = classify_one(smtp_session(make_spec(), code=250))

    assert result.outcome is Outcome.NOT_SMTP
    assert result.detail == "unexpected greeting code 250"


def garbage_failure(data: bytes) -> str:
    """What the probe records when the parser refuses the first bytes."""
    with pytest.raises(ReplyError) as caught:
        parse_replies(data)
    return f"{caught.value.reason}: {caught.value.sample!r}"


@pytest.mark.parametrize(
    "data", [b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 400 Bad Request\r\n"]
)
def test_classify_one_garbage_instead_of_greeting_is_not_smtp(data: bytes) -> None:
    obs = Observation(
        make_spec(),
        True,
        failure_step="greeting",
        failure=garbage_failure(data),
    )

    result = classify_one(obs)

    assert result.outcome is Outcome.NOT_SMTP
    assert result.detail.startswith("not SMTP: not an SMTP reply line")


def test_classify_one_endless_line_is_not_smtp() -> None:
    obs = Observation(
        make_spec(), True, failure_step="greeting", failure="line too long: b'220 xxx'"
    )

    assert classify_one(obs).outcome is Outcome.NOT_SMTP


def test_classify_one_connection_without_greeting_is_not_smtp() -> None:
    obs = Observation(
        make_spec(),
        True,
        failure_step="greeting",
        failure="no complete reply within 30 s",
    )

    result = classify_one(obs)

    assert result.outcome is Outcome.NOT_SMTP
    assert result.detail == "connected, no complete reply within 30 s"


# --- TLS ---------------------------------------------------------------------


def test_classify_one_implicit_tls_handshake_failure_is_tls_failed() -> None:
    error = "certificate verify failed: self-signed certificate"
    obs = Observation(
        make_spec(SMTP, 465, SMTP_V4),
        True,
        tls=failed_tls(error),
        failure_step="tls",
        failure=error,
    )

    result = classify_one(obs)

    assert result.outcome is Outcome.TLS_FAILED
    assert result.detail == f"TLS failed: {error}"
    assert result.starttls is None


def test_classify_one_implicit_tls_never_reports_starttls() -> None:
    obs = smtp_session(make_spec(SMTP, 465, SMTP_V4), tls=verified_tls(SMTP))

    result = classify_one(obs)

    assert result.outcome is Outcome.OPEN
    assert result.starttls is None
    assert result.auth == ("PLAIN", "LOGIN")


def test_classify_one_starttls_failure_on_submission_is_tls_failed() -> None:
    obs = smtp_session(
        make_spec(SMTP, 587, SMTP_V4),
        tls=failed_tls("handshake timed out"),
        failure_step="starttls",
        failure="handshake timed out",
    )

    result = classify_one(obs)

    assert result.outcome is Outcome.TLS_FAILED
    assert result.detail == "TLS failed: handshake timed out"


def test_classify_one_starttls_failure_on_port_25_stays_open() -> None:
    # RFC 3207: on 25 TLS is opportunistic; an MTA delivers in plain text.
    obs = smtp_session(
        make_spec(),
        tls=failed_tls("handshake timed out"),
        failure_step="starttls",
        failure="handshake timed out",
    )

    result = classify_one(obs)

    assert result.outcome is Outcome.OPEN
    assert "plain SMTP works" in result.detail


def test_classify_one_unverified_certificate_is_open_with_the_error() -> None:
    obs = smtp_session(
        make_spec(SMTP, 587, SMTP_V4), tls=unverified_tls("hostname mismatch", MX1)
    )

    result = classify_one(obs)

    assert result.outcome is Outcome.OPEN
    assert "hostname mismatch" in result.detail


def test_classify_one_ehlo_without_starttls_says_so() -> None:
    obs = smtp_session(make_spec(SMTP, 587, SMTP_V4), keywords=("PIPELINING",))

    result = classify_one(obs)

    assert result.starttls is False
    assert result.detail.startswith("no STARTTLS")


def test_classify_one_masked_starttls_is_named() -> None:
    obs = smtp_session(make_spec(SMTP, 587, SMTP_V4), keywords=("XXXXXXXX",))

    result = classify_one(obs)

    assert result.outcome is Outcome.OPEN
    assert result.starttls is False
    assert "STARTTLS masked by a middlebox" in result.detail


# --- refinement: ICMP unreachable for one port only ---------------------------


def test_classify_unreachable_25_while_587_connects_is_prohibited() -> None:
    port25 = connect_failed(make_spec(MX1, 25, MX1_V4), errno.EHOSTUNREACH)
    port587 = smtp_session(make_spec(MX1, 587, MX1_V4), tls=verified_tls(MX1))

    results = classify([port25, port587])

    assert [r.outcome for r in results] == [Outcome.PROHIBITED, Outcome.OPEN]
    assert "admin-prohibited" in results[0].detail


def test_classify_unreachable_25_while_587_resets_is_prohibited() -> None:
    port25 = connect_failed(make_spec(MX1, 25, MX1_V4), errno.EHOSTUNREACH)
    port587 = connect_failed(make_spec(MX1, 587, MX1_V4), errno.ECONNREFUSED)

    outcomes = [r.outcome for r in classify([port25, port587])]

    assert outcomes == [Outcome.PROHIBITED, Outcome.REFUSED]


def test_classify_unreachable_on_every_port_stays_unreachable() -> None:
    observations = [
        connect_failed(make_spec(MX1, port, MX1_V4), errno.EHOSTUNREACH)
        for port in (25, 587, 465)
    ]

    outcomes = {r.outcome for r in classify(observations)}

    assert outcomes == {Outcome.UNREACHABLE}


def test_classify_unreachable_while_another_address_answers_stays_unreachable() -> None:
    port25 = connect_failed(make_spec(MX1, 25, MX1_V4), errno.EHOSTUNREACH)
    other = smtp_session(make_spec(MX2, 587, MX2_V4), tls=verified_tls(MX2))

    assert classify([port25, other])[0].outcome is Outcome.UNREACHABLE


def test_classify_no_route_while_other_ports_answer_stays_unreachable() -> None:
    port25 = connect_failed(make_spec(MX1, 25, MX1_V4), errno.ENETUNREACH)
    port587 = smtp_session(make_spec(MX1, 587, MX1_V4), tls=verified_tls(MX1))

    assert classify([port25, port587])[0].outcome is Outcome.UNREACHABLE


# --- refinement: interception -------------------------------------------------


def test_classify_25_greeting_other_name_than_587_same_address_is_intercepted() -> None:
    port25 = smtp_session(make_spec(MX1, 25, MX1_V4), ISP_RELAY)
    port587 = smtp_session(make_spec(MX1, 587, MX1_V4), MX1, tls=verified_tls(MX1))

    results = classify([port25, port587])

    assert [r.outcome for r in results] == [Outcome.INTERCEPTED, Outcome.OPEN]
    assert results[0].greeting_host == ISP_RELAY
    assert ISP_RELAY in results[0].detail
    assert MX1 in results[0].detail
    assert results[0].outcome.blocked


def test_classify_same_impostor_on_another_hosts_25_is_intercepted_too() -> None:
    observations = [
        smtp_session(make_spec(MX1, 25, MX1_V4), ISP_RELAY),
        smtp_session(make_spec(MX1, 587, MX1_V4), MX1, tls=verified_tls(MX1)),
        smtp_session(make_spec(MX2, 25, MX2_V4), ISP_RELAY),
        silent(make_spec(MX2, 587, MX2_V4)),
    ]

    results = classify(observations)

    assert [r.outcome for r in results] == [
        Outcome.INTERCEPTED,
        Outcome.OPEN,
        Outcome.INTERCEPTED,
        Outcome.FILTERED,
    ]
    assert "the same machine that answers port 25" in results[2].detail


def test_classify_provider_greeting_with_other_names_on_25_and_587_stays_open() -> None:
    # Providers often greet with internal names; a mismatch alone proves
    # nothing when no port of that address greets with the host's name.
    observations = [
        smtp_session(make_spec(MX1, 25, MX1_V4), "in-42.provider.example"),
        smtp_session(
            make_spec(MX1, 587, MX1_V4), "out-7.provider.example", tls=verified_tls(MX1)
        ),
    ]

    outcomes = [r.outcome for r in classify(observations)]

    assert outcomes == [Outcome.OPEN, Outcome.OPEN]


def test_classify_impostor_name_on_another_port_is_not_spread() -> None:
    observations = [
        smtp_session(make_spec(MX1, 25, MX1_V4), ISP_RELAY),
        smtp_session(make_spec(MX1, 587, MX1_V4), MX1, tls=verified_tls(MX1)),
        smtp_session(make_spec(MX2, 587, MX2_V4), ISP_RELAY, tls=verified_tls(MX2)),
    ]

    results = classify(observations)

    assert results[2].outcome is Outcome.OPEN


def test_classify_greeting_naming_the_host_in_other_case_is_not_an_impostor() -> None:
    observations = [
        smtp_session(make_spec(MX1, 25, MX1_V4), MX1.upper()),
        smtp_session(make_spec(MX1, 587, MX1_V4), MX1, tls=verified_tls(MX1)),
    ]

    assert [r.outcome for r in classify(observations)] == [Outcome.OPEN] * 2


def test_classify_greeting_covered_by_wildcard_name_is_not_an_impostor() -> None:
    observations = [
        smtp_session(make_spec(MX1, 25, MX1_V4), "*.whaler.example"),
        smtp_session(make_spec(MX1, 587, MX1_V4), MX1, tls=verified_tls(MX1)),
    ]

    assert classify(observations)[0].outcome is Outcome.OPEN


def test_classify_two_names_on_one_server_with_per_port_greetings_stay_open() -> None:
    # One address, two names (MX and submission), a greeting per service:
    # 25 says mx1, 587 and 465 say smtp. Every greeting names a host that
    # lives at this address, so nothing was redirected.
    observations = [
        smtp_session(make_spec(host, port, MX1_V4, roles), name, tls=verified_tls(name))
        for host, roles in ((MX1, (Role.EXCHANGE,)), (SMTP, (Role.SUBMISSION,)))
        for port, name in ((25, MX1), (587, SMTP), (465, SMTP))
    ]

    outcomes = [r.outcome for r in classify(observations)]

    assert outcomes == [Outcome.OPEN] * 6


def test_classify_keeps_the_order_of_observations() -> None:
    observations = [
        silent(make_spec(MX1, 25, MX1_V6)),
        smtp_session(make_spec(MX1, 587, MX1_V4), tls=verified_tls(MX1)),
        connect_failed(make_spec(MX2, 25, MX2_V4), errno.ECONNREFUSED),
    ]

    results = classify(observations)

    assert [r.spec for r in results] == [o.spec for o in observations]
    assert [r.observation for r in results] == observations


def test_families_lists_the_probed_families_in_enum_order() -> None:
    results = classify(
        [silent(make_spec(MX1, 25, MX1_V4)), silent(make_spec(MX1, 25, MX1_V6))]
    )

    assert families(results) == (Family.IPV4, Family.IPV6)
    assert families(results[:1]) == (Family.IPV4,)


def test_classify_redirect_of_a_server_with_two_names_is_still_intercepted() -> None:
    observations = [
        smtp_session(make_spec(host, port, MX1_V4, roles), name, tls=verified_tls(name))
        for host, roles in ((MX1, (Role.EXCHANGE,)), (SMTP, (Role.SUBMISSION,)))
        for port, name in ((25, ISP_RELAY), (587, SMTP))
    ]

    outcomes = [r.outcome for r in classify(observations)]

    assert outcomes == [Outcome.INTERCEPTED, Outcome.OPEN] * 2
