"""Expectations: what a profile says must hold, and whether it did.

A CI job asserts a network's policy ("587 to our relay is open", "25
outbound is blocked") rather than reading a verdict. Pure: the expectations
and a check's results go in, one result per expectation comes out, naming
what was seen when it does not hold.

A probe expectation selects probes by host, port and family (each optional)
and holds when at least one probe matches and every matching probe has the
outcome; ``blocked`` stands for any outcome where no conversation with the
intended host was possible (``Outcome.blocked``). ``starttls = true`` asks
for STARTTLS offered on a plain port; an implicit-TLS port never offers it.
A finding expectation holds when the finding is present (or, with
``present = false``, absent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netprobe.model import (
    ExpectationResult,
    Family,
    Finding,
    MailboxResult,
    Outcome,
    ProbeResult,
)

BLOCKED = "blocked"
OUTCOME_WORDS = (*(o.value for o in Outcome), BLOCKED)


@dataclass(frozen=True)
class ProbeExpectation:
    outcome: str
    host: str | None = None
    port: int | None = None
    family: Family | None = None
    starttls: bool | None = None

    @property
    def name(self) -> str:
        where = f"port {self.port}" if self.port is not None else "every port"
        if self.host:
            where += f" of {self.host}"
        if self.family:
            where += f" over {self.family.value}"
        text = f"{where} is {self.outcome}"
        if self.starttls is not None:
            text += " with STARTTLS" if self.starttls else " without STARTTLS"
        return text

    def as_dict(self) -> dict[str, object]:
        fields: dict[str, object] = {
            "host": self.host,
            "port": self.port,
            "family": self.family.value if self.family else None,
            "outcome": self.outcome,
            "starttls": self.starttls,
        }
        return {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True)
class FindingExpectation:
    finding: str
    present: bool = True

    @property
    def name(self) -> str:
        return f"finding {self.finding} is {'present' if self.present else 'absent'}"

    def as_dict(self) -> dict[str, object]:
        return {"finding": self.finding, "present": self.present}


Expectation = ProbeExpectation | FindingExpectation
_Probe = ProbeResult | MailboxResult


def _outcome_holds(word: str, outcome: Outcome) -> bool:
    return outcome.blocked if word == BLOCKED else outcome.value == word


def _seen(result: _Probe) -> str:
    spec = result.spec
    text = f"{spec.host} [{spec.address}]:{spec.port} {result.outcome.value}"
    return text + (f" ({result.detail})" if result.detail else "")


def _probe(
    expectation: ProbeExpectation, results: Sequence[_Probe]
) -> tuple[bool, str]:
    host = expectation.host.lower() if expectation.host else None
    matching = [
        r
        for r in results
        if (host is None or r.spec.host == host)
        and (expectation.port is None or r.spec.port == expectation.port)
        and (expectation.family is None or r.spec.family is expectation.family)
    ]
    if not matching:
        return False, "no probe matched: that host and port were not probed"
    problems = []
    for r in matching:
        if not _outcome_holds(expectation.outcome, r.outcome):
            problems.append(_seen(r))
        elif expectation.starttls not in (None, bool(r.starttls)):
            offered = ", STARTTLS offered" if r.starttls else ", no STARTTLS"
            problems.append(_seen(r) + offered)
    if problems:
        return False, "; ".join(problems)
    return True, "; ".join(_seen(r) for r in matching)


def evaluate(
    expectations: Sequence[Expectation],
    results: Sequence[ProbeResult],
    mailbox_results: Sequence[MailboxResult],
    findings: Sequence[Finding],
) -> tuple[ExpectationResult, ...]:
    probes: list[_Probe] = [*results, *mailbox_results]
    codes = {f.code: f for f in findings}
    evaluated = []
    for e in expectations:
        if isinstance(e, FindingExpectation):
            present = e.finding in codes
            seen = codes[e.finding].summary if present else f"no {e.finding} finding"
            holds = present is e.present
        else:
            holds, seen = _probe(e, probes)
        evaluated.append(ExpectationResult(e.name, e.as_dict(), holds, seen))
    return tuple(evaluated)
