"""Classify: what each probe's observation means, as an outcome.

Pure. Each observation is first read on its own (an errno, a greeting code, a
TLS failure), then the whole set is read together, because some outcomes only
show against the others: an ICMP "host unreachable" for port 25 alone while
587 on the same address answers is a filter, not a dead host; a greeting or a
certificate that names another machine than the one that answers on 587, or
a connection made far faster than the path's round trip, is an interception.

Packet evidence, where it was gathered, is read last and decides what the
socket level can only guess (see ``evidence``): which router prohibited, with
which ICMP code; whether a reset was forged by a middlebox; whether the
SYN-ACK came from as far away as the host's own.
"""

from __future__ import annotations

import errno
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from netprobe import certs, evidence
from netprobe.mailbox import ProtocolError, parse_imap, parse_pop3
from netprobe.model import (
    Answer,
    Family,
    MailboxObservation,
    MailboxResult,
    Observation,
    Outcome,
    PacketEvidence,
    ProbeResult,
    Service,
    SynProbe,
)
from netprobe.smtp import Extensions, Reply, masked_starttls

# Linux maps ICMP errors to errnos (net/ipv4/icmp.c icmp_err_convert,
# net/ipv6/icmp.c tab_unreach): IPv4 "communication administratively
# prohibited" (type 3 code 13) and host/net prohibited (9, 10) arrive as
# EHOSTUNREACH, the same as a plain host unreachable; IPv6 "administratively
# prohibited" (type 1 code 1) arrives as EACCES. EPERM is this machine's own
# firewall refusing to send.
_PROHIBITED = {errno.EACCES: "ICMP administratively prohibited", errno.EPERM: ""}
_UNREACHABLE = {
    errno.EHOSTUNREACH: "host unreachable (ICMP)",
    errno.ENETUNREACH: "network unreachable: no route",
    errno.EADDRNOTAVAIL: "no local address of this family",
    errno.EHOSTDOWN: "host down",
}
# A greeting this slow is worth saying so, and is still an open port: a
# server may delay it on purpose (Postfix's postscreen waits 6 s by default
# before greeting), and RFC 5321 4.5.3.2.1 lets it take five minutes.
SLOW_GREETING = 2.0
# A port-25 connect this many times faster than the same address's other
# ports, and faster by at least this much, was answered by a closer machine.
# The gap keeps timer noise on short paths from reading as interception.
INTERCEPT_RATIO = 4.0
INTERCEPT_GAP = 0.010


def _reply(value: tuple[int, tuple[str, ...]] | None) -> Reply | None:
    return Reply(value[0], value[1]) if value else None


def classify_one(obs: Observation) -> ProbeResult:
    """The outcome of one observation, read on its own."""
    if not obs.connected:
        return ProbeResult(obs.spec, *_connect_outcome(obs), observation=obs)

    greeting = _reply(obs.greeting)
    ehlo = _reply(obs.ehlo_after_tls) or _reply(obs.ehlo)
    extensions = Extensions.from_reply(ehlo) if ehlo else None
    plain_ehlo = _reply(obs.ehlo)
    offered = Extensions.from_reply(plain_ehlo).starttls if plain_ehlo else None
    base = ProbeResult(
        obs.spec,
        Outcome.OPEN,
        "",
        observation=obs,
        greeting_host=greeting.first_word() if greeting else None,
        starttls=None if obs.spec.service.implicit_tls else offered,
        auth=extensions.auth_mechanisms if extensions else (),
        extensions=tuple(extensions.names()) if extensions else (),
    )

    if obs.failure_step == "tls":
        return replace(base, outcome=Outcome.TLS_FAILED, detail=_tls_detail(obs))
    if greeting is None:
        reason = obs.failure or "no greeting"
        if "not an SMTP reply" in reason or "too long" in reason:
            return replace(base, outcome=Outcome.NOT_SMTP, detail=f"not SMTP: {reason}")
        return replace(base, outcome=Outcome.NOT_SMTP, detail=f"connected, {reason}")
    if greeting.code != 220:
        if greeting.code >= 400:
            detail = f"greeting {greeting.code}: {greeting.text}"
            return replace(base, outcome=Outcome.REJECTED, detail=detail)
        detail = f"unexpected greeting code {greeting.code}"
        return replace(base, outcome=Outcome.NOT_SMTP, detail=detail)
    if obs.failure_step == "starttls":
        if obs.spec.service is Service.SMTP:
            # Port 25 TLS is opportunistic: an MTA falls back to plain text.
            detail = f"STARTTLS failed ({_tls_detail(obs)}); plain SMTP works"
            return replace(base, detail=detail)
        return replace(base, outcome=Outcome.TLS_FAILED, detail=_tls_detail(obs))
    return replace(base, detail=_open_detail(obs, base))


