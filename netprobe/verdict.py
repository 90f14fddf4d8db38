"""The verdict: one or two plain sentences, and the status behind the exit code.

Pure. Written for the traveller who reads only the first lines: what is
wrong, if anything, and what to set.
"""

from __future__ import annotations

from collections.abc import Sequence

from netprobe.model import (
    Advice,
    Finding,
    Security,
    Severity,
    Status,
    Verdict,
)

_SECURITY_WORDS = {
    Security.IMPLICIT_TLS: "SSL/TLS (implicit TLS)",
    Security.STARTTLS: "STARTTLS",
    Security.NONE: "no encryption",
}

# The findings that explain a verdict, most telling first.
_HEADLINE_ORDER = (
    "nxdomain",
    "null_mx",
    "no_mail_host",
    "dns_failure",
    "no_connectivity",
    "intercepted",
    "port25_blocked",
    "submission_blocked",
    "family_unreachable",
    "exchange_down",
    "starttls_stripped",
    "port25_refused",
    "exchange_port25_failed",
    "tls_problem",
    "greeting_rejected",
    "not_smtp",
    "exchange_unresolved",
)


def settings_sentence(advice: Advice) -> str:
    return settings_text(advice.host, advice.port, advice.security, advice.login)


def settings_text(
    host: str | None, port: int | None, security: Security | None, login: bool | None
) -> str:
    """The words a mail client's settings dialog uses, for one setting."""
    words = {True: ", with your login", False: ", no login", None: ""}[login]
    return f"{host}, port {port}, {_SECURITY_WORDS[security or Security.NONE]}{words}"


def decide(
    domain: str, findings: Sequence[Finding], advice: Sequence[Advice]
) -> Verdict:
    codes = {f.code: f for f in findings}
    problems = [f for f in findings if f.severity is not Severity.INFO]
    headline = sorted(
        problems,
        key=lambda f: (
            _HEADLINE_ORDER.index(f.code)
            if f.code in _HEADLINE_ORDER
            else len(_HEADLINE_ORDER)
        ),
    )
    if "intercepted" in codes:
        # port25_blocked [intercepted] says the same thing in other words.
        headline = [
            f
            for f in headline
            if not (f.code == "port25_blocked" and f.how == "intercepted")
        ]
    usable = [a for a in advice if a.purpose in ("submission", "relay")]
    submission = [a for a in advice if a.purpose == "submission"]

    if {"nxdomain", "null_mx", "no_mail_host"} & codes.keys():
        first = next(
            codes[c] for c in ("nxdomain", "null_mx", "no_mail_host") if c in codes
        )
        return Verdict(Status.NO_MAIL, (first.summary,))

    sentences: list[str] = [f.summary for f in headline[:2]]
    if submission:
        sentences.append(f"Set {settings_sentence(submission[0])} in your mail client.")
    elif usable:
        sentences.append(f"The only way out: {settings_sentence(usable[0])}.")
    else:
        sentences.append(advice[0].reason if advice else "Nothing works from here.")

    if not usable:
        return Verdict(Status.BLOCKED, tuple(sentences))
    if headline:
        return Verdict(Status.DEGRADED, tuple(sentences))
    ok = f"Nothing is blocked: {domain}'s mail servers answer from this network."
    return Verdict(Status.OK, (ok, *sentences))
