"""What changed between two runs: the verdict, findings, probe outcomes,
advice and expectations.

Pure: two report documents in, one change document out, which renders as
text or prints as JSON. Probes are matched by (kind, host, address, port),
so a probe that appears in only one run shows as added or removed, and
findings by code and how ("port25_blocked [reset]" turning into
"[filtered]" is a change of how the network blocks, worth seeing).
"""

from __future__ import annotations

from typing import Any

from netprobe.report.text import advice_setting, purpose_words
from netprobe.report.untrusted import printable


def _run(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": document["target"],
        "started": document["started"],
        "status": document["verdict"]["status"],
    }


def _finding_label(finding: dict[str, Any]) -> str:
    how = f" [{finding['how']}]" if finding.get("how") else ""
    return f"{finding['code']}{how}"


def _probes(document: dict[str, Any]) -> dict[tuple[str, str, str, int], str]:
    probes = {
        ("smtp", p["host"], p["address"], p["port"]): p["outcome"]
        for p in document["probes"]
    }
    for p in document.get("mailbox_probes", []):
        probes[(p["protocol"], p["host"], p["address"], p["port"])] = p["outcome"]
    return probes


def _advice(document: dict[str, Any]) -> list[str]:
    return [
        f"{advice_setting(a)} ({purpose_words(a)})" if a["host"] else a["reason"]
        for a in document["advice"]
    ]


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The change document; ``changed`` is false when nothing below differs."""
    old_findings = {_finding_label(f) for f in old["findings"]}
    new_findings = {_finding_label(f) for f in new["findings"]}

    old_probes, new_probes = _probes(old), _probes(new)
    probes = []
    for key in [*old_probes, *(k for k in new_probes if k not in old_probes)]:
        before, after = old_probes.get(key), new_probes.get(key)
        if before != after:
            kind, host, address, port = key
            probes.append(
                {
                    "kind": kind,
                    "host": host,
                    "address": address,
                    "port": port,
                    "old": before,
                    "new": after,
                }
            )

    old_expect = {e["name"]: e["holds"] for e in old.get("expectations", [])}
    new_expect = {e["name"]: e["holds"] for e in new.get("expectations", [])}
    expectations = [
        {"name": name, "old": old_expect.get(name), "new": new_expect.get(name)}
        for name in [*old_expect, *(n for n in new_expect if n not in old_expect)]
        if old_expect.get(name) != new_expect.get(name)
    ]

    status = None
    if old["verdict"]["status"] != new["verdict"]["status"]:
        status = {"old": old["verdict"]["status"], "new": new["verdict"]["status"]}
    advice = None
    if _advice(old) != _advice(new):
        advice = {"old": _advice(old), "new": _advice(new)}
    findings = {
        "appeared": sorted(new_findings - old_findings),
        "disappeared": sorted(old_findings - new_findings),
    }
    changed = bool(
        status
        or findings["appeared"]
        or findings["disappeared"]
        or probes
        or advice
        or expectations
    )
    return {
        "kind": "diff",
        "old": _run(old),
        "new": _run(new),
        "changed": changed,
        "status": status,
        "findings": findings,
        "probes": probes,
        "advice": advice,
        "expectations": expectations,
    }


def _word(value: object) -> str:
    if value is None:
        return "(not probed)"
    if value is True:
        return "holds"
    if value is False:
        return "fails"
    return str(value)


def render_text(change: dict[str, Any]) -> str:
    old, new = change["old"], change["new"]
    lines = [
        f"old: {printable(old['started'])} {printable(old['target'])} {old['status']}",
        f"new: {printable(new['started'])} {printable(new['target'])} {new['status']}",
        "",
    ]
    if not change["changed"]:
        lines.append("No change.")
        return "\n".join(lines)
    if change["status"]:
        lines.append(f"Status: {change['status']['old']} -> {change['status']['new']}")
    for code in change["findings"]["appeared"]:
        lines.append(f"Finding appeared: {printable(code)}")
    for code in change["findings"]["disappeared"]:
        lines.append(f"Finding disappeared: {printable(code)}")
    for p in change["probes"]:
        where = printable(f"{p['host']} [{p['address']}]:{p['port']}")
        kind = "" if p["kind"] == "smtp" else f" ({p['kind']})"
        lines.append(f"Probe {where}{kind}: {_word(p['old'])} -> {_word(p['new'])}")
    for e in change["expectations"]:
        lines.append(
            f"Expectation {printable(e['name'])}: "
            f"{_word(e['old'])} -> {_word(e['new'])}"
        )
    if change["advice"]:
        lines.append("Advice changed:")
        lines += [f"  - {printable(a)}" for a in change["advice"]["old"]]
        lines += [f"  + {printable(a)}" for a in change["advice"]["new"]]
    return "\n".join(lines)
