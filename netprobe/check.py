"""The check pipeline: resolve -> plan -> probe -> classify -> diagnose ->
advise -> verdict, for one domain.

This is the only place the stages are wired together; each stage stays a
plain function of the one before it. The packet stage runs beside the
socket probes, watching their connects, and its evidence joins theirs at
classify; when it cannot run, the report says why in one line.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from netprobe import __version__
from netprobe.advise import advise
from netprobe.classify import classify, classify_mailbox
from netprobe.diagnose import diagnose, diagnose_incoming
from netprobe.domain import parse_domain
from netprobe.expect import ProbeExpectation, evaluate
from netprobe.model import (
    CheckReport,
    MailboxObservation,
    MailRouting,
    Observation,
    PacketEvidence,
    ProbeSpec,
)
from netprobe.packets import NameLookup, PacketStage, open_stage
from netprobe.plan import plan, plan_mailbox
from netprobe.probe import Prober, RoundTrips
from netprobe.probe_mailbox import MailboxProber
from netprobe.profile import Profile
from netprobe.resolve import ResolveConfig, Resolver, resolve
from netprobe.verdict import decide

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeDone:
    """A probe has finished: the CLI's progress display hears of each one."""

    observation: Observation | MailboxObservation
    done: int
    total: int


@dataclass(frozen=True)
class CheckOptions:
    profile: Profile = field(default_factory=Profile)
    nameserver: str | None = None
    seed: int | None = None
    # Called in the event loop as each probe finishes; must not block.
    progress: Callable[[ProbeDone], None] | None = None


def _references(profile: Profile) -> tuple[str, ...]:
    """The profile's reference targets, and the hosts its expectations name:
    an expectation about a relay is only useful if the relay is probed."""
    named = [
        e.host
        for e in profile.expectations
        if isinstance(e, ProbeExpectation) and e.host
    ]
    return tuple(dict.fromkeys([*profile.references, *named]))


def _skipped() -> tuple[str, ...]:
    # find_spec looks without importing: scapy is slow to import and only
    # the packet-level stage may load it.
    if importlib.util.find_spec("scapy") is None:
        return ("packet-level evidence (SYN, ICMP, TTL): scapy is not installed",)
    return ()


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
            references=_references(profile),
            receiving=profile.receiving,
        ),
    )
    log.debug("check.resolve complete routing=%s", resolution.routing)
    # A host an expectation names that is the target's own is probed in its
    # own role; as a reference too, it would be left out of the advice.
    own = {e.host.name for e in resolution.exchanges}
    own |= {s.host.name for s in resolution.submission_hosts}
    resolution = replace(
        resolution,
        references=tuple(
            h
            for h in resolution.references
            if h.name in profile.references or h.name not in own
        ),
    )

    specs = plan(resolution, profile)
    mailbox_specs = plan_mailbox(resolution, profile)
    if resolution.routing is MailRouting.NULL_MX:
        # RFC 7505 3: the domain says it takes no mail; probing is pointless.
        specs, mailbox_specs = (), ()
    probe_started = time.monotonic()
    round_trips = RoundTrips()
    stage = open_stage(specs, profile, round_trips, _reverse_names(options))
    try:
        # Both kinds of probe share one Prober: its round trips, so that a
        # silent port is given up on as soon as either side has measured the
        # path, and its concurrency limits.
        watcher = stage if isinstance(stage, PacketStage) else None
        prober = Prober(profile, round_trips, watcher)
        finished = _counter(options, len(specs) + len(mailbox_specs))
        observations, mailbox_observations = await asyncio.gather(
            prober.run(specs, finished),
            MailboxProber(prober, profile.timeouts).run(mailbox_specs, finished),
        )
        packets = await _packets(stage, specs)
    finally:
        if isinstance(stage, PacketStage):
            stage.close()
    probe_seconds = time.monotonic() - probe_started
    log.debug(
        "check.probe complete probes=%d mailbox=%d packets=%s",
        len(observations),
        len(mailbox_observations),
        packets.status,
    )

    results = classify(observations, packets)
    mailbox_results = tuple(classify_mailbox(o) for o in mailbox_observations)
    findings = diagnose(resolution, results)
    if profile.receiving:
        findings += diagnose_incoming(resolution, mailbox_results)
    advice = advise(resolution, results, findings, mailbox_results)
    verdict = decide(domain.display, findings, advice)
    expectations = evaluate(profile.expectations, results, mailbox_results, findings)
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
            "profile": profile.source or profile.name,
            "ports": [p.number for p in profile.ports],
            "receiving_ports": [p.number for p in profile.receiving_ports]
            if profile.receiving
            else [],
            "resolver": resolution.resolver,
            "cafile": profile.cafile,
            "packets": profile.packets,
        },
        packets=packets,
        mailbox_results=mailbox_results,
        expectations=expectations,
        skipped=_skipped(),
    )


def _counter(
    options: CheckOptions, total: int
) -> Callable[[Observation | MailboxObservation], None] | None:
    progress = options.progress
    if progress is None:
        return None
    done = 0

    def finished(observation: Observation | MailboxObservation) -> None:
        nonlocal done
        done += 1
        progress(ProbeDone(observation, done, total))

    return finished


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
