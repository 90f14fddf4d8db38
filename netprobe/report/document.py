"""The JSON report: a stable, versioned contract for scripts and CI.

``schema_version`` changes its major number only when a field is removed or
changes meaning; new fields may appear in any version. Enum values are the
snake_case words of DESIGN.md's vocabulary. The contract is written down as a
JSON Schema in ``netprobe/schema/report.schema.json``; every renderer in this
package reads the document, never the model, so that a report saved by an
older version can be shown in any format.

1.1 added ``mailbox_hosts``, ``mailbox_probes`` (the receiving side),
``expectations``, ``skipped``, ``advice[].protocol`` and
``evidence.local_address``; ``redacted`` is set by ``report.redact``.
"""

from __future__ import annotations

from typing import Any

from netprobe.model import (
    Advice,
    CheckReport,
    DnsQuery,
    Finding,
    Hop,
    MailboxResult,
    Observation,
    PacketEvidence,
    PacketReply,
    ProbeResult,
    SynProbe,
    TlsInfo,
    Trace,
)

SCHEMA_VERSION = "1.1"
# The major version this netprobe reads; a report of a later major version
# may have fields whose meaning changed, so it is refused, not guessed at.
SCHEMA_MAJOR = 1


def _query(q: DnsQuery) -> dict[str, Any]:
    return {
        "name": q.name,
        "type": q.rdtype,
        "status": q.status.value,
        "detail": q.detail or None,
        "seconds": round(q.seconds, 4),
    }


def _reply(value: tuple[int, tuple[str, ...]] | None) -> dict[str, Any] | None:
    return {"code": value[0], "lines": list(value[1])} if value else None


def _tls(tls: TlsInfo | None) -> dict[str, Any] | None:
    if tls is None:
        return None
    return {
        "version": tls.version,
        "cipher": tls.cipher,
        "verified": tls.verified,
        "verify_error": tls.verify_error,
        "subject": tls.subject,
        "issuer": tls.issuer,
        "names": list(tls.names),
        "not_after": tls.not_after,
    }


def _evidence(obs: Observation) -> dict[str, Any]:
    return {
        "connected": obs.connected,
        "connect_error": obs.connect_error,
        "errno": obs.connect_errno,
        "greeting": _reply(obs.greeting),
        "ehlo": _reply(obs.ehlo),
        "starttls_reply": _reply(obs.starttls_reply),
        "ehlo_after_tls": _reply(obs.ehlo_after_tls),
        "tls": _tls(obs.tls),
        "failure_step": obs.failure_step,
        "failure": obs.failure,
        "timings": {k: round(v, 4) for k, v in obs.timings.items()},
        "local_address": obs.local_address,
    }


def _hop(hop: Hop | None) -> dict[str, Any] | None:
    if hop is None:
        return None
    return {"address": hop.address, "name": hop.name, "distance": hop.distance}


def _packet_reply(reply: PacketReply) -> dict[str, Any]:
    return {
        "answer": reply.answer.value,
        "source": reply.source,
        "ttl": reply.ttl,
        "seconds": round(reply.seconds, 6) if reply.seconds is not None else None,
        "icmp_type": reply.icmp_type,
        "icmp_code": reply.icmp_code,
    }


def _syn_probe(probe: SynProbe | None) -> dict[str, Any] | None:
    if probe is None:
        return None
    return {
        "address": probe.address,
        "family": probe.family.value,
        "port": probe.port,
        "ttl": probe.ttl,
        "sent": probe.sent,
        "reply": _packet_reply(probe.reply),
    }


def _trace(trace: Trace) -> dict[str, Any]:
    return {
        "address": trace.address,
        "family": trace.family.value,
        "port": trace.port,
        "hops": [
            {"ttl": h.ttl, "sent": h.sent, "reply": _packet_reply(h.reply)}
            for h in trace.hops
        ],
    }


def _packets(packets: PacketEvidence) -> dict[str, Any]:
    """``packets`` is "gathered" or the one line saying why not."""
    return {
        "packets": packets.status,
        "seconds": round(packets.seconds, 4),
        "syn_probes": [_syn_probe(p) for p in packets.probes],
        "traces": [_trace(t) for t in packets.traces],
        "names": dict(sorted(packets.names.items())),
    }


