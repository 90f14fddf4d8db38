"""The single-file build: it runs with a Python that has nothing installed
(-I -S: no site-packages, no user site, no PYTHON* variables), holds no
compiled file and no scapy, and says what it skipped without scapy."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pki import MailCA
from tests.support.world import World, mail_world


@pytest.fixture(scope="module")
def world(test_ca: MailCA) -> Iterator[World]:
    with mail_world(test_ca) as world:
        yield world


def run_pyz(
    pyz: Path, *words: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-S", str(pyz), *words],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_pyz_prints_its_version_without_site_packages(netprobe_pyz: Path) -> None:
    result = run_pyz(netprobe_pyz, "--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("netprobe ")


def test_pyz_holds_no_compiled_file_and_no_scapy(netprobe_pyz: Path) -> None:
    names = zipfile.ZipFile(netprobe_pyz).namelist()

    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib"))]
    assert not [n for n in names if n.startswith("scapy")]
    assert "netprobe/profiles/default.toml" in names
    assert "netprobe/schema/report.schema.json" in names


def test_pyz_checks_loopback_and_says_what_it_skipped(
    netprobe_pyz: Path, world: World, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"

    result = run_pyz(
        netprobe_pyz, "check", "ok.example", "-o", str(report), *world.args
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok.example: OK\n")
    assert (
        "Skipped: packet-level evidence (SYN, ICMP, TTL): scapy is not installed"
        in (result.stdout)
    )
    assert "Traceback" not in result.stderr


def test_pyz_shows_a_saved_report_as_html_and_reads_built_in_profiles(
    netprobe_pyz: Path, world: World, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    run_pyz(netprobe_pyz, "check", "ok.example", "-o", str(report), *world.args)

    shown = run_pyz(netprobe_pyz, "report", "show", str(report), "-f", "html")
    profile = run_pyz(netprobe_pyz, "profiles", "show", "ci")

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("<!DOCTYPE html>")
    assert profile.returncode == 0 and 'color = "never"' in profile.stdout