def _connect_outcome(obs: Observation | MailboxObservation) -> tuple[Outcome, str]:
    seconds = obs.timings.get("connect", 0.0)
    if obs.connect_error == "timeout":
        return Outcome.FILTERED, f"no answer to the SYN in {seconds:.1f} s"
    number = obs.connect_errno
    if number == errno.ECONNREFUSED:
        return Outcome.REFUSED, "connection refused (TCP reset)"
    if number in _PROHIBITED:
        if number == errno.EPERM:
            return Outcome.PROHIBITED, "refused by this machine's own firewall"
        return Outcome.PROHIBITED, _PROHIBITED[number]
    if number in _UNREACHABLE:
        return Outcome.UNREACHABLE, _UNREACHABLE[number]
    return Outcome.UNREACHABLE, f"connect failed: {obs.connect_error}"


def _tls_detail(obs: Observation | MailboxObservation) -> str:
    if obs.tls and obs.tls.verify_error:
        return f"TLS failed: {obs.tls.verify_error}"
    return f"TLS failed: {obs.failure or 'unknown reason'}"


def _open_detail(obs: Observation, result: ProbeResult) -> str:
    parts = []
    greeted = obs.timings.get("greeting", 0.0)
    if greeted >= SLOW_GREETING:
        parts.append(f"slow greeting ({greeted:.1f} s)")
    if obs.tls and obs.tls.version:
        parts.append(obs.tls.version)
        if not obs.tls.verified and obs.tls.verify_error:
            parts.append(obs.tls.verify_error)
    elif result.starttls is False:
        plain = _reply(obs.ehlo)
        if plain and masked_starttls(plain):
            parts.append("STARTTLS masked by a middlebox")
        else:
            parts.append("no STARTTLS")
    if obs.starttls_reply and obs.starttls_reply[0] != 220:
        parts.append(f"STARTTLS refused ({obs.starttls_reply[0]})")
    if result.auth:
        parts.append("AUTH " + " ".join(result.auth))
    if obs.failure:
        parts.append(f"{obs.failure_step}: {obs.failure}")
    return ", ".join(parts)


def classify(
    observations: Sequence[Observation], packets: PacketEvidence | None = None
) -> tuple[ProbeResult, ...]:
    """Classify every observation, then refine with what the others show,
    and last with the packet evidence, where there is any."""
    results = [classify_one(obs) for obs in observations]
    results = _refine_unreachable(results)
    results = _refine_interception(results)
    results = _refine_interception_by_certificate(results)
    if packets is not None and packets.gathered:
        results = _refine_with_packets(results, packets)
    results = _refine_interception_by_timing(results)
    return tuple(results)


def _refine_unreachable(results: list[ProbeResult]) -> list[ProbeResult]:
    """An ICMP unreachable for one port while the address answers on others.

    A host that is really unreachable is unreachable on every port. When one
    port alone draws the ICMP error, a router is rejecting that port: on IPv4
    Linux reports "administratively prohibited" with the same errno as "host
    unreachable", so this is how it is told apart without raw sockets.
    """
    answered = {
        r.spec.address
        for r in results
        if r.observation.connected or r.outcome is Outcome.REFUSED
    }
    detail = (
        "ICMP unreachable for this port only, while other ports of the "
        "same address answer: a router filters it (admin-prohibited)"
    )
    return [
        replace(r, outcome=Outcome.PROHIBITED, detail=detail)
        if r.outcome is Outcome.UNREACHABLE
        and r.observation.connect_errno == errno.EHOSTUNREACH
        and r.spec.address in answered
        else r
        for r in results
    ]


def _refine_interception(results: list[ProbeResult]) -> list[ProbeResult]:
    """A port whose greeting names another machine than the host probed.

    Providers often greet with an internal name, so a mismatch alone proves
    nothing. It becomes an interception when the same address greets with
    the host's own name on another port (this port was taken elsewhere), or
    when the impostor's name is one already proven so on another address
    (one box answering for several hosts).
    """
    by_address: dict[str, dict[int, str]] = defaultdict(dict)
    for r in results:
        if r.outcome is Outcome.OPEN and r.greeting_host:
            by_address[r.spec.address][r.spec.port] = r.greeting_host

    def names_host(name: str, host: str) -> bool:
        return name == host.lower() or certs.matches(host, [name])

    # A server reached under several names (an MX and a submission name on
    # one address) may greet with any of them: a name that belongs at the
    # address is the server's own, not an impostor's.
    hosts_at: dict[str, set[str]] = defaultdict(set)
    for r in results:
        hosts_at[r.spec.address].add(r.spec.host)

    def impostor(r: ProbeResult) -> str | None:
        name = r.greeting_host
        if r.outcome is not Outcome.OPEN or not name:
            return None
        if any(names_host(name, host) for host in hosts_at[r.spec.address]):
            return None
        return name

    proven: dict[tuple[str, int], str] = {}
    impostors: dict[int, set[str]] = defaultdict(set)
    for r in results:
        name = impostor(r)
        others = [n for p, n in by_address[r.spec.address].items() if p != r.spec.port]
        if name and any(names_host(n, r.spec.host) for n in others):
            proven[(r.spec.address, r.spec.port)] = (
                f"greets as {name}, while another port of {r.spec.address} "
                f"greets as {r.spec.host}"
            )
            impostors[r.spec.port].add(name)
    for r in results:
        name = impostor(r)
        key = (r.spec.address, r.spec.port)
        if name and key not in proven and name in impostors[r.spec.port]:
            proven[key] = (
                f"greets as {name}, the same machine that answers port "
                f"{r.spec.port} of other hosts"
            )

    return [
        replace(r, outcome=Outcome.INTERCEPTED, detail=proven[key])
        if (key := (r.spec.address, r.spec.port)) in proven
        else r
        for r in results
    ]


