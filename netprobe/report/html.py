"""The report as one self-contained HTML page, for someone who is not an
expert: the verdict first, then the path a message takes, then the table of
every connection tried, then the settings to type in.

No external assets, no script: the page must open from an attachment, offline,
and show the same everywhere. Everything from the network (greetings,
certificate names, host names from DNS) is escaped, and control characters
are made visible first.
"""

from __future__ import annotations

import html
from typing import Any

from netprobe.report.untrusted import printable

_HEADLINES = {
    "ok": "Mail can go out from this network",
    "degraded": "Mail can go out, but something needs attention",
    "blocked": "Mail cannot go out from this network",
    "no_mail": "This domain cannot receive mail",
}
_OUTCOME_WORDS = {
    "open": "works",
    "refused": "refused",
    "filtered": "no answer (dropped)",
    "prohibited": "blocked by a router",
    "unreachable": "unreachable",
    "intercepted": "redirected elsewhere",
    "rejected": "server said no",
    "not_smtp": "not a mail server",
    "tls_failed": "encryption failed",
}
_SECURITY_WORDS = {
    "implicit_tls": "SSL/TLS",
    "starttls": "STARTTLS",
    "none": "none",
}
_ROLE_WORDS = {
    "exchange": "receives mail for the domain (MX)",
    "submission": "takes mail from mail programs",
    "reference": "well-known server, for comparison",
    "incoming": "checked for your mailbox (IMAP/POP3)",
}

_STYLE = """
:root { --ok: #1d7a36; --warn: #9a6400; --bad: #b3261e; --ink: #1f2328;
  --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI",
  Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--ink);
  background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px;
  border-bottom: 1px solid var(--line); }
.verdict { border-radius: 12px; padding: 22px 26px; color: #fff; }
.verdict.ok { background: var(--ok); }
.verdict.degraded { background: var(--warn); }
.verdict.blocked, .verdict.no_mail { background: var(--bad); }
.verdict .target { font-size: 15px; opacity: .9; letter-spacing: .02em; }
.verdict p { margin: 8px 0 0; font-size: 17px; }
.findings { list-style: none; padding: 0; margin: 16px 0 0; }
.findings li { border-left: 5px solid var(--line); background: var(--soft);
  padding: 10px 14px; margin: 8px 0; border-radius: 0 8px 8px 0; }
.findings li.problem { border-color: var(--bad); }
.findings li.warning { border-color: var(--warn); }
.findings li.info { border-color: #0969da; }
.code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace;
  color: var(--muted); }
.path { display: flex; align-items: stretch; gap: 10px; flex-wrap: wrap; }
.hop { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px;
  background: var(--soft); min-width: 150px; }
.hop h3 { margin: 0 0 2px; font-size: 15px; word-break: break-all; }
.hop .role { font-size: 13px; color: var(--muted); margin-bottom: 8px; }
.path > .hop { align-self: center; }
.arrow { align-self: center; font-size: 26px; color: var(--muted); }
.servers { display: flex; flex-direction: column; gap: 10px; flex: 1; }
.chip { display: inline-block; font-size: 13px; border-radius: 999px;
  padding: 2px 10px; margin: 2px 4px 2px 0; color: #fff; white-space: nowrap; }
.chip.good { background: var(--ok); }
.chip.bad { background: var(--bad); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.detail { color: var(--muted); word-break: break-word; }
td.good { color: var(--ok); font-weight: 600; }
td.bad { color: var(--bad); font-weight: 600; }
.settings { display: grid; grid-template-columns: repeat(auto-fill,
  minmax(320px, 1fr)); gap: 14px; }
.setting { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.setting.first { border: 2px solid var(--ok); }
.badge { display: inline-block; font-size: 12px; font-weight: 600; color: #fff;
  background: var(--ok); border-radius: 4px; padding: 1px 8px; margin-bottom: 6px; }
.setting h3 { margin: 0 0 8px; font-size: 16px; }
.setting dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 14px;
  margin: 0 0 8px; }
.setting dt { color: var(--muted); }
.setting dd { margin: 0; font-weight: 600; word-break: break-all; }
.setting p { margin: 0; font-size: 14px; color: var(--muted); }
.about { font-size: 14px; color: var(--muted); }
.about dt { float: left; clear: left; width: 130px; }
.about dd { margin: 0 0 2px 140px; word-break: break-all; }
.holds { color: var(--ok); font-weight: 600; }
.fails { color: var(--bad); font-weight: 600; }
"""


