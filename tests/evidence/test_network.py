"""netprobe in ev-client against every port-25 policy of ev-router.

Each case switches the router's policy for one family, runs the real
command line inside ev-client, and reads the JSON report: the finding, how,
which family, which hop, whether the reset was forged, and that the advice
is the submission port that works. The same checks run again without
privileges, where the socket-level verdict must stand on its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from netprobe.model import Family
from tests.evidence import netns

pytestmark = pytest.mark.network

HOW = {
    "drop": "filtered",
    "reset": "reset",
    "prohibited": "prohibited",
    "redirect": "intercepted",
}
GATEWAY = {Family.IPV4: netns.GATEWAY_V4, Family.IPV6: netns.GATEWAY_V6}
SERVER = {Family.IPV4: netns.SERVER_V4, Family.IPV6: netns.SERVER_V6}
OTHER = {Family.IPV4: Family.IPV6, Family.IPV6: Family.IPV4}
WORD = {Family.IPV4: "IPv4", Family.IPV6: "IPv6"}
CASES = [(mode, family) for mode in netns.MODES for family in Family]


def report(net: netns.EvNet, *args: str, privileged: bool = True) -> dict[str, Any]:
    code, out, err, _ = net.check("--format", "json", *args, privileged=privileged)
    assert err == "", err
    document: dict[str, Any] = json.loads(out)
    document["exit_code"] = code
    return document


def finding(document: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in document["findings"] if f["code"] == code]
    assert len(found) == 1, found
    return found[0]


def probe(document: dict[str, Any], address: str, port: int) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        p for p in document["probes"] if (p["address"], p["port"]) == (address, port)
    ]
    assert len(found) == 1, found
    return found[0]


def assert_submission_advised(document: dict[str, Any]) -> None:
    best = document["advice"][0]
    assert (best["host"], best["port"], best["security"], best["purpose"]) == (
        netns.MAIL,
        587,
        "starttls",
        "submission",
    )


@pytest.mark.parametrize(("mode", "family"), CASES)
def test_policy_is_named_with_how_family_and_hop(
    ev_net: netns.EvNet, mode: str, family: Family
) -> None:
    ev_net.set_policy(mode, [family])

    document = report(ev_net)

    assert document["exit_code"] == 1
    assert document["evidence"]["packets"] == "gathered"
    blocked = finding(document, "port25_blocked")
    assert blocked["how"] == HOW[mode]
    assert blocked["families"] == [family.value]
    assert blocked["hop"] == {
        "address": GATEWAY[family],
        "name": netns.GATEWAY,
        "distance": 1,
    }
    assert blocked["forged"] is (True if mode == "reset" else None)
    assert (
        f"over {WORD[family]} only ({WORD[OTHER[family]]} gets through)"
        in (blocked["summary"])
    )
    assert probe(document, SERVER[OTHER[family]], 25)["outcome"] == "open"
    # The host's own reset on 465 (nothing listens there) is no forgery.
    assert probe(document, SERVER[family], 465)["forged"] is False
    if mode == "redirect":
        intercepted = finding(document, "intercepted")
        assert intercepted["hosts"] == [netns.RELAY]
        assert intercepted["hop"] == blocked["hop"]
    assert_submission_advised(document)


@pytest.mark.parametrize("mode", netns.MODES)
def test_without_privileges_the_socket_verdict_stands_and_says_what_is_missing(
    ev_net: netns.EvNet, mode: str
) -> None:
    ev_net.set_policy(mode, [Family.IPV4])

    document = report(ev_net, privileged=False)

    assert document["evidence"]["packets"] == "not gathered: needs root or CAP_NET_RAW"
    blocked = finding(document, "port25_blocked")
    assert (blocked["how"], blocked["families"]) == (HOW[mode], ["ipv4"])
    assert (blocked["hop"], blocked["forged"]) == (None, None)
    assert_submission_advised(document)


def test_without_privileges_the_text_report_says_it_in_one_line(
    ev_net: netns.EvNet,
) -> None:
    ev_net.set_policy("drop", [Family.IPV4])

    code, out, err, _ = ev_net.check(privileged=False)

    assert (code, err) == (1, "")
    lines = [line for line in out.splitlines() if line.startswith("Packets ")]
    assert lines == [
        "Packets not gathered: needs root or CAP_NET_RAW (for ICMP codes, forged "
        "resets, hops)."
    ]
    assert "silently dropped" in out


def test_no_packets_flag_skips_the_stage(ev_net: netns.EvNet) -> None:
    ev_net.set_policy("reset", [Family.IPV6])

    document = report(ev_net, "--no-packets")

    assert document["evidence"]["packets"] == "not gathered: turned off (--no-packets)"
    assert finding(document, "port25_blocked")["how"] == "reset"


def test_nothing_blocked_is_ok_and_the_packets_find_nothing_either(
    ev_net: netns.EvNet,
) -> None:
    ev_net.set_policy(None)

    document = report(ev_net)

    assert document["exit_code"] == 0
    assert document["findings"] == []
    assert document["evidence"]["traces"] == []
    assert {p["outcome"] for p in document["probes"] if p["port"] != 465} == {"open"}


def test_drop_verdict_comes_in_a_few_round_trips_not_at_the_ceiling(
    ev_net: netns.EvNet,
) -> None:
    ev_net.set_policy("drop", [Family.IPV4, Family.IPV6])

    document = report(ev_net)

    assert finding(document, "port25_blocked")["families"] == ["ipv4", "ipv6"]
    # The silent limit on this short path is its floor (0.5 s: a second SYN
    # at 0.25 s, then as long again), against a 10 s ceiling; the packet
    # stage works while the connect waits.
    assert document["timings"]["probe_seconds"] < 2.0
    silent = probe(document, netns.SERVER_V4, 25)
    assert 0.45 < silent["evidence"]["timings"]["connect"] < 0.9