def _refine_interception_by_certificate(
    results: list[ProbeResult],
) -> list[ProbeResult]:
    """A certificate for another host, where another port of the same
    address presents one for the host: this port reached another machine.

    A certificate that names none of the hosts probed at the address is
    evidence only against one that does, for the same reason as a greeting.
    """
    hosts_at: dict[str, set[str]] = defaultdict(set)
    for r in results:
        hosts_at[r.spec.address].add(r.spec.host)

    def own(r: ProbeResult) -> bool:
        tls = r.observation.tls
        names = tls.names if tls else ()
        return any(certs.matches(host, names) for host in hosts_at[r.spec.address])

    with_names = [r for r in results if r.observation.tls and r.observation.tls.names]

    def refine(r: ProbeResult) -> ProbeResult:
        tls = r.observation.tls
        if r.outcome is not Outcome.OPEN or not tls or not tls.names or own(r):
            return r
        genuine = [
            o.spec.port
            for o in with_names
            if o.spec.address == r.spec.address
            and o.spec.port != r.spec.port
            and own(o)
        ]
        if not genuine:
            return r
        detail = (
            f"its certificate names {', '.join(tls.names)}, while port "
            f"{genuine[0]} of {r.spec.address} presents one for {r.spec.host}"
        )
        return replace(r, outcome=Outcome.INTERCEPTED, detail=detail)

    return [refine(r) for r in results]


def _refine_with_packets(
    results: list[ProbeResult], packets: PacketEvidence
) -> list[ProbeResult]:
    """Read each port's SYN probe against its host's working port."""
    probes = {(p.address, p.port): p for p in packets.probes}
    refined = []
    for r in results:
        probe = probes.get((r.spec.address, r.spec.port))
        if probe is None:
            refined.append(r)
            continue
        reading = evidence.read_port(
            probe,
            evidence.baseline_for(packets.probes, r.spec.address, r.spec.port),
            [t for t in packets.traces if t.address == r.spec.address],
            packets.names,
        )
        refined.append(_apply(replace(r, packets=probe), reading))
    return refined


def _apply(r: ProbeResult, reading: evidence.Reading) -> ProbeResult:
    """One result, with what its packet evidence adds or overrules."""
    answer = reading.answer
    hop = reading.hop
    if hop is not None and hop.address == r.spec.address and hop.name is None:
        hop = replace(hop, name=r.spec.host)
    marked = replace(r, hop=hop, forged=reading.forged)

    def said(detail: str) -> str:
        return "; ".join(part for part in (detail, reading.detail) if part)

    if answer is Answer.UNREACHABLE:
        if reading.refused_by_router and r.outcome is not Outcome.OPEN:
            # The exact ICMP code replaces the socket level's guess.
            return replace(marked, outcome=Outcome.PROHIBITED, detail=reading.detail)
        if r.outcome in (Outcome.UNREACHABLE, Outcome.PROHIBITED):
            return replace(marked, detail=said(r.detail))
        return r
    if answer is Answer.RESET:
        if r.outcome is Outcome.FILTERED:
            # The socket heard nothing, a later SYN drew a reset: refused.
            detail = said("a raw SYN was refused with a TCP reset")
            return replace(marked, outcome=Outcome.REFUSED, detail=detail)
        if r.outcome is Outcome.REFUSED:
            return replace(marked, detail=said(r.detail))
        return r
    if answer is Answer.SYN_ACK:
        if reading.intercepted and r.outcome in (Outcome.OPEN, Outcome.INTERCEPTED):
            return replace(marked, outcome=Outcome.INTERCEPTED, detail=said(r.detail))
        if r.outcome is Outcome.FILTERED and not reading.intercepted:
            # Limitation: no conversation happened, so the port stays
            # "filtered"; diagnose does not count it as blocked.
            detail = (
                f"{r.detail}; a raw SYN was answered with a SYN-ACK: the port "
                "answers, slowly or after losses, and is not blocked"
            )
            return replace(r, packets=r.packets, detail=detail)
        return r
    if answer is Answer.NONE:
        if r.outcome is Outcome.FILTERED:
            return replace(marked, detail=said(r.detail))
        return r
    if answer is Answer.TIME_EXCEEDED and r.outcome.blocked:
        return replace(marked, detail=said(r.detail))
    return r


