"""Diagnose: from probe outcomes and DNS answers to findings.

Pure. Each finding states a conclusion, the evidence it rests on and how
sure it is. The rule that matters most: "port 25 is blocked by this network"
is only concluded when the same hosts, or other hosts, answer on other ports;
25 failing everywhere while nothing else answers either is "no
connectivity", and 25 failing on one host while others answer is "that host
is down". Reference targets, well-known mail hosts probed beside the
domain's, are the control: port 25 failing to them too is this network;
port 25 failing to an exchange while a reference answers on 25 is that
exchange. Codes are stable: reports and CI profiles refer to them.

Where packet evidence was gathered, findings also say where: the hop whose
router prohibits, forges resets or takes the connection, or the last router
a silently dropped SYN reaches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from netprobe import certs, evidence
from netprobe.model import (
    Answer,
    Confidence,
    DnsStatus,
    Family,
    Finding,
    Hop,
    MailboxResult,
    MailRouting,
    Outcome,
    ProbeResult,
    Resolution,
    Role,
    Service,
    Severity,
)
from netprobe.smtp import Reply, masked_starttls

# Every code a finding can have. Codes are a contract: profiles expect them
# and reports are compared by them, so a new finding adds its code here.
FINDING_CODES = frozenset(
    {
        "nxdomain",
        "null_mx",
        "no_mail_host",
        "dns_failure",
        "implicit_mx",
        "exchange_unresolved",
        "no_connectivity",
        "family_unreachable",
        "port25_blocked",
        "submission_blocked",
        "exchange_down",
        "intercepted",
        "tls_problem",
        "greeting_rejected",
        "not_smtp",
        "incoming_not_found",
        "incoming_blocked",
        "incoming_problem",
    }
)

# The word a finding uses for how a port is blocked, by outcome.
HOW = {
    Outcome.FILTERED: "filtered",
    Outcome.REFUSED: "reset",
    Outcome.PROHIBITED: "prohibited",
    Outcome.INTERCEPTED: "intercepted",
    Outcome.UNREACHABLE: "unreachable",
}

_HOW_WORDS = {
    "filtered": "silently dropped",
    "reset": "refused with a TCP reset",
    "prohibited": "rejected with ICMP administratively prohibited",
    "intercepted": "redirected to another server",
    "unreachable": "reported unreachable",
}


def _answered(result: ProbeResult) -> bool:
    """The far end, or something in its place, completed a connection."""
    return result.observation.connected


def _blocked(result: ProbeResult) -> bool:
    """Blocked, unless a raw SYN showed the port answering after all (slow,
    or behind losses: the socket probe gave up before it answered)."""
    probe = result.packets
    slow = (
        result.outcome is Outcome.FILTERED
        and probe is not None
        and probe.reply.answer is Answer.SYN_ACK
    )
    return result.outcome.blocked and not slow


def where(hop: Hop) -> str:
    """``hop 1, 198.51.100.1 (gw.isp.example)``."""
    name = f" ({hop.name})" if hop.name else ""
    address = f", {hop.address}{name}" if hop.address else ""
    return f"hop {hop.distance}{address}" if hop.distance else f"{hop.address}{name}"


def _common_hop(results: Iterable[ProbeResult]) -> Hop | None:
    """The hop most of these results point at, named ones first."""
    hops = Counter(r.hop for r in results if r.hop is not None)
    named = [h for h, _ in hops.most_common() if h.address]
    return named[0] if named else next((h for h, _ in hops.most_common()), None)


def _alive(result: ProbeResult) -> bool:
    """Something answered the SYN: a connection, or a TCP reset."""
    return result.observation.connected or result.outcome is Outcome.REFUSED


def _beyond(control: ProbeResult, failing: Sequence[ProbeResult]) -> bool:
    """Whether a working port 25 lies beyond the point where the failing
    connections stop, and so proves that the network lets port 25 out.

    An ISP's own relay sits before the ISP's filter and always answers;
    taken as a control, it would clear the very network that blocks 25.
    Only the packet evidence knows distances; without it the control is
    taken at its word.
    """
    stop = _common_hop(r for r in failing if r.spec.family is control.spec.family)
    reply = control.packets.reply if control.packets else None
    if stop is None or stop.distance is None or reply is None:
        return True
    if reply.answer is not Answer.SYN_ACK or reply.ttl is None:
        return True
    # "stop" is the last router that answered a traceroute: the filter is
    # that router or the next one. A control at that distance is beyond it
    # unless it is that very router (a relay run on the ISP's border).
    far = evidence.distance(reply.ttl)
    return far > stop.distance or (
        far == stop.distance and control.spec.address != stop.address
    )


def _reference_up(
    reference: ProbeResult, results: Sequence[ProbeResult], hop: Hop | None
) -> bool:
    """Whether a reference whose port 25 failed is otherwise shown alive."""
    if any(
        _alive(o)
        for o in results
        if o.spec.address == reference.spec.address and o is not reference
    ):
        return True
    return hop is not None and reference.hop is not None and reference.hop == hop


def _families(results: Iterable[ProbeResult | MailboxResult]) -> tuple[Family, ...]:
    present = {r.spec.family for r in results}
    return tuple(f for f in Family if f in present)


def _describe(result: ProbeResult) -> str:
    spec = result.spec
    return f"{spec.host} [{spec.address}]:{spec.port} {result.outcome.value}" + (
        f" ({result.detail})" if result.detail else ""
    )


def diagnose(
    resolution: Resolution, results: Sequence[ProbeResult]
) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    findings += _dns_findings(resolution)
    if not results:
        return tuple(findings)
    findings += _connectivity_findings(results)
    findings += _port25_findings(results)
    findings += _exchange_port25_findings(results)
    findings += _submission_findings(results)
    findings += _exchange_findings(resolution, results)
    findings += _interception_findings(results)
    findings += _starttls_findings(resolution, results)
    findings += _tls_findings(results)
    findings += _greeting_findings(results)
    return tuple(findings)


def _dns_findings(resolution: Resolution) -> list[Finding]:
    domain = resolution.display_name
    routing = resolution.routing
    mx_queries = [q for q in resolution.queries if q.rdtype == "MX"]
    evidence = tuple(
        f"{q.name} {q.rdtype}: {q.status.value}"
        + (f" ({q.detail})" if q.detail else "")
        for q in mx_queries
    )
    if routing is MailRouting.NXDOMAIN:
        return [
            Finding(
                "nxdomain",
                Severity.PROBLEM,
                f"{domain} does not exist in DNS (NXDOMAIN): check the spelling.",
                Confidence.HIGH,
                evidence,
            )
        ]
    if routing is MailRouting.NULL_MX:
        return [
            Finding(
                "null_mx",
                Severity.PROBLEM,
                f"{domain} publishes a null MX (RFC 7505): it accepts no mail.",
                Confidence.HIGH,
                evidence,
            )
        ]
    if routing is MailRouting.NO_MAIL:
        return [
            Finding(
                "no_mail_host",
                Severity.PROBLEM,
                f"{domain} exists but has neither MX records nor an address: "
                "it cannot receive mail.",
                Confidence.HIGH,
                evidence,
            )
        ]
    if routing is MailRouting.DNS_FAILURE:
        failed = [q for q in resolution.queries if q.status.resolver_failure]
        kinds = sorted({q.status.value for q in failed})
        return [
            Finding(
                "dns_failure",
                Severity.PROBLEM,
                f"Your DNS resolver ({resolution.resolver}) could not look up "
                f"{domain} ({', '.join(kinds)}): the problem is DNS on this "
                "network, not the domain.",
                Confidence.HIGH,
                tuple(
                    f"{q.name} {q.rdtype}: {q.status.value} {q.detail}" for q in failed
                ),
            )
        ]

    findings = []
    if routing is MailRouting.IMPLICIT_MX:
        findings.append(
            Finding(
                "implicit_mx",
                Severity.INFO,
                f"{domain} has no MX records; mail goes to the domain's own "
                "address (implicit MX, RFC 5321 5.1).",
                Confidence.HIGH,
                evidence,
            )
        )
    unresolved = [e.host.name for e in resolution.exchanges if not e.host.addresses]
    failures = [
        q
        for e in resolution.exchanges
        for q in e.host.queries
        if q.status.resolver_failure
    ]
    if failures:
        findings.append(
            Finding(
                "dns_failure",
                Severity.WARNING,
                "Your DNS resolver failed to look up some exchanges' addresses.",
                Confidence.HIGH,
                tuple(f"{q.name} {q.rdtype}: {q.status.value}" for q in failures),
                hosts=tuple(dict.fromkeys(q.name for q in failures)),
            )
        )
    elif unresolved:
        findings.append(
            Finding(
                "exchange_unresolved",
                Severity.WARNING,
                f"MX host(s) {', '.join(unresolved)} have no address: mail to "
                "them cannot be delivered.",
                Confidence.HIGH,
                tuple(
                    f"{q.name} {q.rdtype}: {q.status.value}"
                    for e in resolution.exchanges
                    if not e.host.addresses
                    for q in e.host.queries
                    if q.status is not DnsStatus.OK
                ),
                hosts=tuple(unresolved),
            )
        )
    return findings


def _connectivity_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    findings = []
    if not any(_alive(r) for r in results):
        findings.append(
            Finding(
                "no_connectivity",
                Severity.PROBLEM,
                "No host answered on any port: this network lets no mail "
                "traffic out, or is not connected at all.",
                Confidence.HIGH if len(results) > 2 else Confidence.MEDIUM,
                tuple(_describe(r) for r in results[:8]),
                families=_families(results),
            )
        )
        return findings
    # One family dead while the other works: say so, so that its failures
    # are not read as blocks of individual ports.
    for family in Family:
        mine = [r for r in results if r.spec.family is family]
        if mine and not any(_alive(r) for r in mine):
            findings.append(
                Finding(
                    "family_unreachable",
                    Severity.WARNING,
                    f"Nothing answers over {_family_word(family)} from this "
                    "network; the other address family works.",
                    Confidence.HIGH if len(mine) > 2 else Confidence.MEDIUM,
                    tuple(_describe(r) for r in mine[:6]),
                    families=(family,),
                )
            )
    return findings


def _family_word(family: Family) -> str:
    return "IPv6" if family is Family.IPV6 else "IPv4"


def _dead_families(results: Sequence[ProbeResult]) -> set[Family]:
    return {
        f
        for f in Family
        if (mine := [r for r in results if r.spec.family is f])
        and not any(_alive(r) for r in mine)
    }


def _port25_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    dead = _dead_families(results)
    smtp = [
        r
        for r in results
        if r.spec.service is Service.SMTP
        and r.spec.port == 25
        and r.spec.family not in dead
        and (Role.EXCHANGE in r.spec.roles or Role.REFERENCE in r.spec.roles)
    ]
    # A reference that answers from before the point where the others stop
    # (the ISP's own relay) says nothing about the way out: leave it aside.
    stopped = [r for r in smtp if _blocked(r)]
    smtp = [
        r
        for r in smtp
        if not (Role.REFERENCE in r.spec.roles and r.works and not _beyond(r, stopped))
    ]
    if not smtp:
        return []
    blocked_families = []
    how_counts: Counter[str] = Counter()
    how_by_family: dict[Family, str] = {}
    evidence: list[str] = []
    blocked: list[ProbeResult] = []
    same_hosts_answer = False
    for family in Family:
        mine = [r for r in smtp if r.spec.family is family]
        if not mine or not all(_blocked(r) for r in mine):
            continue
        # Proof that the hosts are alive: other ports of the same addresses,
        # or any other port anywhere, answered over this family.
        addresses = {r.spec.address for r in mine}
        others = [
            r
            for r in results
            if r.spec.family is family and r.spec.port != 25 and _alive(r)
        ]
        if not others:
            continue
        # A completed connection to the same host is proof it is up; a reset
        # alone could come from the same filter, so it only counts as likely.
        same_hosts_answer |= any(
            r.spec.address in addresses and _answered(r) for r in others
        )
        blocked_families.append(family)
        blocked += mine
        how_counts.update(HOW[r.outcome] for r in mine)
        family_hows = Counter(HOW[r.outcome] for r in mine)
        how_by_family[family] = family_hows.most_common(1)[0][0]
        evidence += [_describe(r) for r in mine]
        evidence += [_describe(r) for r in others if r.spec.address in addresses][:3]
    if not blocked_families:
        return []
    how = how_counts.most_common(1)[0][0]
    families_text = _families_text(blocked_families, results)
    through = [
        f
        for f in Family
        if f not in blocked_families
        and any(r.works for r in smtp if r.spec.family is f)
    ]
    if families_text and through:
        families_text += f" ({_family_word(through[0])} gets through)"
    resets = [r for r in blocked if r.outcome is Outcome.REFUSED]
    forged = _forged(resets)
    hop = _common_hop(r for r in blocked if HOW[r.outcome] == how)
    # A reference speaks for the network only if it is shown to be up: it
    # answered on another port, or its port 25 stops where the exchanges'
    # does. A reference that is simply down proves nothing.
    references = sorted(
        {
            r.spec.host
            for r in blocked
            if Role.REFERENCE in r.spec.roles and _reference_up(r, results, hop)
        }
    )

    if resets and len(resets) == len(blocked) and forged is False:
        # Every reset came from as far away as its host's own answers: the
        # servers refuse port 25 themselves; the network is not to blame.
        return [
            Finding(
                "port25_refused",
                Severity.WARNING,
                "The mail servers themselves refuse port 25: their resets come "
                "from as far away as their answers on other ports, so this "
                "network is not blocking it.",
                Confidence.HIGH,
                tuple(evidence),
                how="reset",
                families=tuple(blocked_families),
                hop=hop,
                forged=False,
            )
        ]

    sentences = [
        f"This network blocks outgoing port 25{families_text}: connections are "
        f"{_HOW_WORDS[how]}."
    ]
    # An interception's hop is said by the "intercepted" finding itself.
    if hop is not None and how != "intercepted":
        sentences.append(_hop_sentence(how, hop, forged))
    for family, family_how in how_by_family.items():
        if family_how != how:
            sentences.append(
                f"Over {_family_word(family)} they are {_HOW_WORDS[family_how]}."
            )
    if references:
        sentences.append(
            f"Reference targets ({', '.join(references)}) fail on port 25 too: "
            "it is this network, not the mail servers."
        )
    confident = same_hosts_answer or bool(references)
    return [
        Finding(
            "port25_blocked",
            Severity.PROBLEM,
            " ".join(sentences),
            Confidence.HIGH if confident else Confidence.MEDIUM,
            tuple(evidence),
            how=how,
            families=tuple(blocked_families),
            hop=hop,
            forged=forged,
        )
    ]


def _forged(resets: Sequence[ProbeResult]) -> bool | None:
    """True when any reset was forged by a middlebox, False when every one
    was shown to come from its host, None when nothing could tell."""
    known = [r.forged for r in resets if r.forged is not None]
    if any(known):
        return True
    return False if known and len(known) == len(resets) else None


def _hop_sentence(how: str, hop: Hop, forged: bool | None) -> str:
    if how == "filtered":
        return (
            f"Packets to port 25 get no farther than {where(hop)}; to other "
            "ports they go on."
        )
    if how == "reset" and forged:
        return (
            f"The resets are forged by a middlebox at {where(hop)}, not sent "
            "by the mail servers."
        )
    if how == "prohibited":
        return f"The refusal comes from {where(hop)}."
    return f"The answer comes from {where(hop)}."


def _exchange_port25_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    """Port 25 fails to some exchange while port 25 works elsewhere from this
    network (another exchange, or a reference target): not a network block."""
    dead = _dead_families(results)
    smtp = [
        r
        for r in results
        if r.spec.port == 25
        and r.spec.service is Service.SMTP
        and r.spec.family not in dead
    ]
    failing = [
        r
        for r in smtp
        if Role.EXCHANGE in r.spec.roles
        and _blocked(r)
        # A host that answers on no port at all is exchange_down.
        and any(
            _answered(o)
            for o in results
            if o.spec.address == r.spec.address and o is not r
        )
    ]
    working = [
        r
        for r in smtp
        if r.works
        and any(f.spec.family is r.spec.family for f in failing)
        and _beyond(r, failing)
    ]
    failing = [
        r for r in failing if any(w.spec.family is r.spec.family for w in working)
    ]
    if not failing:
        return []
    hosts = tuple(dict.fromkeys(r.spec.host for r in failing))
    references = [w for w in working if Role.REFERENCE in w.spec.roles]
    control = references or working
    named = ", ".join(dict.fromkeys(w.spec.host for w in control))
    kind = "reference target" if references else "exchange"
    how = Counter(HOW[r.outcome] for r in failing).most_common(1)[0][0]
    return [
        Finding(
            "exchange_port25_failed",
            Severity.WARNING,
            f"Port 25 of {', '.join(hosts)} is {_HOW_WORDS[how]}, while the "
            f"{kind} {named} answers on port 25 from this network: the fault "
            "is at that exchange or its provider, not this network.",
            Confidence.HIGH if references else Confidence.MEDIUM,
            tuple(_describe(r) for r in (*failing, *control[:3])),
            how=how,
            families=_families(failing),
            hosts=hosts,
            hop=_common_hop(failing),
        )
    ]


def _families_text(blocked: Sequence[Family], results: Sequence[ProbeResult]) -> str:
    # "Over IPv4 only" says 25 works over the other family; a family where
    # nothing answers at all shows nothing of the kind.
    dead = _dead_families(results)
    probed = [f for f in _families(results) if f not in dead]
    if len(probed) < 2 or len(blocked) == len(probed):
        return ""
    return f" over {_family_word(blocked[0])} only"


def _submission_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    dead = _dead_families(results)
    submission = [
        r
        for r in results
        if r.spec.service in (Service.SUBMISSION, Service.SUBMISSIONS)
        and r.spec.family not in dead
        and Role.REFERENCE not in r.spec.roles
    ]
    if not submission or any(r.works for r in submission):
        return []
    answered_elsewhere = any(
        _answered(r) for r in results if r.spec.service is Service.SMTP
    )
    blocked = [r for r in submission if _blocked(r)]
    if not blocked:
        return []
    how = Counter(HOW[r.outcome] for r in blocked).most_common(1)[0][0]
    return [
        Finding(
            "submission_blocked",
            Severity.PROBLEM,
            "No submission port (587, 465) could be reached: connections are "
            f"{_HOW_WORDS[how]}.",
            Confidence.HIGH if answered_elsewhere else Confidence.MEDIUM,
            tuple(_describe(r) for r in submission[:8]),
            how=how,
            families=_families(blocked),
        )
    ]


def _exchange_findings(
    resolution: Resolution, results: Sequence[ProbeResult]
) -> list[Finding]:
    dead = _dead_families(results)
    findings = []
    hosts = {e.host.name: e.preference for e in resolution.exchanges}
    primary = min(hosts.values(), default=0)
    for name, preference in hosts.items():
        mine = [r for r in results if r.spec.host == name and r.spec.family not in dead]
        others = [r for r in results if r.spec.host != name and _answered(r)]
        if not mine or any(_answered(r) for r in mine) or not others:
            continue
        # Port 25 working to another host shows the network lets it out, so
        # this host's failures are its own. Without that, only total silence
        # says "down": resets from some ports prove the host is up, and its
        # port 25 is then a matter for port25_blocked.
        port25_elsewhere = any(
            r.spec.service is Service.SMTP and _beyond(r, mine) for r in others
        )
        if not any(_alive(r) for r in mine):
            state = "answers on no port: that server is down or unreachable"
        elif port25_elsewhere and all(r.outcome is Outcome.REFUSED for r in mine):
            state = "refuses every port: no mail service runs there"
        elif port25_elsewhere and all(r.outcome.blocked for r in mine):
            state = "accepts no connection on any port"
        else:
            continue
        role = "primary exchange" if preference == primary else "exchange"
        findings.append(
            Finding(
                "exchange_down",
                Severity.WARNING,
                f"The {role} {name} (preference {preference}) {state}, while "
                "other hosts answer; the fault is not this network.",
                Confidence.HIGH,
                tuple(_describe(r) for r in mine),
                hosts=(name,),
                families=_families(mine),
            )
        )
    return findings


def _interception_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    intercepted = [r for r in results if r.outcome is Outcome.INTERCEPTED]
    if not intercepted:
        return []

    def impostor(r: ProbeResult) -> str | None:
        name = r.greeting_host
        if not name or name == r.spec.host or certs.matches(r.spec.host, [name]):
            return None
        return name

    impostors = sorted({n for r in intercepted if (n := impostor(r))})
    ports = sorted({r.spec.port for r in intercepted})
    who = ", ".join(impostors) if impostors else "a middlebox"
    summary = (
        f"Connections to port {', '.join(map(str, ports))} are redirected: "
        f"{who} answers in place of the servers asked for."
    )
    hop = _common_hop(intercepted)
    if hop is not None:
        summary += f" The connection is taken at {where(hop)}."
    return [
        Finding(
            "intercepted",
            Severity.PROBLEM,
            summary,
            Confidence.HIGH,
            tuple(_describe(r) for r in intercepted),
            how="intercepted",
            families=_families(intercepted),
            hosts=tuple(impostors),
            hop=hop,
        )
    ]


def _starttls_findings(
    resolution: Resolution, results: Sequence[ProbeResult]
) -> list[Finding]:
    """STARTTLS missing, masked or refused on the SMTP port (25) of an
    exchange, where the same exchange offers it elsewhere or DNS says it
    should.

    RFC 3207 STARTTLS on port 25 is opportunistic: a path that hides it (a
    firewall's SMTP "fixup" overwriting the keyword, RFC 3207 6's downgrade)
    makes the sending MTA go on in clear text. It is a finding only with
    something to compare: the keyword overwritten in place, the same server
    offering it on another port or over the other family, or the domain
    asking for it in DNS (MTA-STS, RFC 8461; DANE TLSA, RFC 7672).
    """
    evidence: list[str] = []
    hosts: list[str] = []
    stripped: list[ProbeResult] = []
    sure = False
    for r in results:
        if (
            r.spec.service is not Service.SMTP
            or Role.EXCHANGE not in r.spec.roles
            or r.outcome is not Outcome.OPEN
        ):
            continue
        ehlo = r.observation.ehlo
        masked = ehlo is not None and masked_starttls(Reply(ehlo[0], ehlo[1]))
        reply = r.observation.starttls_reply
        refused = reply is not None and reply[0] != 220
        if not (masked or refused or r.starttls is False):
            continue
        offered = [
            o
            for o in results
            if o.spec.host == r.spec.host
            and o is not r
            and o.works
            and (o.starttls or o.spec.service.implicit_tls)
        ]
        other_family = [
            o
            for o in offered
            if o.spec.port == r.spec.port and o.spec.family != r.spec.family
        ]
        dane = r.spec.host in resolution.dane_exchanges
        reasons = []
        if masked:
            reasons.append("the STARTTLS keyword is overwritten in the EHLO reply")
        if refused and reply is not None:
            reasons.append(f"STARTTLS is refused ({reply[0]})")
        if other_family:
            word = _family_word(other_family[0].spec.family)
            reasons.append(f"the same server offers it over {word}")
        elif offered:
            reasons.append(f"the same server offers TLS on port {offered[0].spec.port}")
        if dane:
            reasons.append(f"DNS publishes TLSA records for {r.spec.host} (DANE)")
        if resolution.mta_sts:
            reasons.append(f"{resolution.display_name} publishes an MTA-STS policy")
        if not (masked or offered or dane or resolution.mta_sts):
            continue
        sure |= bool(masked or refused or other_family or dane)
        stripped.append(r)
        hosts.append(r.spec.host)
        evidence.append(f"{_describe(r)}: {'; '.join(reasons)}")
    if not stripped:
        return []
    names = ", ".join(dict.fromkeys(hosts))
    ports = ", ".join(str(p) for p in sorted({r.spec.port for r in stripped}))
    return [
        Finding(
            "starttls_stripped",
            Severity.PROBLEM,
            f"STARTTLS is missing on port {ports} of {names} from this network, "
            "though the server offers it or DNS asks for it: something on "
            "the path strips it, and mail would cross it in clear text.",
            Confidence.HIGH if sure else Confidence.MEDIUM,
            tuple(evidence),
            how="stripped",
            families=_families(stripped),
            hosts=tuple(dict.fromkeys(hosts)),
        )
    ]


def _tls_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    evidence = []
    hosts = []
    for r in results:
        if r.outcome is Outcome.INTERCEPTED:
            continue  # another machine's certificate: reported as intercepted
        tls = r.observation.tls
        problem = r.outcome is Outcome.TLS_FAILED or (
            tls is not None and not tls.verified
        )
        no_tls = (
            r.works and r.spec.service is Service.SUBMISSION and r.starttls is False
        )
        if problem or no_tls:
            evidence.append(_describe(r) + (" (no STARTTLS offered)" if no_tls else ""))
            hosts.append(r.spec.host)
    if not evidence:
        return []
    return [
        Finding(
            "tls_problem",
            Severity.WARNING,
            "TLS is missing or broken on some ports: a mail client will refuse "
            "them or warn about the certificate.",
            Confidence.HIGH,
            tuple(evidence),
            hosts=tuple(dict.fromkeys(hosts)),
        )
    ]


def _greeting_findings(results: Sequence[ProbeResult]) -> list[Finding]:
    findings = []
    rejected = [r for r in results if r.outcome is Outcome.REJECTED]
    if rejected:
        findings.append(
            Finding(
                "greeting_rejected",
                Severity.WARNING,
                "Some servers refuse this connection in their greeting (421 or "
                "554): they may be busy, or refuse this network's address.",
                Confidence.HIGH,
                tuple(_describe(r) for r in rejected),
                hosts=tuple(dict.fromkeys(r.spec.host for r in rejected)),
            )
        )
    not_smtp = [r for r in results if r.outcome is Outcome.NOT_SMTP]
    if not_smtp:
        findings.append(
            Finding(
                "not_smtp",
                Severity.WARNING,
                "Something that is not a working SMTP server answers on some ports.",
                Confidence.HIGH,
                tuple(_describe(r) for r in not_smtp),
                hosts=tuple(dict.fromkeys(r.spec.host for r in not_smtp)),
            )
        )
    return findings


# --- the receiving side ------------------------------------------------------


def _describe_mailbox(result: MailboxResult) -> str:
    spec = result.spec
    return f"{spec.host} [{spec.address}]:{spec.port} {result.outcome.value}" + (
        f" ({result.detail})" if result.detail else ""
    )


def diagnose_incoming(
    resolution: Resolution, results: Sequence[MailboxResult]
) -> tuple[Finding, ...]:
    """Findings about fetching mail, for a check that probed the receiving
    side: no IMAP or POP3 host found, none reachable, or reachable only
    without working TLS."""
    domain = resolution.display_name
    if resolution.routing in (
        MailRouting.NXDOMAIN,
        MailRouting.NULL_MX,
        MailRouting.DNS_FAILURE,
    ):
        return ()
    if not resolution.mailbox_hosts:
        return (
            Finding(
                "incoming_not_found",
                Severity.INFO,
                f"No IMAP or POP3 server found for {domain} (no RFC 6186 SRV "
                "records, no imap./pop./mail. names): the provider may only "
                "offer webmail, or names its server otherwise.",
                Confidence.MEDIUM,
            ),
        )
    if not results:
        return ()
    if not any(r.observation.connected for r in results):
        how = Counter(HOW.get(r.outcome, r.outcome.value) for r in results).most_common(
            1
        )[0][0]
        return (
            Finding(
                "incoming_blocked",
                Severity.PROBLEM,
                "No IMAP or POP3 port of the mail host could be reached: "
                f"connections are {_HOW_WORDS.get(how, how)}.",
                Confidence.HIGH,
                tuple(_describe_mailbox(r) for r in results[:8]),
                how=how,
                families=_families(results),
                hosts=tuple(dict.fromkeys(r.spec.host for r in results)),
            ),
        )
    problems = [
        r
        for r in results
        if r.observation.connected
        and (
            not r.works
            or r.starttls is False
            or (r.observation.tls is not None and not r.observation.tls.verified)
        )
    ]
    if not problems:
        return ()
    secure = [
        r
        for r in results
        if r.works and r.observation.tls is not None and r.observation.tls.verified
    ]
    return (
        Finding(
            "incoming_problem",
            Severity.INFO if secure else Severity.WARNING,
            "Some IMAP or POP3 ports answer without working TLS, refuse the "
            "connection or do not speak the protocol"
            + ("; others work." if secure else ": none can be used safely."),
            Confidence.HIGH,
            tuple(_describe_mailbox(r) for r in problems),
            hosts=tuple(dict.fromkeys(r.spec.host for r in problems)),
        ),
    )
