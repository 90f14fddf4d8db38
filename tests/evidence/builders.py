"""Packet evidence written by hand: replies, SYN probes and traceroutes.

The geometry is the hotel of DESIGN.md: the ISP router 198.51.100.1
(2001:db8:1::1) is hop 1, the core router hop 2, the company's router hop
3, and mail.whaler.example (203.0.113.25, 2001:db8:3::25) hop 4, so its
Linux SYN-ACKs arrive with TTL 61.
"""

from __future__ import annotations

from collections.abc import Sequence

from netprobe.model import Answer, Family, PacketReply, SynProbe, Trace
from netprobe.plan import family_of

MAIL_V4, MAIL_V6 = "203.0.113.25", "2001:db8:3::25"
ISP_V4, ISP_V6 = "198.51.100.1", "2001:db8:1::1"
CORE_V4, CORP_V4 = "203.0.113.2", "203.0.113.17"
ROUTERS_V4 = (ISP_V4, CORE_V4, CORP_V4)
ISP_NAME = "gw.isp.example"


def reply(
    answer: Answer,
    source: str | None,
    ttl: int | None,
    *,
    icmp: tuple[int, int] | None = None,
    seconds: float = 0.02,
) -> PacketReply:
    return PacketReply(
        answer,
        source,
        ttl,
        seconds,
        icmp_type=icmp[0] if icmp else None,
        icmp_code=icmp[1] if icmp else None,
    )


def syn(address: str, port: int, answer: PacketReply, ttl: int = 64) -> SynProbe:
    return SynProbe(address, family_of(address), port, ttl, answer)


def syn_ack(address: str, port: int, ttl: int = 61) -> SynProbe:
    return syn(address, port, reply(Answer.SYN_ACK, address, ttl))


def reset(address: str, port: int, ttl: int) -> SynProbe:
    return syn(address, port, reply(Answer.RESET, address, ttl))


def silent(address: str, port: int) -> SynProbe:
    return syn(address, port, PacketReply(Answer.NONE))


def icmp(address: str, port: int, router: str, kind: tuple[int, int]) -> SynProbe:
    return syn(address, port, reply(Answer.UNREACHABLE, router, 64, icmp=kind))


def trace(
    address: str,
    port: int,
    routers: Sequence[str | None],
    end: PacketReply | None = None,
) -> Trace:
    """Routers answering TTL 1, 2, ... (None: that hop stayed silent), then
    ``end`` at the next TTL, if given."""
    family = family_of(address)
    exceeded = (11, 0) if family is Family.IPV4 else (3, 0)
    hops = [
        SynProbe(
            address,
            family,
            port,
            ttl,
            reply(Answer.TIME_EXCEEDED, router, 64 - ttl + 1, icmp=exceeded)
            if router
            else PacketReply(Answer.NONE),
        )
        for ttl, router in enumerate(routers, start=1)
    ]
    if end is not None:
        hops.append(SynProbe(address, family, port, len(hops) + 1, end))
    return Trace(address, family, port, tuple(hops))
