"""The check pipeline: resolve -> plan -> probe -> classify -> diagnose ->
advise -> verdict, for one domain.

This is the only place the stages are wired together; each stage stays a
plain function of the one before it. The packet stage runs beside the
socket probes, watching their connects, and its evidence joins theirs at
classify; when it cannot run, the report says why in one line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from netprobe import __version__
from netprobe.advise import advise
from netprobe.classify import classify
from netprobe.diagnose import diagnose
from netprobe.domain import parse_domain
from netprobe.model import CheckReport, MailRouting, PacketEvidence, ProbeSpec
from netprobe.packets import NameLookup, PacketStage, open_stage
from netprobe.plan import plan
from netprobe.probe import Prober, RoundTrips
from netprobe.profile import Profile
from netprobe.resolve import ResolveConfig, Resolver, resolve
from netprobe.verdict import decide

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckOptions:
    profile: Profile = field(default_factory=Profile)
    nameserver: str | None = None
    seed: int | None = None


async def run_check(target: str, options: CheckOptions) -> CheckReport:
    domain = parse_domain(target)
    started_at = datetime.now(UTC)
    started = time.monotonic()
    profile = options.profile

    log.debug("check.resolve started domain=%s", domain.ascii)
    resolution = await resolve(
        domain,
        ResolveConfig(
            nameserver=options.nameserver,
            seed=options.seed,
            references=profile.references,
        ),
    )
    log.debug("check.resolve complete routing=%s", resolution.routing)

    specs = plan(resolution, profile)
    if resolution.routing is MailRouting.NULL_MX:
        # RFC 7505 3: the domain says it takes no mail; probing is pointless.
        specs = ()
    probe_started = time.monotonic()
    round_trips = RoundTrips()
    stage = open_stage(specs, profile, round_trips, _reverse_names(options))
    try:
        watcher = stage if isinstance(stage, PacketStage) else None
        observations = await Prober(profile, round_trips, watcher).run(specs)
        packets = await _packets(stage, specs)
    finally:
        if isinstance(stage, PacketStage):
            stage.close()
    probe_seconds = time.monotonic() - probe_started
    log.debug(
        "check.probe complete probes=%d packets=%s", len(observations), packets.status
    )

    results = classify(observations, packets)
    findings = diagnose(resolution, results)
    advice = advise(resolution, results, findings)
    verdict = decide(domain.display, findings, advice)
    return CheckReport(
        target=domain.ascii,
        display_target=domain.display,
        started=started_at.isoformat(timespec="seconds"),
        seconds=time.monotonic() - started,
        resolution=resolution,
        results=results,
        findings=findings,
        advice=advice,
        verdict=verdict,
        tool_version=__version__,
        probe_seconds=probe_seconds,
        settings={
            "profile": profile.name,
            "ports": [p.number for p in profile.ports],
            "resolver": resolution.resolver,
            "cafile": profile.cafile,
            "packets": profile.packets,
        },
        packets=packets,
    )


async def _packets(
    stage: PacketStage | str, specs: tuple[ProbeSpec, ...]
) -> PacketEvidence:
    if isinstance(stage, str):
        return PacketEvidence(stage)
    log.debug("check.packets finishing probes=%d", len(specs))
    return await stage.finish()


def _reverse_names(options: CheckOptions) -> NameLookup:
    """PTR lookups for the routers the packet stage meets, through the same
    resolver, with short limits: a name is a courtesy, not worth a wait."""
    resolver = Resolver(
        ResolveConfig(nameserver=options.nameserver, timeout=1.0, lifetime=1.5)
    )
    return resolver.reverse_name