def _probe(r: ProbeResult) -> dict[str, Any]:
    return {
        "host": r.spec.host,
        "address": r.spec.address,
        "family": r.spec.family.value,
        "port": r.spec.port,
        "service": r.spec.service.value,
        "roles": [role.value for role in r.spec.roles],
        "outcome": r.outcome.value,
        "detail": r.detail,
        "greeting_host": r.greeting_host,
        "starttls": r.starttls,
        "auth": list(r.auth),
        "extensions": list(r.extensions),
        "evidence": _evidence(r.observation),
        "packets": _syn_probe(r.packets),
        "hop": _hop(r.hop),
        "forged": r.forged,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity.value,
        "summary": f.summary,
        "how": f.how,
        "families": [family.value for family in f.families],
        "hosts": list(f.hosts),
        "confidence": f.confidence.value,
        "evidence": list(f.evidence),
        "hop": _hop(f.hop),
        "forged": f.forged,
    }


def _mailbox_probe(r: MailboxResult) -> dict[str, Any]:
    obs = r.observation
    capabilities = obs.capabilities_after_tls or obs.capabilities
    return {
        "host": r.spec.host,
        "address": r.spec.address,
        "family": r.spec.family.value,
        "port": r.spec.port,
        "service": r.spec.service.value,
        "protocol": r.spec.service.protocol,
        "outcome": r.outcome.value,
        "detail": r.detail,
        "starttls": r.starttls,
        "capabilities": list(capabilities or ()),
        "evidence": {
            "connected": obs.connected,
            "connect_error": obs.connect_error,
            "errno": obs.connect_errno,
            "greeting": obs.greeting,
            "capabilities": _optional_list(obs.capabilities),
            "starttls_reply": obs.starttls_reply,
            "capabilities_after_tls": _optional_list(obs.capabilities_after_tls),
            "tls": _tls(obs.tls),
            "failure_step": obs.failure_step,
            "failure": obs.failure,
            "timings": {k: round(v, 4) for k, v in obs.timings.items()},
            "local_address": obs.local_address,
        },
    }


def _optional_list(value: tuple[str, ...] | None) -> list[str] | None:
    return None if value is None else list(value)


def _advice(a: Advice) -> dict[str, Any]:
    return {
        "rank": a.rank,
        "host": a.host,
        "port": a.port,
        "security": a.security.value if a.security else None,
        "login": a.login,
        "purpose": a.purpose,
        "reason": a.reason,
        "protocol": a.protocol,
    }


def to_document(report: CheckReport) -> dict[str, Any]:
    resolution = report.resolution
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "check",
        "tool": {"name": "netprobe", "version": report.tool_version},
        "target": report.target,
        "display_target": report.display_target,
        "started": report.started,
        "timings": {
            "total_seconds": round(report.seconds, 4),
            "resolve_seconds": round(resolution.seconds, 4),
            "probe_seconds": round(report.probe_seconds, 4),
            "packet_seconds": round(report.packets.seconds, 4),
        },
        "settings": report.settings,
        "verdict": {
            "status": report.verdict.status.value,
            "sentences": list(report.verdict.sentences),
        },
        "routing": resolution.routing.value,
        "resolver": resolution.resolver,
        "mx": [
            {
                "exchange": e.host.name,
                "preference": e.preference,
                "addresses": list(e.host.addresses),
            }
            for e in resolution.exchanges
        ],
        "submission_hosts": [
            {
                "host": s.host.name,
                "source": s.source,
                "port": s.port.number if s.port else None,
                "service": s.port.service.value if s.port else None,
                "addresses": list(s.host.addresses),
            }
            for s in resolution.submission_hosts
        ],
        "references": [
            {"host": h.name, "addresses": list(h.addresses)}
            for h in resolution.references
        ],
        "tls_policy": {
            "mta_sts": resolution.mta_sts,
            "dane_exchanges": list(resolution.dane_exchanges),
        },
        "mailbox_hosts": [
            {
                "host": m.host.name,
                "source": m.source,
                "port": m.port.number if m.port else None,
                "service": m.port.service.value if m.port else None,
                "addresses": list(m.host.addresses),
            }
            for m in resolution.mailbox_hosts
        ],
        "dns": [_query(q) for q in resolution.queries],
        "probes": [_probe(r) for r in report.results],
        "mailbox_probes": [_mailbox_probe(r) for r in report.mailbox_results],
        "evidence": _packets(report.packets),
        "findings": [_finding(f) for f in report.findings],
        "advice": [_advice(a) for a in report.advice],
        "expectations": [
            {"name": e.name, "expect": e.expect, "holds": e.holds, "seen": e.seen}
            for e in report.expectations
        ],
        "skipped": list(report.skipped),
    }