def _e(value: object) -> str:
    return html.escape(printable(str(value)), quote=True)


def _good(outcome: str) -> bool:
    return outcome == "open"


def _chip(probe: dict[str, Any]) -> str:
    outcome = probe["outcome"]
    kind = "good" if _good(outcome) else "bad"
    words = _OUTCOME_WORDS.get(outcome, outcome)
    port = f"port {probe['port']} {probe['service']}"
    return f'<span class="chip {kind}">{_e(port)}: {_e(words)}</span>'


def _verdict(document: dict[str, Any]) -> list[str]:
    status = document["verdict"]["status"]
    out = [
        f'<section class="verdict {_e(status)}">',
        f'<div class="target">netprobe checked {_e(document["display_target"])}</div>',
        f"<h1>{_e(_HEADLINES.get(status, status))}</h1>",
    ]
    out += [f"<p>{_e(s)}</p>" for s in document["verdict"]["sentences"]]
    out.append("</section>")
    # Findings the verdict already says in full are not repeated.
    said = set(document["verdict"]["sentences"])
    findings = [f for f in document["findings"] if f["summary"] not in said]
    if findings:
        out.append('<ul class="findings">')
        for f in findings:
            out.append(
                f'<li class="{_e(f["severity"])}">{_e(f["summary"])} '
                f'<span class="code">{_e(f["code"])}</span></li>'
            )
        out.append("</ul>")
    return out


