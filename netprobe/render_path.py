"""Render a :class:`~netprobe.journey.Journey` as text, Markdown, HTML or JSON.

Every renderer is a pure function returning a string; the caller decides
where it goes. The plain-words findings come from :func:`describe`, so all
formats say the same things. Header content is hostile input: HTML output is
escaped everywhere and loads nothing from outside; Markdown output escapes
the characters that would otherwise become markup.
"""

from __future__ import annotations

import enum
import html
import json
import re
from datetime import datetime, timedelta
from typing import Any

from tabulate import tabulate

from netprobe.journey import (
    DelayFlag,
    Hop,
    Journey,
    LinkStatus,
    Submission,
    Trust,
    describe_span,
)
from netprobe.received import LineKind, ReceivedLine

__all__ = [
    "SCHEMA_VERSION",
    "OutputFormat",
    "describe",
    "journey_to_dict",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
]

SCHEMA_VERSION = "1.0"


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

# C0 and C1 controls (an ESC in a header would drive the reader's terminal)
# and the bidirectional overrides (which reorder what is shown, CVE-2021-42574).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _safe(text: str) -> str:
    """Make header text inert for a terminal or a page (shown as \\xNN)."""
    return _UNSAFE.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _when(line: ReceivedLine) -> str:
    if line.date is None:
        return "no date"
    if line.zone_known:
        return line.date.strftime("%Y-%m-%d %H:%M:%S %z")
    return line.date.strftime("%Y-%m-%d %H:%M:%S") + " (zone unknown)"


def _span(delta: timedelta) -> str:
    return describe_span(int(delta.total_seconds()), plus="+")


def _delay_cell(hop: Hop) -> str:
    flag = hop.delay_flag
    if flag is DelayFlag.FIRST:
        return ""
    if hop.delay is None:
        return str(flag)
    span = _span(hop.delay)
    if flag is DelayFlag.OK:
        return span
    return f"{span} ({flag})"


def _client(line: ReceivedLine) -> str:
    """The sending side in the familiar ``helo (rdns [addr])`` notation."""
    inner = " ".join(
        part
        for part in (
            line.from_rdns if line.from_rdns != line.from_addr else None,
            f"[{line.from_addr}]" if line.from_addr else None,
        )
        if part
    )
    helo = line.from_helo or ""
    if line.from_helo is None and line.from_name and not line.from_addr:
        helo = line.from_name
    if inner:
        return f"{helo} ({inner})".strip()
    return helo


def _from_cell(line: ReceivedLine) -> str:
    if line.kind is LineKind.UNPARSED:
        return "not understood: " + " ".join(line.raw.split())
    if line.kind is LineKind.NOTE:
        # The note already names any local user; add only what was seen of
        # the network.
        seen = line.from_rdns if line.from_rdns != line.from_addr else None
        where = " ".join(
            p for p in (seen, line.from_addr and f"[{line.from_addr}]") if p
        )
        note = line.note or "note"
        return f"{note} ({where})" if where else note
    return _client(line)


def _tls_cell(line: ReceivedLine) -> str:
    if not line.tls:
        return ""
    return line.tls_version or "TLS"


def _with_cell(line: ReceivedLine) -> str:
    proto = line.protocol or line.with_raw or ""
    if line.via:
        proto = f"{proto} via {line.via}".strip()
    return proto


def _trust_cell(hop: Hop) -> str:
    return {
        Trust.RECEIVER: "receiver",
        Trust.BOUNDARY: "entry",
        Trust.CLAIMED: "claimed",
    }[hop.trust]


def _link_cell(hop: Hop) -> str:
    status = hop.link.status
    if status is LinkStatus.MATCH:
        return "ok"
    if status is LinkStatus.HARMLESS:
        return "harmless: " + hop.link.reason
    if status is LinkStatus.BREAK:
        return "BREAK: " + hop.link.reason
    return ""


_COLUMNS: tuple[str, ...] = ("#", "from", "by", "with", "TLS", "id", "for")
_COLUMNS += ("time", "delay", "trust", "chain")


def _rows(journey: Journey) -> list[list[str]]:
    rows: list[list[str]] = []
    for hop in journey.hops:
        line = hop.line
        cells = (
            str(hop.index),
            _from_cell(line),
            line.by or "",
            _with_cell(line),
            _tls_cell(line),
            line.queue_id or "",
            line.recipient or "",
            _when(line) if line.understood else "",
            _delay_cell(hop) if line.understood else "",
            _trust_cell(hop),
            _link_cell(hop),
        )
        rows.append([_safe(cell) for cell in cells])
    return rows


