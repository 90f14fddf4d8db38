"""Namespaces, links, addresses and routes of the lab network.

Everything is made with `ip` inside the lab's own namespaces: the veth pairs
are created directly in their namespaces, and the two TAP devices of the
isp-net link (made by the delay forwarder in the root namespace, the only
place it can open them) are moved out at once, so no interface of the lab
stays in the root namespace and nothing routes off the machine.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path

from lab import addresses as A
from lab.commands import run, run_in
from lab.errors import LabError

log = logging.getLogger(__name__)

NETNS_RUN_DIR = Path("/run/netns")
# `ip netns exec NS` bind-mounts every file of /etc/netns/NS over /etc.
NETNS_ETC_DIR = Path("/etc/netns")

# Applied in every namespace before any interface exists, so each new
# interface takes these as its defaults.
COMMON_SYSCTLS = (
    # DAD would hold addresses "tentative" for a second or more after up.
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.all.accept_ra=0",
    "net.ipv6.conf.default.accept_ra=0",
    "net.ipv6.conf.all.disable_ipv6=0",
    "net.ipv6.conf.default.disable_ipv6=0",
    # IPv4 settings are inherited from the root namespace; the host's
    # reverse-path filter must not decide what the lab forwards.
    "net.ipv4.conf.all.rp_filter=0",
    "net.ipv4.conf.default.rp_filter=0",
)
ROUTER_SYSCTLS = (
    "net.ipv4.ip_forward=1",
    "net.ipv6.conf.all.forwarding=1",
    "net.ipv6.conf.default.forwarding=1",
    # Rate limiting would hide ICMP errors (admin-prohibited, time
    # exceeded) that netprobe's probes are meant to observe.
    "net.ipv4.icmp_ratelimit=0",
    "net.ipv6.icmp.ratelimit=0",
)


def existing_namespaces() -> list[str]:
    """The lab's namespaces that exist right now."""
    return [ns for ns in A.NAMESPACES if (NETNS_RUN_DIR / ns).exists()]


def create_namespaces() -> None:
    """Make the four namespaces with loopback up and their sysctls set."""
    for namespace in A.NAMESPACES:
        run(["ip", "netns", "add", namespace])
        sysctls = list(COMMON_SYSCTLS)
        if namespace in A.ROUTERS:
            sysctls += ROUTER_SYSCTLS
        run_in(namespace, ["sysctl", "-q", "-w", *sysctls])
        run(["ip", "-n", namespace, "link", "set", "lo", "up"])
        _write_resolv_conf(namespace)


def create_veth_links() -> None:
    """The hotel-isp and net-corp links, each end born in its namespace."""
    for link in A.VETH_LINKS:
        run(
            [
                "ip", "-n", link.a.namespace, "link", "add", link.a.name,
                "type", "veth",
                "peer", "name", link.b.name, "netns", link.b.namespace,
            ]
        )  # fmt: skip


def adopt_taps() -> None:
    """Move the forwarder's TAP devices into np-isp and np-net."""
    moves = ((A.TAP_ISP, A.ISP_NET.a), (A.TAP_NET, A.ISP_NET.b))
    for tap, end in moves:
        run(["ip", "link", "set", tap, "netns", end.namespace])
        run(["ip", "-n", end.namespace, "link", "set", tap, "name", end.name])


def configure() -> None:
    """Addresses, link state and routes, one `ip -batch` per namespace."""
    batches: dict[str, list[str]] = {ns: [] for ns in A.NAMESPACES}
    for link in (A.HOTEL_ISP, A.ISP_NET, A.NET_CORP):
        for end in (link.a, link.b):
            batch = batches[end.namespace]
            batch += [f"address add {cidr} dev {end.name}" for cidr in end.v4]
            # nodad: usable at once, not "tentative" (belt and braces with
            # accept_dad=0, which only covers addresses the kernel makes).
            batch += [f"address add {cidr} dev {end.name} nodad" for cidr in end.v6]
            batch.append(f"link set {end.name} up")
    for host in A.LOOPBACK_ADDRESSES:
        batch = batches[host.namespace]
        batch += [f"address add {cidr} dev {host.name}" for cidr in host.v4]
        batch += [f"address add {cidr} dev {host.name} nodad" for cidr in host.v6]
    for route in A.ROUTES:
        # `ip -batch` takes no per-line -4/-6; `ip route` infers the family
        # from the gateway, even for `default`.
        batches[route.namespace].append(
            f"route add {route.destination} via {route.via}"
        )
    for namespace, batch in batches.items():
        log.debug("topology.configure ns=%s commands=%d", namespace, len(batch))
        run(["ip", "-n", namespace, "-batch", "-"], input="\n".join(batch) + "\n")


def destroy() -> list[str]:
    """Delete the lab's namespaces and their /etc/netns files.

    Returns what could not be removed (empty when everything went).
    """
    leftovers = []
    for namespace in A.NAMESPACES:
        if (NETNS_RUN_DIR / namespace).exists():
            result = run(["ip", "netns", "del", namespace], check=False)
            if result.returncode != 0:
                log.warning(
                    "topology.destroy ns=%s failed: %s",
                    namespace,
                    result.stderr.strip(),
                )
                leftovers.append(namespace)
        shutil.rmtree(NETNS_ETC_DIR / namespace, ignore_errors=True)
    # /etc/netns is ip's directory, not ours: remove it only if we emptied it.
    with contextlib.suppress(FileNotFoundError, OSError):
        NETNS_ETC_DIR.rmdir()
    return leftovers


def namespace_pids(namespace: str) -> list[int]:
    """PIDs of the processes living in one of the lab's namespaces."""
    result = run(["ip", "netns", "pids", namespace], check=False)
    if result.returncode != 0:
        return []
    return [int(pid) for pid in result.stdout.split()]


def _write_resolv_conf(namespace: str) -> None:
    # Every namespace asks the ISP resolver, as the hotel's DHCP would say;
    # the relay's Postfix in np-isp needs it to find whaler.example's MX.
    directory = NETNS_ETC_DIR / namespace
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "resolv.conf").write_text(f"nameserver {A.RESOLVER_V4}\n")
    except OSError as error:
        raise LabError(f"cannot write {directory}/resolv.conf: {error}") from error
