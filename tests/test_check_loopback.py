"""The whole check pipeline against real servers on loopback.

A real SMTP server (aiosmtpd) with STARTTLS, implicit TLS and AUTH, signed by
a CA made for the test, and a real nameserver answering from zone text. The
network-level cases (a dropped SYN, ICMP, a redirect) need a firewall and
live in tests/lab.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from netprobe.check import CheckOptions, run_check
from netprobe.model import (
    CheckReport,
    MailRouting,
    Outcome,
    PortSpec,
    Security,
    Service,
    Status,
)
from netprobe.profile import Profile, Timeouts
from tests.support.dnsserver import ZoneServer
from tests.support.pki import MailCA
from tests.support.smtpserver import free_port, mail_host

MAIL, BACKUP, DEAD = "127.0.0.2", "127.0.0.3", "127.0.0.9"


@dataclass(frozen=True)
class World:
    dns: ZoneServer
    profile: Profile
    smtp: int
    submission: int
    submissions: int


ZONE = """
$TTL 60
example. IN SOA ns.example. admin.example. 1 60 60 60 60
whaler.example. IN MX 10 mail.whaler.example.
whaler.example. IN MX 20 backup.whaler.example.
mail.whaler.example. IN A 127.0.0.2
backup.whaler.example. IN A 127.0.0.3
nullmx.example. IN MX 0 .
implicit.example. IN A 127.0.0.2
srv.example. IN MX 10 mail.whaler.example.
_submissions._tcp.srv.example. IN SRV 0 1 {submissions} mail.whaler.example.
down.example. IN MX 10 dead.down.example.
down.example. IN MX 20 mail.whaler.example.
dead.down.example. IN A 127.0.0.9
nomail.example. IN TXT "no mail here"
"""


@pytest.fixture(scope="module")
def world(test_ca: MailCA) -> Iterator[World]:
    smtp, submission, submissions = (free_port(MAIL, BACKUP, DEAD) for _ in range(3))
    zone = ZONE.format(submissions=submissions)
    context = test_ca.server_context("mail.whaler.example")
    backup_context = test_ca.server_context("backup.whaler.example")
    profile = Profile(
        ports=(
            PortSpec(smtp, Service.SMTP),
            PortSpec(submission, Service.SUBMISSION),
            PortSpec(submissions, Service.SUBMISSIONS),
        ),
        cafile=str(test_ca.cafile),
        timeouts=Timeouts(connect=3.0, greeting=3.0, command=3.0, tls=3.0),
    )
    with (
        ZoneServer(
            zone, servfail=["broken.example."], silent=["silent.example."]
        ) as dns,
        mail_host(
            MAIL,
            "mail.whaler.example",
            smtp=smtp,
            submission=submission,
            submissions=submissions,
            context=context,
        ),
        mail_host(BACKUP, "backup.whaler.example", smtp=smtp, context=backup_context),
    ):
        yield World(dns, profile, smtp, submission, submissions)


def check(world: World, domain: str, **changes: object) -> CheckReport:
    profile = replace(world.profile, **changes)  # type: ignore[arg-type]
    options = CheckOptions(profile=profile, nameserver=world.dns.nameserver, seed=7)
    return asyncio.run(run_check(domain, options))


def outcomes(report: CheckReport) -> dict[tuple[str, int], Outcome]:
    return {(r.spec.address, r.spec.port): r.outcome for r in report.results}


def codes(report: CheckReport) -> set[str]:
    return {f.code for f in report.findings}


def test_check_all_open_is_ok_and_advises_implicit_tls(world: World) -> None:
    report = check(world, "whaler.example")

    assert report.verdict.status is Status.OK
    assert [e.host.name for e in report.resolution.exchanges] == [
        "mail.whaler.example",
        "backup.whaler.example",
    ]
    seen = outcomes(report)
    assert seen[(MAIL, world.smtp)] is Outcome.OPEN
    assert seen[(MAIL, world.submission)] is Outcome.OPEN
    assert seen[(MAIL, world.submissions)] is Outcome.OPEN
    assert seen[(BACKUP, world.smtp)] is Outcome.OPEN
    assert seen[(BACKUP, world.submission)] is Outcome.REFUSED
    best = report.advice[0]
    assert (best.host, best.port, best.security, best.login) == (
        "mail.whaler.example",
        world.submissions,
        Security.IMPLICIT_TLS,
        True,
    )
    assert report.advice[1].security is Security.STARTTLS
    assert codes(report) == set()


def test_check_open_port_records_greeting_tls_and_auth(world: World) -> None:
    report = check(world, "whaler.example")

    by_port = {r.spec.port: r for r in report.results if r.spec.address == MAIL}
    starttls = by_port[world.submission]
    assert starttls.greeting_host == "mail.whaler.example"
    assert starttls.starttls is True
    assert starttls.observation.tls is not None
    assert starttls.observation.tls.verified
    assert starttls.observation.tls.version in ("TLSv1.2", "TLSv1.3")
    assert "mail.whaler.example" in starttls.observation.tls.names
    # AUTH is advertised only after STARTTLS (auth_require_tls).
    assert starttls.observation.ehlo is not None
    assert not any("AUTH" in line for line in starttls.observation.ehlo[1])
    assert "PLAIN" in starttls.auth
    implicit = by_port[world.submissions]
    assert implicit.starttls is None
    assert implicit.observation.tls is not None and implicit.observation.tls.verified


def test_check_null_mx_probes_nothing_and_says_no_mail(world: World) -> None:
    report = check(world, "nullmx.example")

    assert report.resolution.routing is MailRouting.NULL_MX
    assert report.results == ()
    assert report.verdict.status is Status.NO_MAIL
    assert "null_mx" in codes(report)


def test_check_nxdomain_is_not_a_dns_failure(world: World) -> None:
    report = check(world, "nosuchname.example")

    assert report.verdict.status is Status.NO_MAIL
    assert codes(report) == {"nxdomain"}


def test_check_name_without_mx_or_address_cannot_receive_mail(world: World) -> None:
    report = check(world, "nomail.example")

    assert report.resolution.routing is MailRouting.NO_MAIL
    assert report.verdict.status is Status.NO_MAIL


def test_check_servfail_is_a_dns_failure_not_nxdomain(world: World) -> None:
    report = check(world, "broken.example")

    assert report.resolution.routing is MailRouting.DNS_FAILURE
    assert "dns_failure" in codes(report)
    assert "nxdomain" not in codes(report)
    assert report.verdict.status is Status.BLOCKED


def test_check_silent_resolver_times_out_as_dns_failure(world: World) -> None:
    report = check(world, "silent.example")

    assert report.resolution.routing is MailRouting.DNS_FAILURE
    mx = next(q for q in report.resolution.queries if q.rdtype == "MX")
    assert mx.status.value == "timeout"
    assert report.seconds < 10


def test_check_implicit_mx_probes_the_domain_itself(world: World) -> None:
    report = check(world, "implicit.example")

    assert report.resolution.routing is MailRouting.IMPLICIT_MX
    assert "implicit_mx" in codes(report)
    assert {r.spec.host for r in report.results} == {"implicit.example"}
    # The certificate names mail.whaler.example, not implicit.example.
    assert "tls_problem" in codes(report)


def test_check_srv_submission_host_comes_first(world: World) -> None:
    report = check(world, "srv.example")

    srv = report.resolution.submission_hosts[0]
    assert (srv.source, srv.host.name) == ("srv", "mail.whaler.example")
    assert srv.port == PortSpec(world.submissions, Service.SUBMISSIONS)
    assert report.advice[0].port == world.submissions


def test_check_primary_exchange_down_is_not_a_network_block(world: World) -> None:
    report = check(world, "down.example")

    assert "exchange_down" in codes(report)
    assert "port25_blocked" not in codes(report)
    down = next(f for f in report.findings if f.code == "exchange_down")
    assert down.hosts == ("dead.down.example",)
    assert report.verdict.status is Status.DEGRADED


def test_check_runs_probes_concurrently(world: World) -> None:
    report = check(world, "whaler.example")

    slowest = max(r.observation.timings["total"] for r in report.results)
    total = sum(r.observation.timings["total"] for r in report.results)
    # The probe stage takes about as long as its slowest probe, not the sum.
    assert report.probe_seconds < slowest + 0.5 * (total - slowest) + 0.2