def _header_rows(journey: Journey) -> list[tuple[str, str]]:
    head = journey.headers
    date = head.date_text
    if date and head.date is not None and not head.date_zone_known:
        date += " (zone unknown)"
    pairs = [
        ("From", head.from_),
        ("To", head.to),
        ("Subject", head.subject),
        ("Date", date),
        ("Message-ID", head.message_id),
        ("Return-Path", head.return_path),
    ]
    return [(name, _safe(value)) for name, value in pairs if value]


# ---------------------------------------------------------------------------
# Plain words
# ---------------------------------------------------------------------------


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _count_words(journey: Journey) -> str:
    total = len(journey.hops)
    if total == 0:
        return (
            "This message has no Received: header fields: it never crossed a "
            "mail server, or they were removed on the way."
        )
    parts = [_plural(len(journey.relays), "relay")]
    if journey.notes:
        notes = _plural(len(journey.notes), "note")
        parts.append(f"{notes} (stamps with no sending host)")
    if journey.unparsed:
        parts.append(f"{len(journey.unparsed)} not understood")
    noun = "line" if total == 1 else "lines"
    return f"{total} Received {noun}: " + ", ".join(parts) + "."


def _who(helo: str | None, rdns: str | None, addr: str | None) -> str:
    parts = (
        f'"{helo}"' if helo else None,
        rdns if rdns != addr else None,
        f"[{addr}]" if addr else None,
    )
    return " ".join(p for p in parts if p)


def _submission_words(sub: Submission, journey: Journey) -> list[str]:
    words: list[str] = []
    at = sub.entered_at or "a host that did not record its name"
    when = ""
    entry = journey.hops[sub.hop_index - 1].line
    if entry.date is not None:
        when = f", at {_when(entry)}"
    client = _who(sub.client_helo, sub.client_rdns, sub.client_addr)
    entry_client = _who(entry.from_helo, entry.from_rdns, entry.from_addr)
    if entry.kind is LineKind.NOTE:
        words.append(
            f"It entered the mail system on {at} (hop #{sub.hop_index}){when}: "
            f"{sub.method}."
        )
        words.extend(_origin_words(sub, client))
        return words
    words.append(
        f"It entered the mail system at {at} (hop #{sub.hop_index}){when}: "
        f"{entry_client or 'an unrecorded client'} handed it over by {sub.method}."
    )
    if sub.authenticated:
        user = f", as {sub.auth_user}" if sub.auth_user else ""
        words.append(f"The sender authenticated ({sub.auth_evidence}{user}).")
    else:
        words.append(
            f"No authentication is recorded: {at} accepted it because of the "
            "client's address (an internal network or a relay that trusts it), "
            "or the earlier stamps are missing."
        )
    if sub.network_from_hop is not None:
        words.extend(_origin_words(sub, client))
    else:
        words.append(f"Client network: {sub.network.kind} ({sub.network.reason}).")
    if sub.desktop_client:
        words.append(
            f'The client greeted as "{sub.client_helo}", a bare machine name: '
            "a desktop mail program rather than a mail server."
        )
    if sub.tls:
        words.append(
            f"The submission used TLS ({sub.tls_version or 'version not stated'})."
        )
    else:
        words.append("No TLS is recorded for the submission.")
    if journey.boundary is not None and journey.boundary.hop_index == sub.hop_index:
        words.append(
            "This oldest stamp is the receiving organisation's own: whatever "
            "happened before it was not recorded."
        )
    return words


def _origin_words(sub: Submission, client: str) -> list[str]:
    if sub.network_from_hop is None:
        return []
    return [
        f"The origin host handed it on from {client} (hop "
        f"#{sub.network_from_hop}): {sub.network.kind} ({sub.network.reason})."
    ]


def _boundary_words(journey: Journey) -> list[str]:
    boundary = journey.boundary
    if boundary is None:
        if not journey.hops:
            return []
        return [
            "No hop crosses into the receiving organisation from outside: every "
            "stamp was written by hosts on the receiving side, as far as the "
            "headers tell."
        ]
    sender = _who(boundary.sender_helo, boundary.sender_rdns, boundary.sender_addr)
    domains = ", ".join(journey.receiving_domains)
    org = f" ({domains})" if domains else ""
    how = "by the trusted networks given" if boundary.configured else boundary.reason
    words = [
        f"It entered the receiving organisation{org} at hop #{boundary.hop_index}: "
        f"{boundary.receiver or 'an unnamed host'} received it from "
        f"{sender or 'an unrecorded sender'} ({how})."
    ]
    if boundary.hop_index == 2:
        words.append(
            "Hop #1 was written outside it: it is the sender's claim, not proof."
        )
    elif boundary.hop_index > 2:
        words.append(
            f"Hops #1 to #{boundary.hop_index - 1} were written outside it: they "
            "are the sender's claims, not proof."
        )
    return words


