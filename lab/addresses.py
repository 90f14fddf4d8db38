"""The lab's address plan: namespaces, links, addresses and names.

Every address comes from the documentation ranges (RFC 5737 198.51.100.0/24
and 203.0.113.0/24, RFC 3849 2001:db8::/32); 192.0.2.0/24 is left alone
because the host may use it. netprobe's tests hard-code these values, so
changing one is a breaking change for them.

    np-hotel --- np-isp ===== np-net --- np-corp
      (veth)        (TAP pair + delay      (veth)
                     forwarder)

np-net also holds the reference mail host, mx.reference.example, on
addresses of its own (on np-net's loopback), beyond the ISP and its
port-25 policy like a big provider's MX on the internet.
"""

from __future__ import annotations

from dataclasses import dataclass

# Namespace names carry a prefix so they never collide with anything else
# that lives in `ip netns` on the same machine.
HOTEL = "np-hotel"
ISP = "np-isp"
NET = "np-net"
CORP = "np-corp"
NAMESPACES = (HOTEL, ISP, NET, CORP)
ROUTERS = (ISP, NET, CORP)

# The hotel laptop.
HOTEL_V4 = "198.51.100.10"
HOTEL_V6 = "2001:db8:1::10"

# The ISP border router; it also runs the resolver and the ISP relay.
ISP_HOTEL_V4 = "198.51.100.1"
ISP_HOTEL_V6 = "2001:db8:1::1"
ISP_NET_V4 = "203.0.113.1"
ISP_NET_V6 = "2001:db8:2::1"
RESOLVER_V4 = ISP_HOTEL_V4
RESOLVER_V6 = ISP_HOTEL_V6
ISP_RELAY_V4 = ISP_HOTEL_V4
ISP_RELAY_V6 = ISP_HOTEL_V6

# The internet core router.
NET_ISP_V4 = "203.0.113.2"
NET_ISP_V6 = "2001:db8:2::2"
NET_CORP_V4 = "203.0.113.17"
NET_CORP_V6 = "2001:db8:3::1"

# The company's router and its two mail exchanges.
CORP_V4 = "203.0.113.18"
CORP_V6 = "2001:db8:3::2"
MAIL_V4 = "203.0.113.25"
MAIL_V6 = "2001:db8:3::25"
BACKUP_V4 = "203.0.113.26"
BACKUP_V6 = "2001:db8:3::26"

# Nothing answers here: broken.example is forwarded to it.
DEAD_RESOLVER_V4 = "203.0.113.30"

# The reference mail host, a well-known MX probed beside the target domain.
# It must sit beyond the ISP's port-25 block, as a big provider's MX does:
# the ISP's relay on the near side answers on 25 in every mode and would
# make a network-wide block look like a fault of the target's exchanges.
# It has addresses of its own on np-net's loopback (from 203.0.113.32/28
# and 2001:db8:4::/64), not net's link addresses: those have the router's
# PTR name (core.net.example) and serve the SERVFAIL server, and switching
# the host off must silence the mail host alone. np-isp's default route
# already leads to np-net, and np-net delivers to its own loopback, so no
# route is added anywhere.
REFERENCE_V4 = "203.0.113.40"
REFERENCE_V6 = "2001:db8:4::40"

HOTEL_PREFIX_V4 = "198.51.100.0/24"
HOTEL_PREFIX_V6 = "2001:db8:1::/64"
CORP_PREFIX_V4 = "203.0.113.16/28"
CORP_PREFIX_V6 = "2001:db8:3::/64"


@dataclass(frozen=True)
class Interface:
    """One end of a link, as it is named and numbered inside its namespace."""

    namespace: str
    name: str
    v4: tuple[str, ...]
    v6: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    """A point-to-point link between two namespaces."""

    a: Interface
    b: Interface


HOTEL_ISP = Link(
    Interface(HOTEL, "isp0", (f"{HOTEL_V4}/24",), (f"{HOTEL_V6}/64",)),
    Interface(ISP, "hotel0", (f"{ISP_HOTEL_V4}/24",), (f"{ISP_HOTEL_V6}/64",)),
)
# This link is a TAP pair joined by the delay forwarder (see lab.forwarder):
# the kernel here has no netem qdisc, so latency is added in user space.
ISP_NET = Link(
    Interface(ISP, "net0", (f"{ISP_NET_V4}/28",), (f"{ISP_NET_V6}/64",)),
    Interface(NET, "isp0", (f"{NET_ISP_V4}/28",), (f"{NET_ISP_V6}/64",)),
)
NET_CORP = Link(
    Interface(NET, "corp0", (f"{NET_CORP_V4}/28",), (f"{NET_CORP_V6}/64",)),
    Interface(
        CORP,
        "net0",
        (f"{CORP_V4}/28", f"{MAIL_V4}/28", f"{BACKUP_V4}/28"),
        (f"{CORP_V6}/64", f"{MAIL_V6}/64", f"{BACKUP_V6}/64"),
    ),
)
VETH_LINKS = (HOTEL_ISP, NET_CORP)
# Addresses a namespace holds on its loopback rather than on a link.
LOOPBACK_ADDRESSES = (
    Interface(NET, "lo", (f"{REFERENCE_V4}/32",), (f"{REFERENCE_V6}/128",)),
)

# Root-namespace names of the TAP devices while the forwarder creates them,
# before they move into np-isp and np-net and take their final names.
TAP_ISP = "np-tap-isp"
TAP_NET = "np-tap-net"


@dataclass(frozen=True)
class Route:
    namespace: str
    destination: str
    via: str


ROUTES = (
    Route(HOTEL, "default", ISP_HOTEL_V4),
    Route(HOTEL, "default", ISP_HOTEL_V6),
    Route(ISP, "default", NET_ISP_V4),
    Route(ISP, "default", NET_ISP_V6),
    Route(NET, HOTEL_PREFIX_V4, ISP_NET_V4),
    Route(NET, HOTEL_PREFIX_V6, ISP_NET_V6),
    Route(CORP, "default", NET_CORP_V4),
    Route(CORP, "default", NET_CORP_V6),
)


@dataclass(frozen=True)
class Exchange:
    """A mail host of the lab: its name, addresses and where it runs."""

    key: str
    name: str
    v4: str
    v6: str
    namespace: str


MAIL = Exchange("mail", "mail.whaler.example", MAIL_V4, MAIL_V6, CORP)
BACKUP = Exchange("backup", "backup.whaler.example", BACKUP_V4, BACKUP_V6, CORP)
ISP_RELAY = Exchange("isp", "mail.isp.example", ISP_RELAY_V4, ISP_RELAY_V6, ISP)
REFERENCE = Exchange(
    "reference", "mx.reference.example", REFERENCE_V4, REFERENCE_V6, NET
)
EXCHANGES = (MAIL, BACKUP, ISP_RELAY, REFERENCE)
# Hosts that `host off NAME` and `port25 off NAME` can switch off. Not the
# relay: it lives on the ISP router itself, whose other services (the
# resolver, the router's own answers) must keep working.
SWITCHABLE = {MAIL.key: MAIL, BACKUP.key: BACKUP, REFERENCE.key: REFERENCE}