def _refine_interception_by_timing(results: list[ProbeResult]) -> list[ProbeResult]:
    """A port-25 connection made far faster than the path's round trip.

    Every port of one address shares one path, so its connects take the
    same round trip; a port-25 connect several times faster was answered by
    a machine closer than the host. Read only where no packet evidence
    compared hop distances, which say the same thing more surely, and only
    from connects under the SYN retransmission time (RFC 6298: a slower one
    may be timing the resent SYN).
    """

    def connect(r: ProbeResult) -> float | None:
        seconds = r.observation.timings.get("connect")
        return seconds if r.observation.connected and seconds is not None else None

    def refine(r: ProbeResult) -> ProbeResult:
        own = connect(r)
        others = [
            t
            for o in results
            if o.spec.address == r.spec.address
            and o.spec.port != r.spec.port
            and (t := connect(o)) is not None
            and t < 1.0
        ]
        packets = r.packets is not None and _answered_raw(r.packets)
        if (
            r.spec.port != 25
            or r.outcome not in (Outcome.OPEN, Outcome.INTERCEPTED)
            or own is None
            or not others
            or packets
            or own * INTERCEPT_RATIO >= min(others)
            or min(others) - own < INTERCEPT_GAP
        ):
            return r
        detail = (
            f"connected in {own * 1000:.1f} ms, while other ports of "
            f"{r.spec.address} take {min(others) * 1000:.1f} ms: a closer "
            "machine answered"
        )
        if r.outcome is Outcome.INTERCEPTED:
            detail = f"{r.detail}; {detail}"
        return replace(r, outcome=Outcome.INTERCEPTED, detail=detail)

    return [refine(r) for r in results]


def _answered_raw(probe: SynProbe) -> bool:
    return probe.reply.answer is Answer.SYN_ACK and probe.reply.ttl is not None


def families(results: Sequence[ProbeResult]) -> tuple[Family, ...]:
    return tuple(f for f in Family if any(r.spec.family is f for r in results))


# --- the receiving side ------------------------------------------------------


def _greeting_ok(obs: MailboxObservation) -> bool | None:
    """Whether the greeting welcomed the client; None if it is not the
    protocol at all."""
    if obs.greeting is None:
        return None
    try:
        if obs.spec.service.protocol == "imap":
            return parse_imap(obs.greeting).status in ("OK", "PREAUTH")
        return parse_pop3(obs.greeting).ok
    except ProtocolError:
        return None


def classify_mailbox(obs: MailboxObservation) -> MailboxResult:
    """The outcome of one receiving-side observation, in SMTP's words."""
    if not obs.connected:
        return MailboxResult(obs.spec, *_connect_outcome(obs), observation=obs)

    name = obs.spec.service.protocol.upper()
    implicit = obs.spec.service.implicit_tls
    before = obs.capabilities or ()
    base = MailboxResult(
        obs.spec,
        Outcome.OPEN,
        "",
        observation=obs,
        starttls=None
        if implicit or obs.capabilities is None
        else ("STARTTLS" in before or "STLS" in before),
        capabilities=obs.capabilities_after_tls or before,
    )

    if obs.failure_step == "tls":
        return replace(base, outcome=Outcome.TLS_FAILED, detail=_tls_detail(obs))
    welcomed = _greeting_ok(obs)
    if welcomed is None:
        reason = obs.failure or "no greeting"
        return replace(base, outcome=Outcome.NOT_SMTP, detail=f"not {name}: {reason}")
    if not welcomed:
        detail = f"greeting refuses service: {obs.greeting}"
        return replace(base, outcome=Outcome.REJECTED, detail=detail)
    if obs.failure_step == "starttls":
        return replace(base, outcome=Outcome.TLS_FAILED, detail=_tls_detail(obs))

    parts = [name]
    if obs.tls and obs.tls.version:
        parts.append(obs.tls.version)
        if not obs.tls.verified and obs.tls.verify_error:
            parts.append(obs.tls.verify_error)
    elif base.starttls is False:
        parts.append("no STARTTLS: passwords would cross the network in clear")
    if obs.starttls_reply and obs.tls is None:
        parts.append(f"STARTTLS refused ({obs.starttls_reply})")
    if obs.failure:
        parts.append(f"{obs.failure_step}: {obs.failure}")
    return replace(base, detail=", ".join(parts))