def _chain_words(journey: Journey) -> list[str]:
    counts = {status: 0 for status in LinkStatus}
    for hop in journey.hops:
        counts[hop.link.status] += 1
    checked = counts[LinkStatus.MATCH] + counts[LinkStatus.HARMLESS]
    checked += counts[LinkStatus.BREAK]
    if checked == 0:
        return []
    harmless = _plural(counts[LinkStatus.HARMLESS], "harmless break")
    words = [
        f"Chain: {counts[LinkStatus.MATCH]} of {checked} checked links name the "
        f"previous host; {harmless}; {counts[LinkStatus.BREAK]} unexplained."
    ]
    for hop in journey.hops:
        if hop.link.status is LinkStatus.BREAK:
            words.append(
                f"Hop #{hop.index} does not follow from hop #{hop.link.previous}: "
                f"it {hop.link.reason}. Worth a look."
            )
    return words


def _timing_words(journey: Journey) -> list[str]:
    words: list[str] = []
    if journey.total_time is not None:
        words.append(
            f"From the first to the last dated stamp: {_span(journey.total_time)}."
        )
    held = [
        h for h in journey.hops if h.delay is not None and h.delay.total_seconds() > 0
    ]
    if held:
        longest = max(held, key=lambda h: h.delay or timedelta(0))
        if longest.delay is not None and longest.delay.total_seconds() >= 60:
            words.append(
                f"Longest hold: {_span(longest.delay)} before hop #{longest.index} "
                f"({longest.line.by or 'unnamed host'})."
            )
    for hop in journey.hops:
        if hop.delay_flag in {DelayFlag.CLOCK_SKEW, DelayFlag.ZONE_LABEL}:
            words.append(f"Hop #{hop.index}: {hop.delay_note}.")
        elif hop.delay_flag is DelayFlag.ZONE_UNKNOWN:
            words.append(f"Hop #{hop.index}: {hop.delay_note}; delay not computed.")
    return words


def _result_words(method: str, journey: Journey) -> str | None:
    found = journey.auth.by_method(method)
    if not found:
        return None
    keys = {"spf": ("smtp.mailfrom", "smtp.helo"), "dmarc": ("header.from",)}
    parts: list[str] = []
    for result in found:
        detail = ""
        for key in keys.get(method, ("header.d", "header.i")):
            value = result.prop(key)
            if value:
                detail = f" ({key}={value})"
                break
        parts.append(f"{result.result}{detail}")
    return f"{method.upper()} " + ", ".join(parts)


def _auth_words(journey: Journey) -> list[str]:
    auth = journey.auth
    words: list[str] = []
    if auth.authserv_id is None:
        words.append("No Authentication-Results header.")
    else:
        summary = [
            w
            for w in (_result_words(m, journey) for m in ("spf", "dkim", "dmarc"))
            if w
        ]
        results = "; ".join(summary) if summary else "no SPF, DKIM or DMARC result"
        if auth.matched_receiver:
            words.append(
                f"Authentication-Results from {auth.authserv_id} (the receiving "
                f"organisation): {results}."
            )
        else:
            words.append(
                f"Authentication-Results from {auth.authserv_id}, which names no "
                f"receiving host: {results}. Shown as written, not vouched for."
            )
        if auth.other_ids:
            words.append(
                "Also present from " + ", ".join(auth.other_ids) + ": not the "
                "receiver's own, so not relied on."
            )
    if auth.arc:
        sets = ", ".join(
            f"i={s.instance} sealed by {s.seal_domain or '?'} "
            f"(cv={s.chain_validation or '?'})"
            for s in auth.arc
        )
        words.append(f"ARC: {sets}. Signatures not verified (offline).")
        for arc_set in auth.arc:
            for problem in arc_set.problems:
                words.append(f"ARC i={arc_set.instance}: {problem}.")
    return words


def describe(journey: Journey) -> list[str]:
    """The journey in plain sentences, most important first."""
    return [_safe(sentence) for sentence in _sentences(journey)]