def _servers(document: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Each probed host once: its name, what it is for, and its probes."""
    hosts: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for p in document["probes"]:
        role = _ROLE_WORDS.get(p["roles"][0], p["roles"][0]) if p["roles"] else ""
        hosts.setdefault(p["host"], (role, []))[1].append(p)
    for p in document.get("mailbox_probes", []):
        key = f"{p['host']} (incoming)"
        hosts.setdefault(key, (_ROLE_WORDS["incoming"], []))[1].append(p)
    return [(name, role, probes) for name, (role, probes) in hosts.items()]


def _path(document: dict[str, Any]) -> list[str]:
    out = ["<h2>The path your mail takes</h2>", '<div class="path">']
    out.append(
        '<div class="hop"><h3>This computer</h3>'
        '<div class="role">where netprobe ran</div></div>'
    )
    out.append('<div class="arrow">&rarr;</div>')
    out.append(
        '<div class="hop"><h3>This network</h3>'
        f'<div class="role">DNS resolver {_e(document["resolver"])}</div></div>'
    )
    out.append('<div class="arrow">&rarr;</div>')
    out.append('<div class="servers">')
    servers = _servers(document)
    if not servers:
        out.append(
            '<div class="hop"><h3>No mail server</h3>'
            '<div class="role">nothing to connect to</div></div>'
        )
    for name, role, probes in servers:
        chips = "".join(_chip(p) for p in probes)
        out.append(
            f'<div class="hop"><h3>{_e(name)}</h3>'
            f'<div class="role">{_e(role)}</div>{chips}</div>'
        )
    out += ["</div>", "</div>"]
    return out


def _table(document: dict[str, Any]) -> list[str]:
    probes = [*document["probes"], *document.get("mailbox_probes", [])]
    if not probes:
        return []
    out = [
        "<h2>Every connection tried</h2>",
        "<table><thead><tr><th>Server</th><th>Address</th><th>Port</th>"
        "<th>Service</th><th>Result</th><th>Time</th><th>Details</th></tr>"
        "</thead><tbody>",
    ]
    for p in probes:
        kind = "good" if _good(p["outcome"]) else "bad"
        words = _OUTCOME_WORDS.get(p["outcome"], p["outcome"])
        total = p["evidence"]["timings"].get("total", 0.0) * 1000
        detail = p["detail"] or p.get("greeting_host") or ""
        out.append(
            f"<tr><td>{_e(p['host'])}</td><td>{_e(p['address'])}</td>"
            f"<td>{_e(p['port'])}</td><td>{_e(p['service'])}</td>"
            f'<td class="{kind}">{_e(words)}</td><td>{total:.0f}&nbsp;ms</td>'
            f'<td class="detail">{_e(detail)}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _setting_title(advice: dict[str, Any]) -> str:
    purpose, protocol = advice["purpose"], advice.get("protocol")
    if purpose == "incoming" and protocol:
        return f"Incoming mail server ({protocol.upper()})"
    if purpose == "relay":
        return "Outgoing mail server (this network's relay)"
    if purpose == "delivery":
        return "For a mail server: direct delivery"
    return "Outgoing mail server (SMTP)"


def _settings(document: dict[str, Any]) -> list[str]:
    advice = document["advice"]
    if not advice:
        return []
    out = ["<h2>What to set in your mail program</h2>", '<div class="settings">']
    # The best setting of each kind: sending, and fetching when probed.
    recommended = {
        next((id(a) for a in advice if a["purpose"] == kind), None)
        for kind in ("submission", "incoming")
    }
    for a in advice:
        if a["host"] is None:
            out.append(
                f'<div class="setting"><h3>Next step</h3><p>{_e(a["reason"])}</p></div>'
            )
            continue
        login = {True: "your login", False: "none", None: "as your provider says"}
        best = id(a) in recommended
        css = "setting first" if best else "setting"
        badge = '<div class="badge">Recommended</div>' if best else ""
        security = _SECURITY_WORDS.get(a["security"] or "none", a["security"])
        out.append(
            f'<div class="{css}">{badge}<h3>{_e(_setting_title(a))}</h3><dl>'
            f"<dt>Server</dt><dd>{_e(a['host'])}</dd>"
            f"<dt>Port</dt><dd>{_e(a['port'])}</dd>"
            f"<dt>Security</dt><dd>{_e(security)}</dd>"
            f"<dt>Sign in</dt><dd>{_e(login[a['login']])}</dd></dl>"
            f"<p>{_e(a['reason'])}</p></div>"
        )
    out.append("</div>")
    return out


def _expectations(document: dict[str, Any]) -> list[str]:
    expectations = document.get("expectations", [])
    if not expectations:
        return []
    held = sum(1 for e in expectations if e["holds"])
    out = [
        f"<h2>Expectations: {held} of {len(expectations)} hold</h2>",
        "<table><tbody>",
    ]
    for e in expectations:
        mark = (
            '<td class="good">holds</td>'
            if e["holds"]
            else '<td class="bad">fails</td>'
        )
        seen = "" if e["holds"] else _e(e["seen"])
        out.append(
            f'<tr>{mark}<td>{_e(e["name"])}</td><td class="detail">{seen}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _about(document: dict[str, Any]) -> list[str]:
    settings = document.get("settings", {})
    timings = document["timings"]
    rows = [
        ("Checked", document["started"]),
        ("Domain", document["display_target"]),
        ("Profile", settings.get("profile", "default")),
        ("DNS resolver", document["resolver"]),
        (
            "Time taken",
            f"{timings['total_seconds']:.2f} s (DNS {timings['resolve_seconds']:.2f}"
            f" s, connections {timings['probe_seconds']:.2f} s)",
        ),
        ("netprobe", document["tool"]["version"]),
    ]
    rows += [("Skipped", s) for s in document.get("skipped", [])]
    if document.get("redacted"):
        rows.append(("Redacted", "this computer's addresses, name and user name"))
    out = ['<h2>About this check</h2><dl class="about">']
    out += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows]
    out.append("</dl>")
    return out


def render(document: dict[str, Any]) -> str:
    title = f"netprobe: {document['display_target']}"
    body = [
        *_verdict(document),
        *_path(document),
        *_table(document),
        *_settings(document),
        *_expectations(document),
        *_about(document),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_STYLE}</style></head>",
            "<body><main>",
            *body,
            "</main></body></html>",
            "",
        ]
    )
