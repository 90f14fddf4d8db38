"""Switching an exchange off, and latency on the isp-net link."""

from __future__ import annotations

import re

import pytest

from lab import Lab
from lab.testing import require_lab

pytestmark = pytest.mark.network

RTT_AVG = re.compile(r"= [\d.]+/([\d.]+)/")


def average_rtt_ms(lab: Lab, address: str) -> float:
    result = lab.hotel_exec(
        ["ping", "-n", "-q", "-c", "5", "-i", "0.2", "-W", "2", address],
        timeout=30,
        check=True,
    )
    found = RTT_AVG.search(result.stdout)
    assert found, result.stdout
    return float(found.group(1))


@pytest.mark.parametrize("port", [25, 587, 465])
@pytest.mark.parametrize("address", ["203.0.113.25", "2001:db8:3::25"])
def test_switched_off_host_is_silent_on_every_port(
    lab_reset: Lab, address: str, port: int
) -> None:
    lab_reset.host("mail", up=False)

    assert lab_reset.hotel_connect(address, port, timeout=1).outcome == "timeout"


@pytest.mark.parametrize("address", ["203.0.113.40", "2001:db8:4::40"])
def test_switched_off_reference_is_silent_and_the_exchanges_answer(
    lab_reset: Lab, address: str
) -> None:
    lab_reset.host("reference", up=False)

    assert lab_reset.hotel_connect(address, 25, timeout=1).outcome == "timeout"
    assert lab_reset.hotel_connect("203.0.113.25", 25).outcome == "open"
    assert lab_reset.status().hosts_off == ("reference",)


@pytest.mark.parametrize("address", ["203.0.113.25", "2001:db8:3::25"])
def test_port25_switched_off_silences_25_alone(lab_reset: Lab, address: str) -> None:
    lab_reset.port25("mail", up=False)

    assert lab_reset.hotel_connect(address, 25, timeout=1).outcome == "timeout"
    assert lab_reset.hotel_connect(address, 587).outcome == "open"
    assert lab_reset.hotel_connect("203.0.113.26", 25).outcome == "open"
    assert lab_reset.status().port25_off == ("mail",)


def test_port25_comes_back_on_reset(lab_reset: Lab) -> None:
    lab_reset.port25("mail", up=False)
    lab_reset.host("reference", up=False)

    lab_reset.reset()

    assert lab_reset.hotel_connect("203.0.113.25", 25).outcome == "open"
    assert lab_reset.hotel_connect("203.0.113.40", 25).outcome == "open"
    assert (lab_reset.status().hosts_off, lab_reset.status().port25_off) == ((), ())


def test_switching_one_host_off_leaves_the_other(lab_reset: Lab) -> None:
    lab_reset.host("mail", up=False)

    seen = lab_reset.hotel_connect("203.0.113.26", 25)

    assert seen.greeting.startswith("220 backup.whaler.example ")
    assert lab_reset.status().hosts_off == ("mail",)


def test_host_comes_back_when_switched_on(lab_reset: Lab) -> None:
    lab_reset.host("backup", up=False)
    lab_reset.host("backup", up=True)

    assert lab_reset.hotel_connect("2001:db8:3::26", 25).outcome == "open"


@pytest.mark.parametrize("address", ["203.0.113.25", "2001:db8:3::25"])
def test_delay_50ms_adds_100ms_of_round_trip(lab_reset: Lab, address: str) -> None:
    require_lab(test_tools=True)
    baseline = average_rtt_ms(lab_reset, address)

    lab_reset.set_delay(50)
    delayed = average_rtt_ms(lab_reset, address)

    assert baseline < 10
    # One-way 50 ms on the isp-net link, crossed once each way.
    assert 95 <= delayed - baseline <= 130
    assert lab_reset.status().delay_ms == 50


def test_delay_back_to_zero_is_fast_again(lab_reset: Lab) -> None:
    require_lab(test_tools=True)
    lab_reset.set_delay(50)
    lab_reset.set_delay(0)

    assert average_rtt_ms(lab_reset, "203.0.113.25") < 10


def test_hotel_is_three_router_hops_from_corp(lab_net: Lab) -> None:
    require_lab(test_tools=True)
    # TTL 2 dies at np-net, TTL 3 reaches the exchange in np-corp.
    short = lab_net.hotel_exec(
        ["ping", "-n", "-c", "1", "-t", "2", "-W", "2", "203.0.113.25"]
    )
    enough = lab_net.hotel_exec(
        ["ping", "-n", "-c", "1", "-t", "3", "-W", "2", "203.0.113.25"]
    )
    assert "Time to live exceeded" in short.stdout
    assert "203.0.113.2" in short.stdout
    assert enough.returncode == 0


def test_reference_is_beyond_the_isp_two_hops_away(lab_net: Lab) -> None:
    require_lab(test_tools=True)
    # TTL 1 dies at the ISP router, TTL 2 reaches np-net, where it lives.
    short = lab_net.hotel_exec(
        ["ping", "-n", "-c", "1", "-t", "1", "-W", "2", "203.0.113.40"]
    )
    enough = lab_net.hotel_exec(
        ["ping", "-n", "-c", "1", "-t", "2", "-W", "2", "203.0.113.40"]
    )
    assert "Time to live exceeded" in short.stdout
    assert "198.51.100.1" in short.stdout
    assert enough.returncode == 0