def _sentences(journey: Journey) -> list[str]:
    words = [_count_words(journey)]
    if journey.submission is not None:
        words.extend(_submission_words(journey.submission, journey))
    words.extend(_boundary_words(journey))
    words.extend(_chain_words(journey))
    words.extend(_timing_words(journey))
    if journey.hops or journey.auth.authserv_id or journey.auth.arc:
        words.extend(_auth_words(journey))
    for hop in journey.unparsed:
        problems = "; ".join(hop.line.problems) or "no clause found"
        words.append(f"Hop #{hop.index} was not understood ({problems}); shown raw.")
    if journey.defects:
        words.append("Header defects: " + ", ".join(journey.defects) + ".")
    return words


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

_TEXT_WIDTHS = [3, 34, 26, 12, 7, 14, 22, 25, 16, 8, 30]


def render_text(journey: Journey) -> str:
    parts: list[str] = []
    headers = _header_rows(journey)
    if headers:
        parts.append(tabulate(headers, tablefmt="plain"))
    if journey.hops:
        parts.append(
            tabulate(
                _rows(journey),
                headers=list(_COLUMNS),
                tablefmt="simple",
                maxcolwidths=_TEXT_WIDTHS,
            )
        )
    parts.append("\n".join(f"- {sentence}" for sentence in describe(journey)))
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def _md(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    return escaped.replace("\r", " ").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        lines.append("| " + " | ".join(_md(c) for c in row) + " |")
    return "\n".join(lines)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def render_markdown(journey: Journey) -> str:
    parts = ["## Message path"]
    headers = _header_rows(journey)
    if headers:
        parts.append(_md_table(["Header", "Value"], [list(p) for p in headers]))
    if journey.hops:
        parts.append("### Hops, oldest first")
        parts.append(_md_table(list(_COLUMNS), _rows(journey)))
    parts.append("### Findings")
    parts.append("\n".join(f"- {_md(s)}" for s in describe(journey)))
    if journey.hops:
        raw = "\n".join(
            f"#{h.index}: {_safe(' '.join(h.line.raw.split()))}" for h in journey.hops
        )
        parts.append("<details><summary>Received lines as written</summary>")
        parts.append(_fence(raw))
        parts.append("</details>")
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
tr.claimed td{color:#666}
tr.boundary td{background:#fff7d6}
tr.unparsed td{background:#fde2e2}
td.break{color:#a00;font-weight:bold}
pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.5em}
""".strip()


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(journey: Journey) -> str:
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No scripts, no remote anything: the page is a self-contained report.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>Message path</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Message path</h1>",
    ]
    headers = _header_rows(journey)
    if headers:
        out.append("<table>")
        for name, value in headers:
            out.append(f"<tr><th>{_h(name)}</th><td>{_h(value)}</td></tr>")
        out.append("</table>")
    if journey.hops:
        out.append("<h2>Hops, oldest first</h2><table><tr>")
        out.extend(f"<th>{_h(c)}</th>" for c in _COLUMNS)
        out.append("</tr>")
        for hop, row in zip(journey.hops, _rows(journey), strict=True):
            css = hop.trust.value
            if hop.line.kind is LineKind.UNPARSED:
                css = "unparsed"
            out.append(f'<tr class="{_h(css)}">')
            for column, cell in zip(_COLUMNS, row, strict=True):
                broken = column == "chain" and hop.link.status is LinkStatus.BREAK
                attr = ' class="break"' if broken else ""
                out.append(f"<td{attr}>{_h(cell)}</td>")
            out.append("</tr>")
        out.append("</table>")
    out.append("<h2>Findings</h2><ul>")
    out.extend(f"<li>{_h(s)}</li>" for s in describe(journey))
    out.append("</ul>")
    if journey.hops:
        out.append("<h2>Received lines as written</h2>")
        for hop in journey.hops:
            raw = _safe(" ".join(hop.line.raw.split()))
            out.append(f"<pre>#{hop.index}: {_h(raw)}</pre>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _hop_dict(hop: Hop) -> dict[str, Any]:
    line = hop.line
    return {
        "index": hop.index,
        "position": hop.position,
        "kind": line.kind.value,
        "understood": line.understood,
        "raw": line.raw,
        "from": {
            "name": line.from_name,
            "helo": line.from_helo,
            "helo_command": line.helo_command,
            "rdns": line.from_rdns,
            "address": line.from_addr,
            "port": line.from_port,
            "ident": line.from_ident,
        },
        "by": {"name": line.by, "address": line.by_addr, "software": line.by_software},
        "via": line.via,
        "with": line.with_raw,
        "protocol": line.protocol,
        "tls": {
            "used": line.tls,
            "version": line.tls_version,
            "cipher": line.tls_cipher,
        },
        "auth": {
            "authenticated": line.authenticated,
            "evidence": line.auth_evidence,
            "user": line.auth_user,
        },
        "queue_id": line.queue_id,
        "recipient": line.recipient,
        "envelope_from": line.envelope_from,
        "date": _iso(line.date),
        "date_text": line.date_text,
        "zone_known": line.zone_known,
        "delay_seconds": hop.delay.total_seconds() if hop.delay is not None else None,
        "delay_flag": hop.delay_flag.value,
        "delay_note": hop.delay_note,
        "link": {
            "status": hop.link.status.value,
            "reason": hop.link.reason,
            "previous": hop.link.previous,
        },
        "trust": hop.trust.value,
        "retrieval": line.retrieval,
        "local_socket": line.local_socket,
        "note": line.note,
        "comments": list(line.comments),
        "problems": list(line.problems),
    }


def _submission_dict(sub: Submission | None) -> dict[str, Any] | None:
    if sub is None:
        return None
    return {
        "hop": sub.hop_index,
        "method": sub.method,
        "entered_at": sub.entered_at,
        "date": _iso(sub.when),
        "authenticated": sub.authenticated,
        "auth_evidence": sub.auth_evidence,
        "auth_user": sub.auth_user,
        "client": {
            "helo": sub.client_helo,
            "address": sub.client_addr,
            "rdns": sub.client_rdns,
            "desktop_client": sub.desktop_client,
            "from_hop": sub.network_from_hop,
        },
        "network": {"kind": sub.network.kind.value, "reason": sub.network.reason},
        "tls": {"used": sub.tls, "version": sub.tls_version},
    }


def journey_to_dict(journey: Journey, tool_version: str) -> dict[str, Any]:
    """The versioned JSON document, as plain data."""
    auth = journey.auth
    boundary = journey.boundary
    head = journey.headers
    links = {status.value: 0 for status in LinkStatus}
    for hop in journey.hops:
        links[hop.link.status.value] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "path",
        "tool": {"name": "netprobe", "version": tool_version},
        "counts": {
            "received": len(journey.hops),
            "relays": len(journey.relays),
            "notes": len(journey.notes),
            "unparsed": len(journey.unparsed),
        },
        "hops": [_hop_dict(h) for h in journey.hops],
        "summary": {
            "headers": {
                "from": head.from_,
                "to": head.to,
                "subject": head.subject,
                "date": head.date_text,
                "date_parsed": _iso(head.date),
                "date_zone_known": head.date_zone_known,
                "message_id": head.message_id,
                "return_path": head.return_path,
            },
            "submission": _submission_dict(journey.submission),
            "boundary": None
            if boundary is None
            else {
                "hop": boundary.hop_index,
                "receiver": boundary.receiver,
                "sender_helo": boundary.sender_helo,
                "sender_address": boundary.sender_addr,
                "sender_rdns": boundary.sender_rdns,
                "configured": boundary.configured,
                "reason": boundary.reason,
            },
            "receiving_domains": list(journey.receiving_domains),
            "total_seconds": journey.total_time.total_seconds()
            if journey.total_time is not None
            else None,
            "chain": links,
            "authentication": {
                "authserv_id": auth.authserv_id,
                "matched_receiver": auth.matched_receiver,
                "results": [
                    {
                        "method": r.method,
                        "result": r.result,
                        "reason": r.reason,
                        "properties": dict(r.properties),
                        "comment": r.comment,
                    }
                    for r in auth.results
                ],
                "other_authserv_ids": list(auth.other_ids),
                "arc": [
                    {
                        "instance": s.instance,
                        "seal_domain": s.seal_domain,
                        "seal_selector": s.seal_selector,
                        "chain_validation": s.chain_validation,
                        "signature_domain": s.signature_domain,
                        "authserv_id": s.results.authserv_id if s.results else None,
                        "results": {r.method: r.result for r in s.results.results}
                        if s.results
                        else {},
                        "problems": list(s.problems),
                        "verified": False,
                    }
                    for s in auth.arc
                ],
            },
            "findings": describe(journey),
            "defects": list(journey.defects),
        },
    }


def render_json(journey: Journey, tool_version: str) -> str:
    return json.dumps(journey_to_dict(journey, tool_version), indent=2) + "\n"


def render(journey: Journey, fmt: OutputFormat, tool_version: str) -> str:
    """Render ``journey`` in ``fmt``; one entry point for the CLI."""
    if fmt is OutputFormat.JSON:
        return render_json(journey, tool_version)
    if fmt is OutputFormat.MARKDOWN:
        return render_markdown(journey)
    if fmt is OutputFormat.HTML:
        return render_html(journey)
    return render_text(journey)
