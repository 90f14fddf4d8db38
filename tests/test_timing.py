"""Time to a verdict: how long a silent port is waited for, and what is not
judged by that wait (a slow greeting)."""

from __future__ import annotations

import asyncio

import pytest

from netprobe.classify import classify
from netprobe.model import Family, Outcome, ProbeSpec, Role, Service
from netprobe.probe import Prober, RoundTrips
from netprobe.profile import Profile, Timeouts
from tests.support.smtpserver import ScriptedServer, greet_then

TIMEOUTS = Timeouts()


@pytest.mark.parametrize("rtt", [0.0005, 0.05, 0.3, 0.45, 0.6])
def test_silent_limit_gives_the_second_syn_its_own_round_trips(rtt: float) -> None:
    trips = RoundTrips()
    trips.record("203.0.113.25", rtt)
    multiple = TIMEOUTS.filtered_rtt_multiple

    resend = trips.resend_after("203.0.113.25", TIMEOUTS)
    limit = trips.silent_limit("203.0.113.25", Timeouts(connect=60.0))

    assert resend is not None
    assert resend == pytest.approx(max(TIMEOUTS.filtered_floor / 2, multiple * rtt))
    assert limit >= resend + multiple * rtt
    assert limit >= TIMEOUTS.filtered_floor


def test_silent_limit_on_a_short_path_is_the_floor() -> None:
    trips = RoundTrips()
    trips.record("203.0.113.25", 0.0003)

    assert trips.silent_limit("203.0.113.25", TIMEOUTS) == TIMEOUTS.filtered_floor


def test_silent_port_without_any_answer_gets_no_early_resend() -> None:
    # Nothing measured yet: only the kernel's own resend, and the ceiling.
    assert RoundTrips().resend_after("203.0.113.25", TIMEOUTS) is None


def test_silent_limit_never_exceeds_the_ceiling() -> None:
    trips = RoundTrips()
    trips.record("203.0.113.25", 0.9)

    assert trips.silent_limit("203.0.113.25", Timeouts(connect=3.0)) == 3.0


def test_silent_limit_without_any_answer_is_the_ceiling() -> None:
    assert RoundTrips().silent_limit("203.0.113.25", TIMEOUTS) == TIMEOUTS.connect


def test_answer_to_a_resent_syn_is_not_taken_for_the_round_trip() -> None:
    # Karn's rule: a connect that took more than a second may have timed the
    # resent SYN; one lost packet must not stretch every wait fourfold.
    trips = RoundTrips()
    trips.record("203.0.113.25", 0.01)
    trips.record("203.0.113.25", 1.01)

    assert trips.path("203.0.113.25") == 0.01
    assert trips.silent_limit("203.0.113.25", TIMEOUTS) == TIMEOUTS.filtered_floor


def test_unmeasured_address_is_given_the_slowest_path_measured() -> None:
    trips = RoundTrips()
    trips.record("203.0.113.25", 0.01)
    trips.record("192.0.2.25", 0.3)

    assert trips.path("198.51.100.25") == 0.3
    assert trips.silent_limit("198.51.100.25", TIMEOUTS) == pytest.approx(2.4)


def test_record_wakes_waiters_even_when_it_keeps_nothing() -> None:
    async def scenario() -> bool:
        trips = RoundTrips()
        waiter = asyncio.ensure_future(trips.wait_changed())
        await asyncio.sleep(0)
        trips.record("203.0.113.25", 1.5)
        await asyncio.wait_for(waiter, 1)
        return "203.0.113.25" in trips.by_address

    assert asyncio.run(scenario()) is False


# --- a slow greeting is an open port ---------------------------------------


async def greets_late(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    # Later than any silent-port limit the check could compute (1.25 s on
    # loopback): the wait for a greeting must not be that limit.
    await asyncio.sleep(2.2)
    await greet_then(reader, writer, b"220 mx.test.example ESMTP\r\n")


async def greets_at_once(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await greet_then(reader, writer, b"220 mx.test.example ESMTP\r\n")


def test_slow_greeting_on_port_25_is_open_and_slow_never_blocked() -> None:
    with ScriptedServer(greets_late) as slow, ScriptedServer(greets_at_once) as fast:
        specs = [
            ProbeSpec(
                "mx.test.example",
                "127.0.0.1",
                Family.IPV4,
                server.port,
                service,
                (Role.EXCHANGE,),
            )
            for server, service in ((slow, Service.SMTP), (fast, Service.SUBMISSION))
        ]
        profile = Profile(timeouts=Timeouts(greeting=5.0))
        observations = asyncio.run(Prober(profile).run(specs))
    slow_result, fast_result = classify(observations)

    assert slow_result.outcome is Outcome.OPEN
    assert not slow_result.outcome.blocked
    assert slow_result.detail.startswith("slow greeting (2.")
    assert slow_result.observation.timings["connect"] < 1.0
    assert slow_result.observation.timings["greeting"] >= 2.0
    assert "slow" not in fast_result.detail
