"""nftables rules of the lab: the ISP's port-25 policy and the host switches.

Each rule set is one table, written to a file and loaded with `nft -f`. The
file first makes sure the table exists, then deletes it and creates it anew,
all in one transaction, so a switch is atomic: no packet ever sees half a
policy.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from pathlib import Path

from lab import addresses as A
from lab.commands import run_in

log = logging.getLogger(__name__)

POLICY_TABLE = "netprobe_port25"
HOSTS_TABLE = "netprobe_hosts"
SMTP_PORT = 25


class Mode(enum.StrEnum):
    """What the ISP does to the hotel's outbound TCP/25 (RFC 5321 port)."""

    # Forwarded like any other traffic.
    NONE = "none"
    # Silently discarded: the client's SYN times out.
    DROP = "drop"
    # Answered with a TCP RST: ECONNREFUSED at once.
    RESET = "reset"
    # Answered with ICMP administratively prohibited (RFC 792 type 3 code
    # 13, RFC 4443 type 1 code 1): EHOSTUNREACH on IPv4, EACCES on IPv6.
    PROHIBITED = "prohibited"
    # Every connection to any address's port 25 is sent to the ISP's own
    # relay instead, which greets as mail.isp.example.
    REDIRECT = "redirect"


class Family(enum.StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    BOTH = "both"

    def covers(self, nfproto: str) -> bool:
        return self is Family.BOTH or self.value == nfproto


# nft verdicts for the modes handled in the forward chain.
FORWARD_VERDICTS = {
    Mode.DROP: "drop",
    Mode.RESET: "reject with tcp reset",
    Mode.PROHIBITED: "reject with icmpx type admin-prohibited",
}
# Where the redirect mode sends each family: the relay on the router itself.
RELAY_TARGETS = {
    "ipv4": f"ip to {A.ISP_RELAY_V4}:{SMTP_PORT}",
    "ipv6": f"ip6 to [{A.ISP_RELAY_V6}]:{SMTP_PORT}",
}


def policy_ruleset(mode: Mode, family: Family) -> str:
    """The np-isp table that applies `mode` to the `family` traffic."""
    forward: list[str] = []
    prerouting: list[str] = []
    hotel = A.HOTEL_ISP.b.name
    for nfproto in ("ipv4", "ipv6"):
        if not family.covers(nfproto):
            continue
        match = f'iifname "{hotel}" meta nfproto {nfproto} tcp dport {SMTP_PORT}'
        if mode in FORWARD_VERDICTS:
            forward.append(f"{match} {FORWARD_VERDICTS[mode]}")
        elif mode is Mode.REDIRECT:
            prerouting.append(f"{match} dnat {RELAY_TARGETS[nfproto]}")
    return _replace_table(
        POLICY_TABLE,
        f"# port-25 policy: mode={mode} family={family}",
        {
            "forward": ("type filter hook forward priority filter", forward),
            "prerouting": ("type nat hook prerouting priority dstnat", prerouting),
        },
    )


def hosts_ruleset(
    off: Iterable[A.Exchange], port25_off: Iterable[A.Exchange] = ()
) -> str:
    """The table that makes every exchange in `off` silent, and the port 25
    of every exchange in `port25_off`, loaded where those exchanges live."""
    off = sorted(off, key=lambda e: e.key)
    port25_off = sorted(port25_off, key=lambda e: e.key)
    rules = []
    for exchange in off:
        # Drop, not reject: a switched-off host sends nothing back. ARP and
        # neighbour discovery still answer, so the router has no reason to
        # report it unreachable either; the client just waits.
        rules += [f"ip daddr {exchange.v4} drop", f"ip6 daddr {exchange.v6} drop"]
    for exchange in port25_off:
        # The exchange's own port 25 alone, for every client: a fault at that
        # exchange or its provider, which a reference target must tell from
        # a network that blocks port 25 everywhere.
        rules += [
            f"ip daddr {exchange.v4} tcp dport {SMTP_PORT} drop",
            f"ip6 daddr {exchange.v6} tcp dport {SMTP_PORT} drop",
        ]
    hosts = ",".join(e.key for e in off) or "none"
    port25 = ",".join(e.key for e in port25_off) or "none"
    return _replace_table(
        HOSTS_TABLE,
        f"# hosts switched off: {hosts}; port 25 switched off: {port25}",
        {"input": ("type filter hook input priority filter", rules)},
    )


def apply_policy(run_dir: Path, mode: Mode, family: Family) -> None:
    """Load the port-25 policy in np-isp and forget tracked connections."""
    _load(run_dir / "firewall" / "port25.nft", A.ISP, policy_ruleset(mode, family))
    # A tracked connection keeps the NAT and verdict it was first given;
    # flushing makes the very next connection meet the new policy.
    run_in(A.ISP, ["conntrack", "-F"])
    log.debug("firewall.policy mode=%s family=%s", mode, family)


def apply_hosts(
    run_dir: Path,
    off: Iterable[A.Exchange],
    port25_off: Iterable[A.Exchange] = (),
) -> None:
    """Load the host switch table in every namespace with a switchable host
    (np-corp, np-net), each with the rules for its own exchanges."""
    off, port25_off = list(off), list(port25_off)
    namespaces = sorted({e.namespace for e in A.SWITCHABLE.values()})
    for namespace in namespaces:
        ruleset = hosts_ruleset(
            [e for e in off if e.namespace == namespace],
            [e for e in port25_off if e.namespace == namespace],
        )
        # No conntrack flush needed: these rules match every packet, not
        # only the first of a connection.
        _load(run_dir / "firewall" / f"hosts-{namespace}.nft", namespace, ruleset)
    log.debug(
        "firewall.hosts off=%s port25_off=%s",
        [e.key for e in off],
        [e.key for e in port25_off],
    )


def _replace_table(
    name: str, comment: str, chains: dict[str, tuple[str, list[str]]]
) -> str:
    # `table` (no body) creates the table when missing, so the `delete`
    # after it cannot fail; the three statements form one transaction.
    lines = [
        comment,
        f"table inet {name}",
        f"delete table inet {name}",
        f"table inet {name} {{",
    ]
    for chain, (hook, rules) in chains.items():
        lines.append(f"\tchain {chain} {{")
        lines.append(f"\t\t{hook}; policy accept;")
        lines += [f"\t\t{rule}" for rule in rules]
        lines.append("\t}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _load(path: Path, namespace: str, ruleset: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ruleset)
    run_in(namespace, ["nft", "-f", str(path)])
