"""The ISP's port-25 policy, as a TCP connect from the hotel sees it."""

from __future__ import annotations

import pytest

from lab import Lab, Mode

pytestmark = pytest.mark.network

MAIL_V4 = "203.0.113.25"
MAIL_V6 = "2001:db8:3::25"
# The reference mail host in np-net, beyond the ISP: the policy is the same.
REFERENCE_V4 = "203.0.113.40"
REFERENCE_V6 = "2001:db8:4::40"
# Long enough for IPv6's admin-prohibited, which Linux reports only after
# the first SYN retransmission (about 1 s), short enough for `drop`.
CONNECT_TIMEOUT = 2.5

EXPECTED = {
    (Mode.NONE, MAIL_V4): "open",
    (Mode.NONE, MAIL_V6): "open",
    (Mode.DROP, MAIL_V4): "timeout",
    (Mode.DROP, MAIL_V6): "timeout",
    (Mode.RESET, MAIL_V4): "ECONNREFUSED",
    (Mode.RESET, MAIL_V6): "ECONNREFUSED",
    # ICMP type 3 code 13 / ICMPv6 type 1 code 1, mapped by the kernel.
    (Mode.PROHIBITED, MAIL_V4): "EHOSTUNREACH",
    (Mode.PROHIBITED, MAIL_V6): "EACCES",
    (Mode.REDIRECT, MAIL_V4): "open",
    (Mode.REDIRECT, MAIL_V6): "open",
}


@pytest.mark.parametrize(("mode", "address"), sorted(EXPECTED))
def test_mode_gives_expected_outcome_on_25_and_leaves_587_open(
    lab_reset: Lab, mode: Mode, address: str
) -> None:
    lab_reset.set_mode(mode)

    port25 = lab_reset.hotel_connect(address, 25, timeout=CONNECT_TIMEOUT)
    port587 = lab_reset.hotel_connect(address, 587, timeout=CONNECT_TIMEOUT)

    assert port25.outcome == EXPECTED[mode, address]
    assert port587.outcome == "open"
    assert port587.greeting.startswith("220 mail.whaler.example ")


@pytest.mark.parametrize("address", [MAIL_V4, MAIL_V6])
def test_redirect_lands_on_the_isp_relay(lab_reset: Lab, address: str) -> None:
    lab_reset.set_mode(Mode.REDIRECT)

    seen = lab_reset.hotel_connect(address, 25)

    assert seen.greeting.startswith("220 mail.isp.example ESMTP")


@pytest.mark.parametrize(("mode", "address"), sorted(EXPECTED))
def test_mode_treats_the_reference_host_like_any_other_destination(
    lab_reset: Lab, mode: Mode, address: str
) -> None:
    reference = REFERENCE_V4 if address == MAIL_V4 else REFERENCE_V6
    lab_reset.set_mode(mode)

    seen = lab_reset.hotel_connect(reference, 25, timeout=CONNECT_TIMEOUT)

    assert seen.outcome == EXPECTED[mode, address]
    if mode is Mode.NONE:
        assert seen.greeting.startswith("220 mx.reference.example ESMTP")
    if mode is Mode.REDIRECT:
        assert seen.greeting.startswith("220 mail.isp.example ESMTP")


@pytest.mark.parametrize(
    "address", ["203.0.113.26", "2001:db8:3::26", REFERENCE_V4, REFERENCE_V6]
)
def test_block_covers_every_destination(lab_reset: Lab, address: str) -> None:
    lab_reset.set_mode(Mode.RESET)

    assert lab_reset.hotel_connect(address, 25).outcome == "ECONNREFUSED"


@pytest.mark.parametrize("mode", [Mode.DROP, Mode.RESET, Mode.PROHIBITED])
@pytest.mark.parametrize("address", ["198.51.100.1", "2001:db8:1::1"])
def test_isp_relay_stays_reachable_when_25_is_blocked(
    lab_reset: Lab, mode: Mode, address: str
) -> None:
    lab_reset.set_mode(mode)

    seen = lab_reset.hotel_connect(address, 25)

    assert seen.greeting.startswith("220 mail.isp.example ESMTP")


@pytest.mark.parametrize(
    ("family", "blocked", "open_"),
    [("ipv4", MAIL_V4, MAIL_V6), ("ipv6", MAIL_V6, MAIL_V4)],
)
def test_family_mode_blocks_one_family_only(
    lab_reset: Lab, family: str, blocked: str, open_: str
) -> None:
    lab_reset.set_mode(Mode.RESET, family=family)

    assert lab_reset.hotel_connect(blocked, 25).outcome == "ECONNREFUSED"
    assert lab_reset.hotel_connect(open_, 25).outcome == "open"
    assert lab_reset.status().family == family


def test_switch_back_to_none_reaches_the_real_exchange(lab_reset: Lab) -> None:
    # The conntrack flush on every switch: no connection keeps the old NAT.
    lab_reset.set_mode(Mode.REDIRECT)
    assert "mail.isp.example" in lab_reset.hotel_connect(MAIL_V4, 25).greeting

    lab_reset.set_mode(Mode.NONE)

    assert "mail.whaler.example" in lab_reset.hotel_connect(MAIL_V4, 25).greeting
