"""The README's CI job and support-desk one-liner, run as written.

The commands are taken from README.md itself (the fenced blocks after the
``<!-- tested: ... -->`` markers), so what a reader copies is what is tested.
Only the environment differs: NETPROBE_RESOLVER points at the test
nameserver, which serves example.com with its mail host on loopback, and
SSL_CERT_FILE at the test CA. ``python3`` runs as ``-I -S`` (nothing but
the standard library and the archive), and ``netprobe`` as ``python -m
netprobe``. The mail host listens on the real ports 587 and 465, which needs
root, as CI runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dnsserver import ZoneServer
from tests.support.pki import MailCA
from tests.support.smtpserver import mail_host

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
MAIL = "127.0.0.31"

ZONE = f"""
$TTL 60
example.com. IN SOA ns.example.com. admin.example.com. 1 60 60 60 60
example.com. IN MX 10 mail.example.com.
mail.example.com. IN A {MAIL}
"""


def block(marker: str) -> str:
    """The fenced block after ``<!-- tested: marker ... -->``."""
    match = re.search(
        rf"<!-- tested: {re.escape(marker)}\b.*?-->\n```\w*\n(.*?)```", README, re.S
    )
    assert match, f"README has no block marked {marker}"
    return match.group(1)


def command_line(text: str, program: str) -> list[str]:
    """The one command in ``text`` that starts with ``program``."""
    lines = [
        line.strip().removeprefix("run:").strip()
        for line in text.splitlines()
        if program in line
    ]
    assert len(lines) == 1, lines
    words = shlex.split(lines[0])
    return words[words.index(program.split(maxsplit=1)[0]) :]


def as_run(words: list[str]) -> list[str]:
    if words[0] == "python3":
        return [sys.executable, "-I", "-S", *words[1:]]
    assert words[0] == "netprobe"
    return [sys.executable, "-m", "netprobe", *words[1:]]


@pytest.fixture(scope="module")
def example_com(test_ca: MailCA) -> Iterator[dict[str, str]]:
    if os.geteuid() != 0:
        reason = "the README's commands probe ports 587 and 465, which need root"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with (
        ZoneServer(ZONE, origin="example.com.") as dns,
        mail_host(
            MAIL,
            "mail.example.com",
            submission=587,
            submissions=465,
            context=test_ca.server_context("mail.example.com"),
        ),
    ):
        yield {
            "NETPROBE_RESOLVER": dns.nameserver,
            "SSL_CERT_FILE": str(test_ca.cafile),
            "PYTHONPATH": str(ROOT),
        }


@pytest.fixture
def workdir(tmp_path: Path, netprobe_pyz: Path) -> Path:
    shutil.copy(netprobe_pyz, tmp_path / "netprobe.pyz")
    return tmp_path


def run(
    words: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        as_run(words),
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_readme_ci_job_passes_when_the_policy_holds(
    example_com: dict[str, str], workdir: Path
) -> None:
    (workdir / "netprobe-ci.toml").write_text(block("ci-profile"))
    words = command_line(block("ci-job"), "python3 netprobe.pyz")

    result = run(words, workdir, example_com)

    assert result.returncode == 0, result.stdout + result.stderr
    suite = ET.parse(workdir / "netprobe.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "0")
    assert "\033" not in result.stdout  # color = "never", and no terminal


def test_readme_ci_job_fails_with_exit_5_when_port_25_is_open(
    example_com: dict[str, str], workdir: Path, test_ca: MailCA
) -> None:
    (workdir / "netprobe-ci.toml").write_text(block("ci-profile"))
    words = command_line(block("ci-job"), "python3 netprobe.pyz")

    with mail_host(MAIL, "mail.example.com", smtp=25):
        result = run(words, workdir, example_com)

    assert result.returncode == 5, result.stdout + result.stderr
    suite = ET.parse(workdir / "netprobe.xml").getroot().find("testsuite")
    assert suite is not None
    [failure] = [f for f in suite.iter("failure")]
    assert "expected port 25 is blocked; saw mail.example.com" in (
        failure.get("message") or ""
    )


def test_readme_support_desk_one_liner_saves_a_redacted_report_the_desk_reads(
    example_com: dict[str, str], workdir: Path
) -> None:
    words = command_line(block("support-desk"), "python3 netprobe.pyz")
    desk = re.search(r"`(netprobe report show [^`]*)`", README)
    assert desk is not None
    *show, redirect, target = shlex.split(desk.group(1))
    assert redirect == ">"

    user = run(words, workdir, example_com)
    shown = run(show, workdir, example_com)
    (workdir / target).write_text(shown.stdout)

    # Port 25 is closed in this world: degraded, with a working setup.
    assert user.returncode == 1, user.stdout + user.stderr
    assert user.stdout.startswith("example.com: DEGRADED")
    report = (workdir / "netprobe-report.json").read_text()
    assert '"redacted": true' in report
    assert "127.0.0.1" not in report  # this machine's end of each connection
    assert MAIL in report  # the target's own address stays
    assert shown.returncode == 0, shown.stderr
    assert (workdir / "report.html").read_text().startswith("<!DOCTYPE html>")
