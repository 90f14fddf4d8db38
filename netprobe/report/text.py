"""The terminal's view of a check: verdict, probe table, advice.

The first lines are for the traveller who reads nothing else; the table is
for whoever wants to see why.
"""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from netprobe.model import CheckReport, Outcome, PacketEvidence
from netprobe.verdict import settings_sentence

_WIDTH = 88


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(report: CheckReport, verbose: bool = False) -> str:
    lines: list[str] = []
    status = report.verdict.status.value.upper().replace("_", " ")
    lines.append(f"{report.display_target}: {status}")
    for sentence in report.verdict.sentences:
        lines += textwrap.wrap(
            sentence, _WIDTH, initial_indent="  ", subsequent_indent="  "
        )
    lines.append("")

    if report.results:
        rows = []
        for r in report.results:
            detail = r.detail if verbose else _clip(r.detail, 44)
            if r.outcome is Outcome.OPEN and r.greeting_host and not detail:
                detail = r.greeting_host
            rows.append(
                [
                    r.spec.host,
                    r.spec.address,
                    r.spec.port,
                    r.outcome.value,
                    f"{r.observation.timings.get('total', 0.0) * 1000:.0f} ms",
                    detail,
                ]
            )
        lines.append(
            tabulate(
                rows, headers=["host", "address", "port", "outcome", "time", "detail"]
            )
        )
        lines.append("")

    findings = report.findings
    if findings:
        lines.append("Findings:")
        for f in findings:
            how = f" [{f.how}]" if f.how else ""
            fams = f" ({'/'.join(x.value for x in f.families)})" if f.families else ""
            lines += textwrap.wrap(
                f"- {f.code}{how}{fams}: {f.summary}",
                _WIDTH,
                initial_indent="  ",
                subsequent_indent="    ",
            )
            if verbose:
                lines += [f"      {e}" for e in f.evidence]
        lines.append("")

    if report.advice:
        lines.append("What to set:")
        for a in report.advice:
            if a.host is not None and a.port is not None:
                lines.append(f"  {a.rank}. {settings_sentence(a)} ({a.purpose})")
                lines += textwrap.wrap(
                    a.reason, _WIDTH, initial_indent="     ", subsequent_indent="     "
                )
            else:
                lines += textwrap.wrap(
                    f"{a.rank}. {a.reason}",
                    _WIDTH,
                    initial_indent="  ",
                    subsequent_indent="     ",
                )
        lines.append("")

    lines.append(_packets_line(report.packets))
    lines.append(
        f"Checked in {report.seconds:.2f} s "
        f"(DNS {report.resolution.seconds:.2f} s, probes {report.probe_seconds:.2f} s) "
        f"via resolver {report.resolution.resolver}."
    )
    return "\n".join(lines)


def _packets_line(packets: PacketEvidence) -> str:
    """One line on the packet evidence: what it covered, or what running
    with privileges would add."""
    if not packets.gathered:
        return f"Packets {packets.status} (for ICMP codes, forged resets, hops)."
    return (
        f"Packets {packets.status} in {packets.seconds:.2f} s: "
        f"{len(packets.probes)} SYN probes, {len(packets.traces)} traceroutes."
    )
