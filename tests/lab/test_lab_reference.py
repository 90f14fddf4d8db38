"""netprobe's lab profile against the reference mail host beyond the ISP.

mx.reference.example lives in np-net, past the ISP's port-25 policy, like a
big provider's MX on the internet. With it as the reference target, a block
on the hotel's side is told apart from a fault at the target's exchange:
port 25 failing to the reference too is this network; port 25 failing to
mail.whaler.example alone, while the reference answers, is that exchange.

netprobe runs as root in the hotel here, so the packet stage gathers its
evidence (raw sockets) and the findings say at which hop the block is.
"""

from __future__ import annotations

from typing import Any

import pytest

from lab import ISP_RELAY, MAIL, REFERENCE, Lab, Mode
from tests.lab.lab_checks import (
    Report,
    check,
    codes,
    finding,
    outcomes,
    unprivileged_python_problem,
)

pytestmark = pytest.mark.network

HOW = {Mode.DROP: "filtered", Mode.RESET: "reset", Mode.PROHIBITED: "prohibited"}
# The probes' own word for each mode's outcome (a reset is "refused").
OUTCOME = {
    Mode.DROP: "filtered",
    Mode.RESET: "refused",
    Mode.PROHIBITED: "prohibited",
}
# The ISP's border router, one hop from the hotel; its PTR names the relay
# that runs on it.
ISP_HOP = {"address": ISP_RELAY.v4, "name": ISP_RELAY.name, "distance": 1}
REFERENCE_TOO = f"Reference targets ({REFERENCE.name}) fail on port 25 too"


def lab_check(lab: Lab, *extra: str, privileged: bool = True) -> tuple[int, Report]:
    return check(
        lab, "whaler.example", "--profile", "lab", *extra, privileged=privileged
    )


def reference_probes(report: Report, port: int) -> list[dict[str, Any]]:
    return [
        p for p in report["probes"] if p["host"] == REFERENCE.name and p["port"] == port
    ]


def test_lab_profile_open_network_reaches_the_reference_on_25(lab_reset: Lab) -> None:
    code, report = lab_check(lab_reset)

    assert code == 0
    assert codes(report) == set()
    port25 = reference_probes(report, 25)
    assert {(p["address"], p["outcome"]) for p in port25} == {
        (REFERENCE.v4, "open"),
        (REFERENCE.v6, "open"),
    }
    # Port 25 only, as a provider's MX: the other ports are refused.
    assert {p["outcome"] for p in reference_probes(report, 587)} == {"refused"}


@pytest.mark.parametrize("mode", [Mode.DROP, Mode.RESET, Mode.PROHIBITED])
def test_lab_profile_blocked_port25_fails_to_the_reference_too_high_confidence(
    lab_reset: Lab, mode: Mode
) -> None:
    lab_reset.set_mode(mode)

    code, report = lab_check(lab_reset)

    assert code == 1
    blocked = finding(report, "port25_blocked")
    assert blocked["how"] == HOW[mode]
    assert blocked["confidence"] == "high"
    assert REFERENCE_TOO in blocked["summary"]
    assert any(e.startswith(f"{REFERENCE.name} [") for e in blocked["evidence"])
    assert {p["outcome"] for p in reference_probes(report, 25)} == {OUTCOME[mode]}
    assert "exchange_port25_failed" not in codes(report)
    assert "exchange_down" not in codes(report)


@pytest.mark.parametrize("mode", [Mode.DROP, Mode.RESET, Mode.PROHIBITED])
def test_lab_profile_blocked_port25_is_placed_at_the_isp_router(
    lab_reset: Lab, mode: Mode
) -> None:
    lab_reset.set_mode(mode)

    _, report = lab_check(lab_reset)

    assert report["evidence"]["packets"] == "gathered"
    blocked = finding(report, "port25_blocked")
    assert blocked["hop"] == ISP_HOP
    # Only a reset can be forged; the ISP, not the servers, sends these.
    assert blocked["forged"] is (True if mode is Mode.RESET else None)


def test_lab_profile_redirect_is_taken_one_hop_away(lab_reset: Lab) -> None:
    lab_reset.set_mode(Mode.REDIRECT)

    code, report = lab_check(lab_reset)

    assert code == 1
    intercepted = finding(report, "intercepted")
    assert intercepted["hosts"] == [ISP_RELAY.name]
    assert intercepted["hop"]["distance"] == 1
    blocked = finding(report, "port25_blocked")
    assert blocked["how"] == "intercepted"
    assert REFERENCE_TOO in blocked["summary"]
    assert {p["outcome"] for p in reference_probes(report, 25)} == {"intercepted"}


def test_lab_profile_primary_port25_alone_down_is_that_exchange(
    lab_reset: Lab,
) -> None:
    lab_reset.port25(MAIL.key, up=False)

    _, report = lab_check(lab_reset)

    failed = finding(report, "exchange_port25_failed")
    assert failed["hosts"] == [MAIL.name]
    assert failed["confidence"] == "high"
    assert (
        f"reference target {REFERENCE.name} answers on port 25" in (failed["summary"])
    )
    assert "port25_blocked" not in codes(report)
    assert "exchange_down" not in codes(report)
    assert outcomes(report, 25)[MAIL.v4] == "filtered"
    assert outcomes(report, 25)[REFERENCE.v4] == "open"


def test_lab_profile_unprivileged_gathers_no_packets_same_verdict(
    lab_reset: Lab,
) -> None:
    problem = unprivileged_python_problem(lab_reset)
    if problem is not None:
        pytest.skip(f"no unprivileged run possible: {problem}")
    lab_reset.set_mode(Mode.DROP)

    code, report = lab_check(lab_reset, privileged=False)
    root_code, root_report = lab_check(lab_reset)

    assert report["evidence"]["packets"] == "not gathered: needs root or CAP_NET_RAW"
    assert root_report["evidence"]["packets"] == "gathered"
    # The same verdict, only without the hop the packets would have named.
    assert code == root_code == 1
    assert report["verdict"]["status"] == root_report["verdict"]["status"]
    assert codes(report) == codes(root_report)
    blocked = finding(report, "port25_blocked")
    root_blocked = finding(root_report, "port25_blocked")
    for key in ("how", "families", "confidence"):
        assert blocked[key] == root_blocked[key]
    assert blocked["confidence"] == "high"
    assert REFERENCE_TOO in blocked["summary"]
    assert (blocked["hop"], blocked["forged"]) == (None, None)
    assert "hop 1" not in " ".join(report["verdict"]["sentences"])
