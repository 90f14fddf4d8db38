"""The trust boundary against SpamAssassin's t/trust_path.t cases.

Only the cases this tool can express are used: configurations listing
trusted (or, failing that, internal) networks without exclusions, and header
blocks of Received lines alone. The others test SpamAssassin features that
netprobe does not have (``!`` exclusions, msa_networks, X-Originating-IP).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest

from netprobe.headerblock import read_header_block
from netprobe.journey import Hop, IPNetwork, PathOptions, Trust, build_journey
from tests.path.conftest import corpus_dir, corpus_params, load_annotated

DATA: dict[str, Any] = load_annotated("sa_trust_path.json") or {"cases": []}
CASES: list[dict[str, Any]] = DATA["cases"]


def _netset(config: list[str]) -> tuple[IPNetwork, ...] | None:
    """Read SpamAssassin's netset syntax ("1.2/16", "127/8"); None if unusable."""
    lines = {line.split()[0]: line.split()[1:] for line in config}
    if set(lines) - {"trusted_networks", "internal_networks"}:
        return None
    words = lines.get("trusted_networks", lines.get("internal_networks", []))
    if any(w.startswith("!") for w in words):
        return None
    nets: list[IPNetwork] = []
    for word in words:
        address, _, prefix = word.partition("/")
        if ":" not in address:
            octets = address.split(".")
            prefix = prefix or str(8 * len(octets))
            address = ".".join(octets + ["0"] * (4 - len(octets)))
        nets.append(ipaddress.ip_network(f"{address}/{prefix or 128}", strict=False))
    return tuple(nets)


def _usable(case: dict[str, Any]) -> bool:
    only_received = all(h.startswith("Received:") for h in case["headers"])
    return only_received and _netset(case["config"]) is not None


USABLE = [i for i, case in enumerate(CASES) if _usable(case)]
_IP = re.compile(r"ip=(\S+)")


def _ips(relays: list[str]) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    out = []
    for relay in relays:
        match = _IP.search(relay)
        assert match is not None
        out.append(ipaddress.ip_address(match.group(1)))
    return out


def _addr(hop: Hop) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    assert hop.line.from_addr is not None
    return ipaddress.ip_address(hop.line.from_addr)


@pytest.mark.parametrize("index", corpus_params(USABLE, "trust"))
def test_trust_spamassassin_case_splits_trusted_from_untrusted(index: int) -> None:
    corpus_dir()
    case = CASES[index]
    nets = _netset(case["config"])
    assert nets is not None
    data = ("\r\n".join(case["headers"]) + "\r\n\r\n").encode()
    journey = build_journey(read_header_block(data), PathOptions(trusted_networks=nets))

    # SpamAssassin lists relays newest first; a relay is trusted when the
    # host that handed it over is, which here is Trust.RECEIVER.
    newest_first = list(reversed(journey.hops))
    trusted = [h for h in newest_first if h.trust is Trust.RECEIVER]
    untrusted = [h for h in newest_first if h.trust is not Trust.RECEIVER]
    assert [_addr(h) for h in trusted] == _ips(case["expected_trusted"])
    assert [_addr(h) for h in untrusted] == _ips(case["expected_untrusted"])


def test_trust_usable_cases_are_enough_to_mean_something() -> None:
    corpus_dir()
    assert len(USABLE) >= 15
