"""The report as Markdown, to paste into a ticket or a chat.

Verdict and settings first, as in the terminal; then findings and the probe
table. Text that came from the network is escaped so that it cannot add
links, images or HTML to the ticket it is pasted into.
"""

from __future__ import annotations

import re
from typing import Any

from netprobe.report.text import advice_setting, purpose_words
from netprobe.report.untrusted import printable

_STATUS_WORDS = {
    "ok": "OK",
    "degraded": "DEGRADED",
    "blocked": "BLOCKED",
    "no_mail": "NO MAIL",
}
# Characters Markdown (CommonMark and GitHub's tables) gives a meaning to.
_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~])")


def escape(text: object) -> str:
    """Untrusted text as literal Markdown: entities for HTML, backslashes
    for Markdown's own punctuation, no line breaks."""
    plain = printable(str(text)).replace("&", "&amp;")
    plain = plain.replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", plain)


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return lines


def _probe_rows(probes: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            p["host"],
            p["address"],
            p["port"],
            p["outcome"],
            f"{p['evidence']['timings'].get('total', 0.0) * 1000:.0f} ms",
            p["detail"] or p.get("greeting_host") or "",
        ]
        for p in probes
    ]


def render(document: dict[str, Any]) -> str:
    verdict = document["verdict"]
    status = _STATUS_WORDS.get(verdict["status"], verdict["status"])
    lines = [f"## netprobe: {escape(document['display_target'])}: {status}", ""]
    lines += [escape(sentence) for sentence in verdict["sentences"]]
    lines.append("")

    settings = [a for a in document["advice"] if a["host"] is not None]
    others = [a for a in document["advice"] if a["host"] is None]
    if settings or others:
        lines += ["### What to set", ""]
        for a in settings:
            lines.append(
                f"{a['rank']}. **{escape(advice_setting(a))}** "
                f"({escape(purpose_words(a))})  "
            )
            lines.append(f"   {escape(a['reason'])}")
        lines += [f"{a['rank']}. {escape(a['reason'])}" for a in others]
        lines.append("")

    expectations = document.get("expectations", [])
    if expectations:
        held = sum(1 for e in expectations if e["holds"])
        lines += [f"### Expectations: {held} of {len(expectations)} hold", ""]
        for e in expectations:
            seen = "" if e["holds"] else f": {escape(e['seen'])}"
            mark = "ok" if e["holds"] else "**FAIL**"
            lines.append(f"- {mark} {escape(e['name'])}{seen}")
        lines.append("")

    if document["findings"]:
        lines += ["### Findings", ""]
        for f in document["findings"]:
            how = f" \\[{escape(f['how'])}\\]" if f["how"] else ""
            fams = f" ({'/'.join(f['families'])})" if f["families"] else ""
            lines.append(
                f"- **{escape(f['code'])}**{how}{fams}: {escape(f['summary'])}"
            )
        lines.append("")

    headers = ["host", "address", "port", "outcome", "time", "detail"]
    if document["probes"]:
        lines += ["### Outgoing mail (SMTP)", ""]
        lines += _table(headers, _probe_rows(document["probes"]))
        lines.append("")
    mailbox = document.get("mailbox_probes", [])
    if mailbox:
        lines += ["### Incoming mail (IMAP, POP3)", ""]
        lines += _table(headers, _probe_rows(mailbox))
        lines.append("")

    for skipped in document.get("skipped", []):
        lines.append(f"Skipped: {escape(skipped)}  ")
    timings = document["timings"]
    redacted = (
        " Local addresses and names are redacted." if document.get("redacted") else ""
    )
    lines.append(
        f"_Checked {escape(document['started'])} with netprobe "
        f"{escape(document['tool']['version'])} in "
        f"{timings['total_seconds']:.2f} s via resolver "
        f"{escape(document['resolver'])}.{redacted}_"
    )
    return "\n".join(lines) + "\n"
