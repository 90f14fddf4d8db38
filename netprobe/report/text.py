"""The terminal's view of a check: verdict, probe table, advice.

The first lines are for the traveller who reads nothing else; the table is
for whoever wants to see why. Rendered from the JSON document, so a saved
report of any 1.x version shows the same way as a fresh one.
"""

from __future__ import annotations

import textwrap
from typing import Any

from tabulate import tabulate

from netprobe.model import Security
from netprobe.report.untrusted import printable
from netprobe.verdict import settings_text

_WIDTH = 88

# ANSI SGR colours, used only when the CLI says the terminal wants them.
_GREEN, _YELLOW, _RED, _RESET = "\033[32m", "\033[33m", "\033[31m", "\033[0m"
_STATUS_COLOUR = {"ok": _GREEN, "degraded": _YELLOW, "blocked": _RED, "no_mail": _RED}
_HEADERS = ["host", "address", "port", "outcome", "time", "detail"]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _paint(text: str, colour: str, color: bool) -> str:
    return f"{colour}{text}{_RESET}" if color else text


def _probe_rows(
    probes: list[dict[str, Any]], verbose: bool, color: bool
) -> list[list[Any]]:
    rows = []
    for p in probes:
        detail = printable(p["detail"])
        detail = detail if verbose else _clip(detail, 44)
        if p["outcome"] == "open" and p.get("greeting_host") and not detail:
            detail = printable(p["greeting_host"])
        outcome = p["outcome"]
        if color:
            outcome = _paint(outcome, _GREEN if outcome == "open" else _RED, color)
        total = p["evidence"]["timings"].get("total", 0.0)
        rows.append(
            [
                p["host"],
                p["address"],
                p["port"],
                outcome,
                f"{total * 1000:.0f} ms",
                detail,
            ]
        )
    return rows


def advice_setting(advice: dict[str, Any]) -> str:
    """One advice entry's setting in the words of a mail client's dialog."""
    security = advice["security"]
    return settings_text(
        advice["host"],
        advice["port"],
        Security(security) if security else None,
        advice["login"],
    )


def purpose_words(advice: dict[str, Any]) -> str:
    protocol = advice.get("protocol")
    if advice["purpose"] == "incoming" and protocol:
        return f"incoming mail, {protocol.upper()}"
    return str(advice["purpose"])


def render(document: dict[str, Any], verbose: bool = False, color: bool = False) -> str:
    """The report as terminal text; ``color`` adds ANSI colours."""
    lines: list[str] = []
    verdict = document["verdict"]
    status = verdict["status"].upper().replace("_", " ")
    status = _paint(status, _STATUS_COLOUR.get(verdict["status"], ""), color)
    lines.append(f"{document['display_target']}: {status}")
    for sentence in verdict["sentences"]:
        lines += textwrap.wrap(
            printable(sentence), _WIDTH, initial_indent="  ", subsequent_indent="  "
        )
    lines.append("")

    if document["probes"]:
        lines.append(
            tabulate(_probe_rows(document["probes"], verbose, color), headers=_HEADERS)
        )
        lines.append("")

    mailbox = document.get("mailbox_probes", [])
    if mailbox:
        lines.append("Incoming mail (IMAP, POP3):")
        lines.append(tabulate(_probe_rows(mailbox, verbose, color), headers=_HEADERS))
        lines.append("")

    findings = document["findings"]
    if findings:
        lines.append("Findings:")
        for f in findings:
            how = f" [{f['how']}]" if f["how"] else ""
            fams = f" ({'/'.join(f['families'])})" if f["families"] else ""
            lines += textwrap.wrap(
                f"- {f['code']}{how}{fams}: {printable(f['summary'])}",
                _WIDTH,
                initial_indent="  ",
                subsequent_indent="    ",
            )
            if verbose:
                lines += [f"      {printable(e)}" for e in f["evidence"]]
        lines.append("")

    if document["advice"]:
        lines.append("What to set:")
        for a in document["advice"]:
            reason = printable(a["reason"])
            if a["host"] is not None and a["port"] is not None:
                setting = printable(advice_setting(a))
                lines.append(f"  {a['rank']}. {setting} ({purpose_words(a)})")
                lines += textwrap.wrap(
                    reason, _WIDTH, initial_indent="     ", subsequent_indent="     "
                )
            else:
                lines += textwrap.wrap(
                    f"{a['rank']}. {reason}",
                    _WIDTH,
                    initial_indent="  ",
                    subsequent_indent="     ",
                )
        lines.append("")

    lines += _expectation_lines(document, color)
    lines += _trailer_lines(document)

    timings = document["timings"]
    lines.append(
        f"Checked in {timings['total_seconds']:.2f} s "
        f"(DNS {timings['resolve_seconds']:.2f} s, "
        f"probes {timings['probe_seconds']:.2f} s) "
        f"via resolver {printable(document['resolver'])}."
    )
    return "\n".join(lines)


def _packets_line(evidence: dict[str, Any]) -> str:
    """One line on the packet evidence: what it covered, or what running
    with privileges would add."""
    status = printable(str(evidence.get("packets", "")))
    if status != "gathered":
        return f"Packets {status} (for ICMP codes, forged resets, hops)."
    return (
        f"Packets {status} in {evidence.get('seconds', 0.0):.2f} s: "
        f"{len(evidence.get('syn_probes', []))} SYN probes, "
        f"{len(evidence.get('traces', []))} traceroutes."
    )


def _expectation_lines(document: dict[str, Any], color: bool) -> list[str]:
    """Each of a profile's expectations, held or failed, with what was seen."""
    lines: list[str] = []
    expectations = document.get("expectations", [])
    if expectations:
        held = sum(1 for e in expectations if e["holds"])
        lines.append(f"Expectations: {held} of {len(expectations)} hold")
        for e in expectations:
            mark = "[ok  ]" if e["holds"] else "[FAIL]"
            seen = "" if e["holds"] else f": {printable(e['seen'])}"
            wrapped = textwrap.wrap(
                f"{mark} {printable(e['name'])}{seen}",
                _WIDTH,
                initial_indent="  ",
                subsequent_indent="         ",
            )
            colour = _GREEN if e["holds"] else _RED
            wrapped[0] = wrapped[0].replace(mark, _paint(mark, colour, color), 1)
            lines += wrapped
        lines.append("")
    return lines


def _trailer_lines(document: dict[str, Any]) -> list[str]:
    """What this run could not do: the packet evidence line, skipped parts."""
    lines: list[str] = []
    packets = document.get("evidence")
    if packets is not None:
        lines.append(_packets_line(packets))
    for skipped in document.get("skipped", []):
        lines.append(f"Skipped: {printable(skipped)}")
    return lines
