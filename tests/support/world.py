"""A small mail world on loopback for tests that need whole reports: a zone
served by the test nameserver and a provider's mail host with STARTTLS, AUTH
and implicit TLS, signed by the test CA."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from netprobe.cli import app
from tests.support.dnsserver import ZoneServer
from tests.support.pki import MailCA
from tests.support.smtpserver import free_port, mail_host

MAIL = "127.0.0.4"

ZONE = """
$TTL 60
example. IN SOA ns.example. admin.example. 1 60 60 60 60
ok.example. IN MX 10 mail.ok.example.
mail.ok.example. IN A 127.0.0.4
partial.example. IN MX 10 gone.partial.example.
partial.example. IN MX 20 mail.ok.example.
gone.partial.example. IN A 127.0.0.5
dead.example. IN MX 10 gone.partial.example.
nullmx.example. IN MX 0 .
"""


@dataclass(frozen=True)
class World:
    """Where the world listens, and the options that point a check at it."""

    nameserver: str
    cafile: str
    smtp: int
    submission: int
    submissions: int

    @property
    def args(self) -> list[str]:
        return [
            "--resolver",
            self.nameserver,
            "--cafile",
            self.cafile,
            "--port",
            f"{self.smtp}=smtp",
            "--port",
            f"{self.submission}=submission",
            "--port",
            f"{self.submissions}=submissions",
            "--timeout",
            "2",
        ]


@contextlib.contextmanager
def mail_world(ca: MailCA, zone: str = ZONE) -> Iterator[World]:
    smtp, submission, submissions = (free_port(MAIL, "127.0.0.5") for _ in range(3))
    with (
        ZoneServer(zone) as dns,
        mail_host(
            MAIL,
            "mail.ok.example",
            smtp=smtp,
            submission=submission,
            submissions=submissions,
            context=ca.server_context("mail.ok.example"),
        ),
    ):
        yield World(dns.nameserver, str(ca.cafile), smtp, submission, submissions)


def check_document(world: World, domain: str, *extra: str) -> dict[str, Any]:
    """Run ``netprobe check --format json`` and return the document."""
    result = CliRunner().invoke(
        app, ["check", domain, "--format", "json", "--no-save", *world.args, *extra]
    )
    assert result.exit_code in (0, 1, 3, 4, 5), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document
