"""What DNS says about TLS on port 25, asked beside the MX lookup, and the
STARTTLS a path strips, against real servers on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from netprobe.check import CheckOptions, run_check
from netprobe.model import CheckReport, Confidence, PortSpec, Service
from netprobe.profile import Profile, Timeouts
from tests.support.dnsserver import ZoneServer
from tests.support.pki import MailCA
from tests.support.smtpserver import free_port, mail_host

PLAIN, TLS = "127.0.0.6", "127.0.0.7"
TLSA = "3 1 1 " + "ab" * 32

ZONE = f"""
$TTL 60
example. IN SOA ns.example. admin.example. 1 60 60 60 60
sts.example. IN MX 10 mail.sts.example.
mail.sts.example. IN A {PLAIN}
_mta-sts.sts.example. IN TXT "v=STSv1; id=20240101T000000"
_25._tcp.mail.sts.example. IN TLSA {TLSA}
nopolicy.example. IN MX 10 mail.nopolicy.example.
mail.nopolicy.example. IN A {PLAIN}
notsts.example. IN MX 10 mail.notsts.example.
mail.notsts.example. IN A {TLS}
_mta-sts.notsts.example. IN TXT "v=spf1 -all"
"""


@dataclass(frozen=True)
class World:
    nameserver: str
    profile: Profile


@pytest.fixture(scope="module")
def world(test_ca: MailCA) -> Iterator[World]:
    smtp, submission = (free_port(PLAIN, TLS) for _ in range(2))
    profile = Profile(
        ports=(PortSpec(smtp, Service.SMTP), PortSpec(submission, Service.SUBMISSION)),
        cafile=str(test_ca.cafile),
        timeouts=Timeouts(connect=3.0, greeting=3.0, command=3.0, tls=3.0),
        packets=False,
    )
    with (
        ZoneServer(ZONE) as dns,
        # The SMTP port of this one offers no STARTTLS, its 587 does: what a
        # path that strips the keyword on port 25 looks like from here.
        mail_host(
            PLAIN,
            "mail.sts.example",
            smtp=smtp,
            context=None,
        ),
        mail_host(
            PLAIN,
            "mail.sts.example",
            submission=submission,
            context=test_ca.server_context("mail.sts.example", "mail.nopolicy.example"),
        ),
        mail_host(
            TLS,
            "mail.notsts.example",
            smtp=smtp,
            context=test_ca.server_context("mail.notsts.example"),
        ),
    ):
        yield World(dns.nameserver, profile)


def check(world: World, domain: str) -> CheckReport:
    options = CheckOptions(profile=world.profile, nameserver=world.nameserver, seed=1)
    return asyncio.run(run_check(domain, options))


def test_check_reads_mta_sts_and_dane_and_calls_the_missing_starttls_stripped(
    world: World,
) -> None:
    report = check(world, "sts.example")

    assert report.resolution.mta_sts == "v=STSv1; id=20240101T000000"
    assert report.resolution.dane_exchanges == ("mail.sts.example",)
    asked = {(q.name, q.rdtype) for q in report.resolution.queries}
    assert ("_mta-sts.sts.example", "TXT") in asked
    assert ("_25._tcp.mail.sts.example", "TLSA") in asked
    [stripped] = [f for f in report.findings if f.code == "starttls_stripped"]
    assert stripped.confidence is Confidence.HIGH
    assert "DANE" in stripped.evidence[0]
    assert "MTA-STS" in stripped.evidence[0]


def test_missing_starttls_with_only_another_port_offering_tls_is_medium(
    world: World,
) -> None:
    report = check(world, "nopolicy.example")

    assert report.resolution.mta_sts is None
    assert report.resolution.dane_exchanges == ()
    [stripped] = [f for f in report.findings if f.code == "starttls_stripped"]
    assert stripped.confidence is Confidence.MEDIUM


def test_txt_record_that_is_not_mta_sts_is_no_policy(world: World) -> None:
    report = check(world, "notsts.example")

    assert report.resolution.mta_sts is None
    assert "starttls_stripped" not in {f.code for f in report.findings}
