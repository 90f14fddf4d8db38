"""The packet stage's scheduling, bounds and matching, on a scripted path.

No privileges: ``FakeWire`` answers the stage's SYNs as a path of Linux
routers would (see ``fakewire``); the socket probes are played by calling
the stage's ``ConnectWatcher`` hooks as the Prober would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from netprobe.model import Answer, Family, PacketEvidence, ProbeSpec, Role, Service
from netprobe.packets import PacketStage
from netprobe.plan import family_of
from netprobe.probe import RoundTrips
from netprobe.profile import Profile, Timeouts
from tests.evidence.fakewire import FakeWire, Path

MAIL_V4, MAIL_V6, OTHER_V4 = "203.0.113.25", "2001:db8:3::25", "203.0.113.26"
ROUTERS_V4 = ("198.51.100.1", "203.0.113.2", "203.0.113.17")
ROUTERS_V6 = ("2001:db8:1::1", "2001:db8:2::2", "2001:db8:2::17")
PROFILE = Profile(timeouts=Timeouts(packet_floor=0.2, packets=1.0))


def spec(address: str, port: int) -> ProbeSpec:
    service = {25: Service.SMTP, 587: Service.SUBMISSION}.get(port, Service.SUBMISSIONS)
    return ProbeSpec("mx", address, family_of(address), port, service, (Role.EXCHANGE,))


async def play(
    wire: FakeWire,
    connects: Sequence[tuple[str, int, bool, float]],
    profile: Profile = PROFILE,
) -> tuple[PacketEvidence, float]:
    """Start every connect, end each (connected or not) after its delay as
    the Prober would, then finish the stage: (evidence, seconds to finish)."""
    specs = [spec(a, p) for a, p, _, _ in connects]
    trips = RoundTrips()
    stage = PacketStage(wire, specs, profile, trips, _names)
    for s in specs:
        stage.connect_started(s)

    async def end(s: ProbeSpec, connected: bool, after: float) -> None:
        await asyncio.sleep(after)
        if connected:
            trips.record(s.address, after)
        stage.connect_done(s, connected)

    await asyncio.gather(
        *(end(s, c, after) for s, (_, _, c, after) in zip(specs, connects, strict=True))
    )
    started = time.monotonic()
    packets = await stage.finish()
    return packets, time.monotonic() - started


async def _names(address: str) -> str | None:
    return {"198.51.100.1": "gw.isp.example"}.get(address)


def probes(
    evidence: PacketEvidence,
) -> dict[tuple[str, int], tuple[Answer, int | None]]:
    return {(p.address, p.port): (p.reply.answer, p.reply.ttl) for p in evidence.probes}


def hops(evidence: PacketEvidence, address: str, port: int) -> list[Answer]:
    [trace] = [t for t in evidence.traces if (t.address, t.port) == (address, port)]
    return [h.reply.answer for h in trace.hops]


def test_dropped_25_is_probed_traced_and_compared_with_587() -> None:
    wire = FakeWire({MAIL_V4: Path(ROUTERS_V4, "drop")})

    evidence, _ = asyncio.run(
        play(wire, [(MAIL_V4, 25, False, 1.25), (MAIL_V4, 587, True, 0.005)])
    )

    assert evidence.gathered and evidence.status == "gathered"
    assert probes(evidence) == {
        (MAIL_V4, 25): (Answer.NONE, None),
        (MAIL_V4, 587): (Answer.SYN_ACK, 61),
    }
    silent = next(p for p in evidence.probes if p.port == 25)
    assert silent.sent == 2  # resent once before calling it silence
    assert hops(evidence, MAIL_V4, 25) == [Answer.TIME_EXCEEDED] + [Answer.NONE] * 5
    assert hops(evidence, MAIL_V4, 587) == [Answer.TIME_EXCEEDED] * 3 + [Answer.SYN_ACK]
    assert evidence.names == {"198.51.100.1": "gw.isp.example"}
    assert wire.held == set()  # every reserved source port released


def test_silent_25_is_looked_at_before_the_socket_probe_gives_up() -> None:
    # The stage starts on port 25 once its connect has been silent a few
    # round trips, so its evidence is ready when the connect gives up.
    wire = FakeWire({MAIL_V4: Path(ROUTERS_V4, "drop")})

    evidence, finishing = asyncio.run(
        play(wire, [(MAIL_V4, 25, False, 1.25), (MAIL_V4, 587, True, 0.005)])
    )

    first_syn_to_25 = min(s.at for s in wire.sent if s.port == 25)
    assert first_syn_to_25 - min(s.at for s in wire.sent) < 0.1
    assert finishing < 0.1
    assert evidence.traces


def test_forged_reset_and_genuine_reset_are_both_recorded_as_they_came() -> None:
    wire = FakeWire({MAIL_V4: Path(ROUTERS_V4, "reset")})

    evidence, _ = asyncio.run(
        play(
            wire,
            [
                (MAIL_V4, 25, False, 0.004),
                (MAIL_V4, 465, False, 0.005),
                (MAIL_V4, 587, True, 0.005),
            ],
        )
    )

    assert probes(evidence) == {
        (MAIL_V4, 25): (Answer.RESET, 64),
        (MAIL_V4, 465): (Answer.RESET, 61),
        (MAIL_V4, 587): (Answer.SYN_ACK, 61),
    }


def test_prohibited_over_ipv6_records_the_router_and_code() -> None:
    wire = FakeWire({MAIL_V6: Path(ROUTERS_V6, "prohibited")})

    evidence, _ = asyncio.run(
        play(wire, [(MAIL_V6, 25, False, 0.004), (MAIL_V6, 587, True, 0.005)])
    )

    [probe] = [p for p in evidence.probes if p.port == 25]
    assert probe.family is Family.IPV6
    assert (probe.reply.answer, probe.reply.source) == (
        Answer.UNREACHABLE,
        ROUTERS_V6[0],
    )
    assert (probe.reply.icmp_type, probe.reply.icmp_code) == (1, 1)


def test_open_25_from_a_nearer_hop_gets_a_traceroute_to_name_it() -> None:
    wire = FakeWire({MAIL_V4: Path(ROUTERS_V4, "redirect")})

    evidence, _ = asyncio.run(
        play(wire, [(MAIL_V4, 25, True, 0.002), (MAIL_V4, 587, True, 0.005)])
    )

    assert probes(evidence)[(MAIL_V4, 25)] == (Answer.SYN_ACK, 64)
    assert hops(evidence, MAIL_V4, 25) == [Answer.SYN_ACK]
    assert hops(evidence, MAIL_V4, 587)[0] is Answer.TIME_EXCEEDED


def test_open_25_at_the_hosts_distance_costs_two_syns_and_no_traceroute() -> None:
    wire = FakeWire({MAIL_V4: Path(ROUTERS_V4)})

    evidence, _ = asyncio.run(
        play(
            wire,
            [
                (MAIL_V4, 25, True, 0.005),
                (MAIL_V4, 587, True, 0.005),
                (MAIL_V4, 465, True, 0.005),
            ],
        )
    )

    # Port 25, and the first port that answered as the host's own baseline.
    assert set(probes(evidence)) == {(MAIL_V4, 25), (MAIL_V4, 587)}
    assert evidence.traces == ()
    assert len(wire.sent) == 2


def test_many_hosts_at_once_each_get_only_their_own_answers() -> None:
    wire = FakeWire(
        {
            MAIL_V4: Path(ROUTERS_V4, "reset"),
            OTHER_V4: Path(ROUTERS_V4[:1], "prohibited"),
            MAIL_V6: Path(ROUTERS_V6, "drop"),
        }
    )
    connects = [
        (address, port, port == 587, 0.005 if port == 587 else 0.2)
        for address in (MAIL_V4, OTHER_V4, MAIL_V6)
        for port in (25, 587)
    ]

    evidence, _ = asyncio.run(play(wire, connects))

    seen = probes(evidence)
    assert seen[(MAIL_V4, 25)] == (Answer.RESET, 64)
    assert seen[(OTHER_V4, 25)][0] is Answer.UNREACHABLE
    assert seen[(MAIL_V6, 25)] == (Answer.NONE, None)
    assert seen[(MAIL_V4, 587)] == (Answer.SYN_ACK, 61)
    assert seen[(OTHER_V4, 587)] == (Answer.SYN_ACK, 63)
    assert seen[(MAIL_V6, 587)] == (Answer.SYN_ACK, 61)
    assert len(evidence.traces) == 6


def test_traceroutes_are_capped_per_family() -> None:
    addresses = [f"203.0.113.{n}" for n in range(30, 35)]
    wire = FakeWire({a: Path(ROUTERS_V4, "drop") for a in addresses})
    connects = [(a, 25, False, 0.3) for a in addresses]

    evidence, _ = asyncio.run(play(wire, connects))

    assert len({t.address for t in evidence.traces}) == PROFILE.traced_addresses


def test_stage_ends_within_its_bound_however_silent_the_path() -> None:
    wire = FakeWire({MAIL_V4: Path((), silent=frozenset({25, 587}))})
    profile = Profile(timeouts=Timeouts(packet_floor=5.0, packets=0.5))

    evidence, finishing = asyncio.run(
        play(wire, [(MAIL_V4, 25, False, 0.0), (MAIL_V4, 587, False, 0.0)], profile)
    )

    assert finishing < 0.5 + 0.2
    assert evidence.status.startswith("gathered (cut short after 0.5 s)")
    assert wire.held == set()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ImportError("No module named 'scapy'"), "not gathered: scapy cannot be"),
        (PermissionError(1, "Operation not permitted"), "not gathered: needs root"),
    ],
)
def test_stage_whose_scapy_or_capture_fails_degrades_to_one_line(
    error: BaseException, status: str
) -> None:
    wire = FakeWire({MAIL_V4: Path(ROUTERS_V4, "drop")}, broken=error)

    evidence, _ = asyncio.run(
        play(wire, [(MAIL_V4, 25, False, 0.01), (MAIL_V4, 587, True, 0.005)])
    )

    assert not evidence.gathered
    assert evidence.status.startswith(status)
    assert "\n" not in evidence.status
    assert wire.sent == []
