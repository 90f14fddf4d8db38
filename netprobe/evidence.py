"""Evidence: what recorded packets say about a port, with no I/O.

``packets`` sends SYNs from raw sockets and records what comes back; this
module decides what that means, from values alone, so that every rule can
be tested with packets written by hand:

- which captured packet answers which SYN (:func:`reply_to`): by address
  and port, by the acknowledgement of the SYN's sequence number, and, for an
  ICMP error, by the headers of the SYN it quotes;
- how far away the sender of a reply is, from the TTL it arrived with
  (:func:`distance`);
- what an ICMP error says (RFC 792, RFC 1122, RFC 1812, RFC 4443);
- what one port's evidence says against the same host's answer on a working
  port (:func:`read_port`): a reset forged by a middlebox, a connection
  taken by a closer machine, the router that prohibits, the last router a
  silent port's packets reach.

Distances count as traceroute does: the first router is hop 1 (see
``model.Hop``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from netprobe.model import Answer, Family, Hop, PacketReply, SynProbe, Trace

# The initial TTLs stacks use: 64 (Linux, the BSDs, macOS; RFC 1700's
# default), 128 (Windows) and 255 (most routers' own packets). A received
# TTL is read as having started at the next of these at or above it.
INITIAL_TTLS = (64, 128, 255)

# TCP flag bits (RFC 9293 3.1).
SYN, RST, ACK = 0x02, 0x04, 0x10

# ICMP message types: RFC 792 for IPv4, RFC 4443 2.1 for IPv6.
UNREACHABLE_TYPE = {Family.IPV4: 3, Family.IPV6: 1}
TIME_EXCEEDED_TYPE = {Family.IPV4: 11, Family.IPV6: 3}

# Destination unreachable codes. IPv4: 0-5 from RFC 792, 6-12 from RFC 1122
# 3.2.2.1, 13-15 from RFC 1812 5.2.7.1. IPv6: RFC 4443 3.1.
_UNREACHABLE_CODES = {
    Family.IPV4: {
        0: "network unreachable",
        1: "host unreachable",
        2: "protocol unreachable",
        3: "port unreachable",
        4: "fragmentation needed",
        5: "source route failed",
        6: "destination network unknown",
        7: "destination host unknown",
        8: "source host isolated",
        9: "network administratively prohibited",
        10: "host administratively prohibited",
        11: "network unreachable for the type of service",
        12: "host unreachable for the type of service",
        13: "communication administratively prohibited",
        14: "host precedence violation",
        15: "precedence cutoff in effect",
    },
    Family.IPV6: {
        0: "no route to destination",
        1: "communication administratively prohibited",
        2: "beyond scope of source address",
        3: "address unreachable",
        4: "port unreachable",
        5: "source address failed ingress/egress policy",
        6: "reject route to destination",
    },
}
# The codes that say a policy, not a fault, stopped the packet: IPv4 9 and
# 10 (RFC 1122) and 13 (RFC 1812, what filtering routers send); IPv6 1, and
# 5 and 6, which RFC 4443 3.1 calls "more informative subsets of code 1".
_PROHIBITED_CODES = {Family.IPV4: {9, 10, 13}, Family.IPV6: {1, 5, 6}}
_PORT_UNREACHABLE_CODE = {Family.IPV4: 3, Family.IPV6: 4}


# --- what was sent and what was captured ------------------------------------


@dataclass(frozen=True)
class Sent:
    """One SYN as it left: from ``source``:``local_port`` to ``address``:``port``."""

    family: Family
    source: str
    address: str
    port: int
    local_port: int
    seq: int
    ttl: int
    at: float


@dataclass(frozen=True)
class Segment:
    """The TCP header fields a reply is matched on."""

    sport: int
    dport: int
    seq: int
    ack: int
    flags: int


@dataclass(frozen=True)
class Quoted:
    """The start of the packet an ICMP error quotes.

    RFC 792 promises the IP header and the first 64 bits of the payload:
    for TCP the ports and the sequence number. ``seq`` is None when a
    router quoted less.
    """

    source: str
    destination: str
    protocol: int
    sport: int | None
    dport: int | None
    seq: int | None


@dataclass(frozen=True)
class Captured:
    """One received packet, reduced to what matching and reading need."""

    family: Family
    source: str
    destination: str
    ttl: int
    at: float
    segment: Segment | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    quoted: Quoted | None = None


def reply_to(sent: Sent, packet: Captured) -> PacketReply | None:
    """The reply ``packet`` is to ``sent``, or None when it answers another.

    Many SYNs are out at once, to the same hosts, beside the connections of
    the socket probes; each SYN has its own reserved source port and a
    random sequence number, and a reply must match both.
    """
    if packet.family is not sent.family:
        return None
    seconds = max(0.0, packet.at - sent.at)
    segment = packet.segment
    if segment is not None:
        if (
            packet.source != sent.address
            or segment.sport != sent.port
            or segment.dport != sent.local_port
            # RFC 9293 3.10.7.3: a SYN-ACK, and a reset sent in answer to a
            # SYN, both acknowledge the SYN's sequence number plus one.
            or not segment.flags & ACK
            or segment.ack != (sent.seq + 1) % 2**32
        ):
            return None
        if segment.flags & RST:
            answer = Answer.RESET
        elif segment.flags & SYN:
            answer = Answer.SYN_ACK
        else:
            return None
        return PacketReply(answer, packet.source, packet.ttl, seconds)

    quoted = packet.quoted
    if quoted is None or packet.icmp_type is None:
        return None
    if (
        quoted.protocol != 6
        or quoted.destination != sent.address
        or quoted.dport != sent.port
    ):
        return None
    # A NAT between here and the router may leave its own address and port
    # in the quote; the random sequence number still names the SYN.
    same_port = quoted.sport == sent.local_port and quoted.seq in (None, sent.seq)
    if not same_port and quoted.seq != sent.seq:
        return None
    if packet.icmp_type == UNREACHABLE_TYPE[sent.family]:
        answer = Answer.UNREACHABLE
    elif packet.icmp_type == TIME_EXCEEDED_TYPE[sent.family]:
        answer = Answer.TIME_EXCEEDED
    else:
        return None
    return PacketReply(
        answer,
        packet.source,
        packet.ttl,
        seconds,
        icmp_type=packet.icmp_type,
        icmp_code=packet.icmp_code,
    )


# --- distances and ICMP words ----------------------------------------------


def initial_ttl(received: int) -> int:
    return next((t for t in INITIAL_TTLS if received <= t), INITIAL_TTLS[-1])


def distance(received: int) -> int:
    """The hop the sender of a packet received with this TTL sits at.

    A packet from the first router arrives with its initial TTL untouched,
    and each router after it takes one off: hop = initial - received + 1.
    """
    return initial_ttl(received) - received + 1


def prohibited(family: Family, reply: PacketReply) -> bool:
    """An ICMP destination unreachable that names a policy as the reason."""
    return (
        reply.answer is Answer.UNREACHABLE
        and reply.icmp_code in _PROHIBITED_CODES[family]
    )


def icmp_words(family: Family, reply: PacketReply) -> str:
    """``ICMP type 3 code 13 (communication administratively prohibited)``."""
    protocol = "ICMPv6" if family is Family.IPV6 else "ICMP"
    text = f"{protocol} type {reply.icmp_type} code {reply.icmp_code}"
    if reply.answer is Answer.TIME_EXCEEDED:
        return f"{text} (time exceeded in transit)"
    meaning = _UNREACHABLE_CODES[family].get(reply.icmp_code or 0)
    return f"{text} ({meaning})" if meaning else text


# --- traceroutes -------------------------------------------------------------


def reached(trace: Trace) -> SynProbe | None:
    """The first hop where the port itself (or something in its place)
    answered, rather than a router on the way."""
    return next(
        (
            h
            for h in trace.hops
            if h.reply.answer in (Answer.SYN_ACK, Answer.RESET, Answer.UNREACHABLE)
        ),
        None,
    )


def last_router(trace: Trace) -> SynProbe | None:
    """The farthest hop whose router said the SYN's TTL ran out there."""
    routers = [h for h in trace.hops if h.reply.answer is Answer.TIME_EXCEEDED]
    return max(routers, key=lambda h: h.ttl, default=None)


