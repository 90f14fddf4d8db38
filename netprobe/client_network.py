"""What kind of network a client address sits in, from its address and name.

Offline by design: the address ranges come from the IANA special-purpose
registries, the kinds of access network from the words ISPs, carriers and
hotels put in reverse names. A reverse name is a hint, not proof, and the
reason given says which word matched.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

__all__ = ["ClientNetwork", "NetworkKind", "classify_client", "is_internal_address"]


class NetworkKind(enum.StrEnum):
    LOOPBACK = "loopback"
    PRIVATE = "private"
    CGNAT = "carrier-grade NAT"
    LINK_LOCAL = "link-local"
    MOBILE = "mobile network"
    HOTEL = "hotel or guest network"
    RESIDENTIAL = "residential ISP line"
    HOSTING = "hosting or cloud provider"
    MAIL_SERVER = "mail server"
    PUBLIC = "public address"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ClientNetwork:
    kind: NetworkKind
    reason: str


_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _address_kind(text: str) -> ClientNetwork | None:
    addr = _address(text)
    if addr is None:
        return None
    # Python's is_private also covers the documentation ranges (RFC 5737,
    # RFC 3849), which stand for public addresses in examples and in the
    # project's test network; so the ranges are listed here explicitly.
    if addr.is_loopback:
        return ClientNetwork(NetworkKind.LOOPBACK, "the same host")
    if addr.is_link_local:
        return ClientNetwork(NetworkKind.LINK_LOCAL, "valid on one network link only")
    if addr in _CGNAT:
        return ClientNetwork(
            NetworkKind.CGNAT,
            "RFC 6598 shared address space, typical of mobile carriers",
        )
    if any(addr in net for net in _PRIVATE_NETS):
        return ClientNetwork(NetworkKind.PRIVATE, "RFC 1918 or RFC 4193 address")
    if addr.is_unspecified:
        return ClientNetwork(NetworkKind.UNKNOWN, "unspecified address")
    return None


def is_internal_address(text: str | None) -> bool:
    """True for loopback, link-local, private and CGNAT addresses."""
    if text is None:
        return False
    kind = _address_kind(text)
    return kind is not None and kind.kind is not NetworkKind.UNKNOWN


def _label_words(words: str) -> re.Pattern[str]:
    # A word counts when it stands as a name label or a dash-separated part
    # of one, optionally followed by digits ("dsl092", "pool0", "dip0").
    alternatives = "|".join(words.split())
    return re.compile(rf"(?:^|[.\-])(?:{alternatives})\d*(?=[.\-]|$)", re.IGNORECASE)


# Checked in this order: a carrier or hotel word beats a generic ISP word.
_NAME_HINTS: tuple[tuple[NetworkKind, re.Pattern[str]], ...] = (
    (
        NetworkKind.MOBILE,
        _label_words(
            "mobile mobil gprs umts lte 3g 4g 5g myvzw vzw tmodns cellular "
            "wireless mobileinternet"
        ),
    ),
    (
        NetworkKind.HOTEL,
        _label_words(
            "hotel hotels guest guests hotspot wifi resort hospitality wayport "
            "ibahn boingo attwifi"
        ),
    ),
    (
        NetworkKind.RESIDENTIAL,
        _label_words(
            "dsl adsl xdsl vdsl sdsl cable dialup dial dialin ppp pppoe dyn "
            "dynamic dhcp pool pools client cust customer home broadband ftth "
            "fttx fiber fibre catv kabel dip range btcentralplus res residential "
            "user subscriber flat"
        ),
    ),
    (
        NetworkKind.HOSTING,
        _label_words(
            "amazonaws compute ec2 linode members vps ovh hetzner your-server "
            "digitalocean googleusercontent cloud dedicated colo hosting "
            "kimsufi contabo"
        ),
    ),
    (
        NetworkKind.MAIL_SERVER,
        _label_words(
            "mail smtp mx mta relay out outbound mailout smtpout smtp-out mout "
            "forward mailgw gw"
        ),
    ),
)


def _name_hint(name: str) -> tuple[NetworkKind, str] | None:
    for kind, pattern in _NAME_HINTS:
        match = pattern.search(name.rstrip("."))
        if match:
            return kind, match.group(0).strip(".-")
    return None


def classify_client(
    addr: str | None, rdns: str | None, helo: str | None = None
) -> ClientNetwork:
    """Say what kind of network ``addr`` (with reverse name ``rdns``) is in.

    The HELO name is used only when there is no reverse name, and said to be
    the client's own claim.
    """
    by_address = _address_kind(addr) if addr else None
    if by_address is not None:
        return by_address
    if rdns:
        hint = _name_hint(rdns)
        if hint is not None:
            return ClientNetwork(hint[0], f"reverse name {rdns} ({hint[1]!r})")
    elif helo and "." in helo and not helo.startswith("["):
        hint = _name_hint(helo)
        if hint is not None:
            reason = f"HELO name {helo} ({hint[1]!r}), as the client claims"
            return ClientNetwork(hint[0], reason)
    if addr and _address(addr) is not None:
        reason = f"reverse name {rdns} says nothing more" if rdns else "no reverse name"
        return ClientNetwork(NetworkKind.PUBLIC, reason)
    return ClientNetwork(NetworkKind.UNKNOWN, "no address recorded")
