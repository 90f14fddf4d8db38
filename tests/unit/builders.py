"""Typed builders for the values the pure stages take, so that each test
states only what matters to it.

Names and addresses follow the test network of DESIGN.md: the company is
``whaler.example`` on 203.0.113.0/24 and 2001:db8:113::/48, the hotel's ISP
relay is ``mail.isp.example``.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

from netprobe.model import (
    Advice,
    CheckReport,
    DnsQuery,
    DnsStatus,
    Exchange,
    Finding,
    Host,
    MailRouting,
    Observation,
    Outcome,
    PortSpec,
    ProbeResult,
    ProbeSpec,
    Resolution,
    Role,
    Service,
    Status,
    SubmissionHost,
    TlsInfo,
    Verdict,
)
from netprobe.plan import family_of

DOMAIN = "whaler.example"
MX1 = "mx1.whaler.example"
MX2 = "mx2.whaler.example"
SMTP = "smtp.whaler.example"
ISP_RELAY = "mail.isp.example"
REFERENCE = "mx.reference.example"

MX1_V4 = "203.0.113.10"
MX1_V6 = "2001:db8:113::10"
MX2_V4 = "203.0.113.11"
SMTP_V4 = "203.0.113.25"
SMTP_V6 = "2001:db8:113::25"
REFERENCE_V4 = "198.51.100.25"

ReplyValue = tuple[int, tuple[str, ...]]

# --- resolution --------------------------------------------------------------


def make_host(name: str, *addresses: str, queries: Sequence[DnsQuery] = ()) -> Host:
    return Host(name, tuple(addresses), tuple(queries))


def make_exchange(
    name: str, preference: int, *addresses: str, queries: Sequence[DnsQuery] = ()
) -> Exchange:
    return Exchange(make_host(name, *addresses, queries=queries), preference)


def make_submission_host(
    name: str, source: str, *addresses: str, port: PortSpec | None = None
) -> SubmissionHost:
    return SubmissionHost(make_host(name, *addresses), source, port)


def mx_query(status: DnsStatus = DnsStatus.OK, detail: str = "") -> DnsQuery:
    return DnsQuery(DOMAIN, "MX", status, detail)


def make_resolution(
    *,
    routing: MailRouting = MailRouting.MX,
    exchanges: Sequence[Exchange] = (),
    submission_hosts: Sequence[SubmissionHost] = (),
    references: Sequence[Host] = (),
    queries: Sequence[DnsQuery] | None = None,
    domain: str = DOMAIN,
    display_name: str | None = None,
) -> Resolution:
    return Resolution(
        domain=domain,
        display_name=display_name or domain,
        routing=routing,
        exchanges=tuple(exchanges),
        submission_hosts=tuple(submission_hosts),
        queries=(mx_query(),) if queries is None else tuple(queries),
        resolver="192.0.2.53",
        seconds=0.05,
        references=tuple(references),
    )


# --- plan and probe ----------------------------------------------------------


def make_spec(
    host: str = MX1,
    port: int = 25,
    address: str = MX1_V4,
    roles: Sequence[Role] = (Role.EXCHANGE,),
    service: Service | None = None,
) -> ProbeSpec:
    """A probe spec; the service follows the port unless given."""
    return ProbeSpec(
        host,
        address,
        family_of(address),
        port,
        service or PortSpec.standard(port).service,
        tuple(roles),
    )


def verified_tls(*names: str) -> TlsInfo:
    return TlsInfo(
        version="TLSv1.3",
        cipher="TLS_AES_256_GCM_SHA384",
        verified=True,
        verify_error=None,
        subject=f"commonName={names[0]}" if names else None,
        issuer="commonName=Whaler Test CA",
        names=tuple(names),
        not_after="Jan  1 00:00:00 2030 GMT",
    )


def unverified_tls(error: str, *names: str) -> TlsInfo:
    return TlsInfo(
        version="TLSv1.3",
        cipher="TLS_AES_256_GCM_SHA384",
        verified=False,
        verify_error=error,
        subject=f"commonName={names[0]}" if names else None,
        issuer="commonName=Whaler Test CA",
        names=tuple(names),
        not_after="Jan  1 00:00:00 2030 GMT",
    )


def failed_tls(error: str) -> TlsInfo:
    """A handshake that did not complete: nothing but the error is known."""
    return TlsInfo(None, None, False, error, None, None, (), None)


def greeting(name: str, code: int = 220, text: str = "ESMTP") -> ReplyValue:
    return (code, (f"{name} {text}",))


def ehlo(name: str, *keywords: str) -> ReplyValue:
    return (250, (name, *keywords))


def silent(spec: ProbeSpec, seconds: float = 10.0) -> Observation:
    """No answer at all to the SYN."""
    return Observation(
        spec, False, connect_error="timeout", timings={"connect": seconds}
    )


def connect_failed(spec: ProbeSpec, number: int) -> Observation:
    """The connect failed with ``number`` (an ICMP error, a reset, ...)."""
    return Observation(
        spec, False, connect_error=errno.errorcode[number], connect_errno=number
    )


def smtp_session(
    spec: ProbeSpec,
    name: str | None = None,
    *,
    code: int = 220,
    keywords: Sequence[str] = ("PIPELINING", "SIZE 52428800", "STARTTLS"),
    tls: TlsInfo | None = None,
    keywords_after_tls: Sequence[str] = ("PIPELINING", "AUTH PLAIN LOGIN"),
    failure_step: str | None = None,
    failure: str | None = None,
) -> Observation:
    """A connection that got as far as the server let it, as the probe records.

    Port 25 and 587 say EHLO in plain text and upgrade when STARTTLS is
    offered; 465 does the handshake first and says EHLO once, inside TLS.
    ``tls`` set means the handshake completed; a failure stops the story.
    """
    name = name or spec.host
    reply = greeting(name, code)
    if code != 220:
        return Observation(spec, True, greeting=reply, timings={"total": 0.02})
    if spec.service.implicit_tls:
        return Observation(
            spec,
            True,
            greeting=reply,
            ehlo=ehlo(name, *keywords_after_tls),
            tls=tls,
            failure_step=failure_step,
            failure=failure,
            timings={"total": 0.03},
        )
    plain = ehlo(name, *keywords)
    offered = "STARTTLS" in keywords
    upgraded = offered and tls is not None and failure_step != "starttls"
    return Observation(
        spec,
        True,
        greeting=reply,
        ehlo=plain,
        starttls_reply=(220, ("2.0.0 Ready to start TLS",)) if offered else None,
        ehlo_after_tls=ehlo(name, *keywords_after_tls) if upgraded else None,
        tls=tls,
        failure_step=failure_step,
        failure=failure,
        timings={"total": 0.03},
    )


_CONNECTED = {
    Outcome.OPEN,
    Outcome.INTERCEPTED,
    Outcome.REJECTED,
    Outcome.NOT_SMTP,
    Outcome.TLS_FAILED,
}
_ERRNO = {
    Outcome.REFUSED: errno.ECONNREFUSED,
    Outcome.PROHIBITED: errno.EACCES,
    Outcome.UNREACHABLE: errno.EHOSTUNREACH,
}


def make_result(
    spec: ProbeSpec,
    outcome: Outcome,
    *,
    greeting_host: str | None = None,
    starttls: bool | None = None,
    auth: Sequence[str] = (),
    tls: TlsInfo | None = None,
    detail: str = "",
) -> ProbeResult:
    """A classified probe with an observation that fits its outcome.

    An open submission port defaults to what a well-run server shows:
    STARTTLS on 587, a verified certificate and a login.
    """
    if outcome in _CONNECTED:
        observation = Observation(
            spec,
            True,
            greeting=greeting(greeting_host or spec.host),
            tls=tls,
            timings={"total": 0.03},
        )
    elif outcome is Outcome.FILTERED:
        observation = silent(spec)
    else:
        observation = connect_failed(spec, _ERRNO[outcome])
    return ProbeResult(
        spec,
        outcome,
        detail,
        observation,
        greeting_host=greeting_host or (spec.host if outcome is Outcome.OPEN else None),
        starttls=starttls,
        auth=tuple(auth),
    )


def open_submission(
    host: str,
    port: int,
    address: str,
    *,
    verified: bool = True,
    starttls: bool = True,
    roles: Sequence[Role] = (Role.SUBMISSION,),
) -> ProbeResult:
    """An open 587 or 465 that offers TLS and a login."""
    spec = make_spec(host, port, address, roles)
    tls = verified_tls(host) if verified else unverified_tls("self-signed", host)
    return make_result(
        spec,
        Outcome.OPEN,
        starttls=None if spec.service.implicit_tls else starttls,
        auth=("PLAIN", "LOGIN"),
        tls=tls if starttls or spec.service.implicit_tls else None,
    )


# --- a whole check -----------------------------------------------------------


def make_report(
    results: Sequence[ProbeResult],
    *,
    resolution: Resolution | None = None,
    findings: Sequence[Finding] = (),
    advice: Sequence[Advice] = (),
    verdict: Verdict | None = None,
    display_target: str = DOMAIN,
) -> CheckReport:
    return CheckReport(
        target=DOMAIN,
        display_target=display_target,
        started="2024-05-01T12:00:00+00:00",
        seconds=1.25,
        resolution=resolution or make_resolution(),
        results=tuple(results),
        findings=tuple(findings),
        advice=tuple(advice),
        verdict=verdict or Verdict(Status.OK, ("All good.",)),
        tool_version="0.0.test",
        probe_seconds=1.1,
        settings={"profile": "default", "ports": [25, 587, 465]},
    )