def hop_at(number: int, traces: Sequence[Trace], names: Mapping[str, str]) -> Hop:
    """The machine at hop ``number``, named by any trace that saw it."""
    for trace in traces:
        for h in trace.hops:
            if h.ttl == number and h.reply.answer is Answer.TIME_EXCEEDED:
                address = h.reply.source
                return Hop(address, names.get(address or ""), number)
    return Hop(None, None, number)


def router_hop(
    reply: PacketReply, traces: Sequence[Trace], names: Mapping[str, str]
) -> Hop:
    """The hop of the router that sent an ICMP error.

    Its place in a traceroute is a count of routers; its reply's TTL is a
    guess at an initial value, so the traceroute wins when it saw the router.
    """
    for trace in traces:
        for h in trace.hops:
            if h.reply.source == reply.source and h.reply.answer is (
                Answer.TIME_EXCEEDED
            ):
                return Hop(reply.source, names.get(reply.source or ""), h.ttl)
    number = distance(reply.ttl) if reply.ttl is not None else None
    return Hop(reply.source, names.get(reply.source or ""), number)


# --- reading one port --------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What the packet evidence says about one probed port.

    ``refused_by_router``: an ICMP error from a router (not the host) turned
    the SYN away. ``forged``: for a reset, whether a middlebox sent it in
    the server's name (None when there is nothing to compare with).
    ``intercepted``: the SYN-ACK came from another distance than the host's
    own answers. ``hop``: the machine the evidence points at.
    """

    answer: Answer
    detail: str
    hop: Hop | None = None
    forged: bool | None = None
    intercepted: bool = False
    prohibited: bool = False
    refused_by_router: bool = False


def _where(hop: Hop) -> str:
    name = f" ({hop.name})" if hop.name else ""
    return (
        f"hop {hop.distance}, {hop.address}{name}"
        if hop.address
        else (f"hop {hop.distance}")
    )


def read_port(
    probe: SynProbe,
    baseline: SynProbe | None,
    traces: Sequence[Trace],
    names: Mapping[str, str],
) -> Reading:
    """Read one port's SYN probe against the same host's working port.

    ``baseline`` is a SYN-ACK from another port of the same address: the
    host's own answer, whose distance is the host's. ``traces`` are the
    traceroutes to this address (any port).
    """
    reply = probe.reply
    family = probe.family
    own = distance(reply.ttl) if reply.ttl is not None else None
    base = (
        distance(baseline.reply.ttl)
        if baseline is not None and baseline.reply.ttl is not None
        else None
    )
    against = (
        f"{probe.address} answers port {baseline.port} from hop {base}"
        if (baseline is not None and base is not None)
        else ""
    )

    if reply.answer is Answer.NONE:
        stop = _silent_stop(probe, traces, names)
        if stop is None:
            return Reading(Answer.NONE, "a raw SYN got no answer either")
        return Reading(
            Answer.NONE,
            f"a raw SYN got no answer either; the last router that answers on "
            f"port {probe.port} is {_where(stop)}",
            hop=stop,
        )

    if reply.answer is Answer.RESET and own is not None:
        if base is None:
            return Reading(Answer.RESET, f"the reset comes from hop {own}")
        if own == base:
            # Limitation: a firewall as far away as the host (in front of
            # it, or on it) forges resets that look just like the host's.
            return Reading(
                Answer.RESET,
                f"the reset comes from hop {own}, as far as the host's own "
                f"answers: the host refused",
                hop=Hop(probe.address, None, own),
                forged=False,
            )
        hop = hop_at(own, traces, names)
        return Reading(
            Answer.RESET,
            f"the reset comes from {_where(hop)}, while {against}: a "
            "middlebox forged it",
            hop=hop,
            forged=True,
        )

    if reply.answer is Answer.SYN_ACK and own is not None:
        if base is None or own == base:
            return Reading(Answer.SYN_ACK, f"SYN-ACK from hop {own}")
        hop = hop_at(own, traces, names)
        return Reading(
            Answer.SYN_ACK,
            f"the SYN-ACK comes from {_where(hop)}, while {against}: another "
            "machine took the connection",
            hop=hop,
            intercepted=True,
        )

    if reply.answer is Answer.UNREACHABLE:
        hop = router_hop(reply, traces, names)
        words = icmp_words(family, reply)
        if reply.source == probe.address:
            return Reading(Answer.UNREACHABLE, f"{words} from the host itself", hop=hop)
        by_policy = prohibited(family, reply)
        # A firewall's plain "reject" sends port unreachable (iptables'
        # REJECT default, nftables' reject): from a router, not the host,
        # that too is a refusal by policy.
        port_rejected = reply.icmp_code == _PORT_UNREACHABLE_CODE[family]
        return Reading(
            Answer.UNREACHABLE,
            f"{words} from {_where(hop)}",
            hop=hop,
            prohibited=by_policy,
            refused_by_router=by_policy or port_rejected,
        )

    if reply.answer is Answer.TIME_EXCEEDED:
        hop = router_hop(reply, traces, names)
        return Reading(
            Answer.TIME_EXCEEDED,
            f"the SYN's TTL ran out at {_where(hop)}: a routing loop",
            hop=hop,
        )
    return Reading(reply.answer, "")


def _silent_stop(
    probe: SynProbe, traces: Sequence[Trace], names: Mapping[str, str]
) -> Hop | None:
    """Where packets to a silent port stop: the last router that answered
    a traceroute to that port, when the port was never reached."""
    mine = [t for t in traces if t.port == probe.port]
    if not mine or reached(mine[0]) is not None:
        return None
    last = last_router(mine[0])
    if last is None or last.reply.source is None:
        return None
    return Hop(last.reply.source, names.get(last.reply.source), last.ttl)


def baseline_for(
    probes: Sequence[SynProbe], address: str, port: int
) -> SynProbe | None:
    """The host's own answer to compare a port with: a SYN-ACK from another
    port of the same address. Never port 25: that is the port middleboxes
    take, and a redirected 25 would make every honest port look forged."""
    answered = [
        p
        for p in probes
        if p.address == address
        and p.port not in (port, 25)
        and p.reply.answer is Answer.SYN_ACK
        and p.reply.ttl is not None
    ]
    return min(answered, key=lambda p: p.port, default=None)
