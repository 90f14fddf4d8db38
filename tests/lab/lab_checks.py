"""Helpers for the lab's tests: DNS, SMTP and netprobe as seen from np-hotel."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import Lab
from lab.addresses import NAMESPACES

SMTP_SESSION = Path(__file__).with_name("smtp_session.py")
STATUS = re.compile(r"status: ([A-Z]+)")
REPO = Path(__file__).resolve().parents[2]
# How a test drops to an unprivileged user (nobody) inside the hotel: no
# capabilities, so no raw sockets for the packet stage.
UNPRIVILEGED = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--inh-caps=-all",
]

Report = dict[str, Any]


def check(
    lab: Lab, domain: str, *extra: str, privileged: bool = True
) -> tuple[int, Report]:
    """`netprobe check DOMAIN` on the hotel laptop: exit code and JSON report.

    Unprivileged, it runs as nobody; the repository is put on PYTHONPATH
    because the working directory is then all it can rely on.
    """
    argv = [
        sys.executable,
        "-m",
        "netprobe",
        "check",
        domain,
        "--cafile",
        str(lab.ca_file),
        "--no-save",
        "--format",
        "json",
        *extra,
    ]
    env = None
    if not privileged:
        argv = [*UNPRIVILEGED, *argv]
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    done = lab.hotel_exec(argv, timeout=60, env=env)
    assert "Traceback" not in done.stderr
    report: Report = json.loads(done.stdout)
    return done.returncode, report


def unprivileged_python_problem(lab: Lab) -> str | None:
    """Why nobody cannot run this interpreter with netprobe, or None if it can.

    The interpreter or the repository may lie under a directory only root
    can enter (a pyenv in /root, say).
    """
    argv = [*UNPRIVILEGED, sys.executable, "-c", "import netprobe.cli"]
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    done = lab.hotel_exec(argv, timeout=30, env=env)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return f"{sys.executable} cannot run as nobody: {lines[-1] if lines else '?'}"


def finding(report: Report, code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["code"] == code]
    assert found, f"no {code} in {[f['code'] for f in report['findings']]}"
    return found[0]


def codes(report: Report) -> set[str]:
    return {f["code"] for f in report["findings"]}


def outcomes(report: Report, port: int) -> dict[str, str]:
    return {p["address"]: p["outcome"] for p in report["probes"] if p["port"] == port}


@dataclass(frozen=True)
class Answer:
    status: str
    records: list[str]


def dig(lab: Lab, qtype: str, name: str, *, wait: float = 2.0) -> Answer:
    """Ask the ISP resolver from the hotel; status '' means no answer came."""
    argv = ["dig", f"+time={wait:g}", "+tries=1", "+noall", "+comments", "+answer"]
    argv += ["-x", name] if qtype == "PTR" else [qtype, name]
    result = lab.hotel_exec(argv, timeout=wait + 10)
    status = STATUS.search(result.stdout)
    records = [
        " ".join(line.split()[4:])
        for line in result.stdout.splitlines()
        if line and not line.startswith(";")
    ]
    return Answer(status.group(1) if status else "", records)


def smtp_session(lab: Lab, **request: Any) -> dict[str, Any]:
    """Run tests/lab/smtp_session.py in the hotel with `request` as JSON."""
    request.setdefault("cafile", str(lab.ca_file))
    argv = [sys.executable, str(SMTP_SESSION), json.dumps(request)]
    result = lab.hotel_exec(argv, timeout=30, check=True)
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def namespace_inodes() -> dict[str, int]:
    """Inode of each lab namespace that exists, to find its processes later."""
    inodes = {}
    for namespace in NAMESPACES:
        try:
            inodes[namespace] = os.stat(f"/run/netns/{namespace}").st_ino
        except FileNotFoundError:
            continue
    return inodes


def leftovers(inodes: dict[str, int]) -> list[str]:
    """What of the lab is still on the machine, described; [] when nothing."""
    found = [
        f"namespace {ns}" for ns in NAMESPACES if Path(f"/run/netns/{ns}").exists()
    ]
    found += [
        f"/etc/netns/{ns}" for ns in NAMESPACES if Path(f"/etc/netns/{ns}").exists()
    ]
    wanted = set(inodes.values())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            inode = os.stat(proc / "ns" / "net").st_ino
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if state == "Z":
            continue
        if inode in wanted or "lab.forwarder" in cmdline or "lab.servfail" in cmdline:
            found.append(f"process {proc.name} ({cmdline.strip()})")
    for device in ("np-tap-isp", "np-tap-net"):
        if Path(f"/sys/class/net/{device}").exists():
            found.append(f"root-namespace device {device}")
    return found
