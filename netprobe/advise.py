"""Advise: from what answered to the settings a user should type in.

Pure. Advice is drawn only from probes that worked, best first:

1. submission, first on the hosts the domain names for it (SRV, RFC 6186),
   then on the usual names, then on the exchanges themselves; on each host
   implicit TLS (465) before STARTTLS (587), as RFC 8314 section 3.3 asks
   mail clients to prefer it;
2. a working setup whose certificate does not verify, after all that do;
3. the ISP's own relay, when the network redirected port 25 to it;
4. direct delivery on 25, which only a mail server (not a client) uses.

When nothing works, the advice says what to try next instead. Advice for
the incoming server (IMAP, POP3) follows, when the receiving side was
probed: only ports with TLS, verified certificates first, SRV-named hosts
first, IMAP before POP3, implicit TLS before STARTTLS (RFC 8314 4.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from netprobe.model import (
    Advice,
    Finding,
    MailboxResult,
    MailRouting,
    Outcome,
    ProbeResult,
    Resolution,
    Role,
    Security,
    Service,
)

_SOURCE_RANK = {"srv": 0, "name": 1, "exchange": 2}


def _source_rank(resolution: Resolution, host: str) -> int:
    ranks = [
        _SOURCE_RANK.get(s.source, 3)
        for s in resolution.submission_hosts
        if s.host.name == host
    ]
    return min(ranks, default=3)


def _security(result: ProbeResult) -> Security:
    if result.spec.service.implicit_tls:
        return Security.IMPLICIT_TLS
    return Security.STARTTLS if result.starttls else Security.NONE


def _tls_ok(result: ProbeResult) -> bool:
    tls = result.observation.tls
    return tls is not None and tls.verified


def advise(
    resolution: Resolution,
    results: Sequence[ProbeResult],
    findings: Sequence[Finding],
    mailbox_results: Sequence[MailboxResult] = (),
) -> tuple[Advice, ...]:
    if resolution.routing in (
        MailRouting.NXDOMAIN,
        MailRouting.NULL_MX,
        MailRouting.NO_MAIL,
    ):
        return (
            Advice(
                1,
                None,
                None,
                None,
                None,
                "next_step",
                "Check the spelling of the domain; mail to it cannot be delivered.",
            ),
        )

    candidates: list[tuple[tuple[int, ...], Advice]] = []
    seen: set[tuple[str, int]] = set()
    for r in results:
        key = (r.spec.host, r.spec.port)
        if key in seen or not r.works or Role.REFERENCE in r.spec.roles:
            continue
        if r.spec.service is Service.SMTP:
            continue
        security = _security(r)
        if security is Security.NONE:
            # A password sent in clear text over hotel Wi-Fi is not advice.
            continue
        seen.add(key)
        verified = _tls_ok(r)
        login = bool(r.auth) if r.auth or r.spec.service.implicit_tls else None
        reason = _submission_reason(r, verified)
        order = (
            0 if verified else 1,
            _source_rank(resolution, r.spec.host),
            0 if security is Security.IMPLICIT_TLS else 1,
        )
        advice = Advice(
            0, r.spec.host, r.spec.port, security, login, "submission", reason
        )
        candidates.append((order, advice))

    relay = _isp_relay(results)
    if relay is not None:
        candidates.append(((2, 0, 0), relay))

    delivery = [
        r
        for r in results
        if r.works and r.spec.service is Service.SMTP and Role.EXCHANGE in r.spec.roles
    ]
    if delivery:
        best = delivery[0]
        candidates.append(
            (
                (3, 0, 0),
                Advice(
                    0,
                    best.spec.host,
                    best.spec.port,
                    Security.STARTTLS if best.starttls else Security.NONE,
                    False,
                    "delivery",
                    "For a mail server, not a mail client: direct delivery to the "
                    "exchange works from this network.",
                ),
            )
        )

    ranked = [a for _, a in sorted(candidates, key=lambda c: c[0])]
    if not any(a.purpose in ("submission", "relay") for a in ranked):
        ranked.append(_next_step(findings))
    ranked += _incoming(resolution, mailbox_results)
    return tuple(_renumber(ranked))


def _incoming(resolution: Resolution, results: Sequence[MailboxResult]) -> list[Advice]:
    sources = {m.host.name: m.source for m in resolution.mailbox_hosts}
    candidates: list[tuple[tuple[int, ...], Advice]] = []
    seen: set[tuple[str, int]] = set()
    for r in results:
        key = (r.spec.host, r.spec.port)
        tls = r.observation.tls
        if key in seen or not r.works or tls is None or tls.version is None:
            continue  # no password in clear text, as for sending
        seen.add(key)
        service = r.spec.service
        security = Security.IMPLICIT_TLS if service.implicit_tls else Security.STARTTLS
        reason = f"{service.protocol.upper()} on {r.spec.port} with " + (
            "implicit TLS" if service.implicit_tls else "STARTTLS"
        )
        reason += " works from this network"
        if not tls.verified:
            reason += f"; but the certificate is a problem: {tls.verify_error}"
        order = (
            0 if tls.verified else 1,
            0 if sources.get(r.spec.host) == "srv" else 1,
            0 if service.protocol == "imap" else 1,
            0 if service.implicit_tls else 1,
        )
        advice = Advice(
            0,
            r.spec.host,
            r.spec.port,
            security,
            True,
            "incoming",
            reason + ".",
            protocol=service.protocol,
        )
        candidates.append((order, advice))
    return [a for _, a in sorted(candidates, key=lambda c: c[0])]


def _submission_reason(result: ProbeResult, verified: bool) -> str:
    security = "implicit TLS" if result.spec.service.implicit_tls else "STARTTLS"
    text = f"{result.spec.port} with {security} works from this network"
    if result.auth:
        text += f"; the server asks for a login ({', '.join(result.auth)})"
    if not verified:
        tls = result.observation.tls
        problem = tls.verify_error if tls and tls.verify_error else "not verified"
        text += f"; but the certificate is a problem: {problem}"
    return text + "."


def _isp_relay(results: Sequence[ProbeResult]) -> Advice | None:
    intercepted = [r for r in results if r.outcome is Outcome.INTERCEPTED]
    names = [r.greeting_host for r in intercepted if r.greeting_host]
    if not names:
        return None
    relay = names[0]
    return Advice(
        0,
        relay,
        25,
        Security.STARTTLS
        if any(r.starttls for r in intercepted if r.greeting_host == relay)
        else Security.NONE,
        False,
        "relay",
        f"This network hands every port-25 connection to {relay}; that relay "
        "may forward your mail, but only while you are on this network.",
    )


def _next_step(findings: Sequence[Finding]) -> Advice:
    codes = {f.code for f in findings}
    if "dns_failure" in codes:
        text = (
            "DNS does not work on this network: try another resolver "
            "(--resolver), or another network."
        )
    else:
        text = (
            "Nothing a mail client could use works from this network: use "
            "another network (a mobile hotspot), a VPN, or your provider's "
            "webmail."
        )
    return Advice(0, None, None, None, None, "next_step", text)


def _renumber(advice: Sequence[Advice]) -> list[Advice]:
    return [replace(a, rank=i) for i, a in enumerate(advice, start=1)]
