"""Starting the delay forwarder (lab.forwarder) and changing its delay."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

from lab import addresses as A
from lab.daemons import Daemon, running_pid, spawn
from lab.errors import LabError

log = logging.getLogger(__name__)

APPLY_TIMEOUT = 3.0


def daemon(run_dir: Path) -> Daemon:
    return Daemon("forwarder", run_dir / "forwarder.pid", "lab.forwarder")


def delay_file(run_dir: Path) -> Path:
    return run_dir / "delay-ms"


def start(run_dir: Path, delay_ms: float) -> int:
    """Start the forwarder; its TAP devices exist when this returns."""
    _write_delay(run_dir, delay_ms)
    argv = [
        sys.executable, "-m", "lab.forwarder",
        "--tap-a", A.TAP_ISP,
        "--tap-b", A.TAP_NET,
        "--delay-file", str(delay_file(run_dir)),
    ]  # fmt: skip
    return spawn(argv, daemon(run_dir), run_dir / "log" / "forwarder.log")


def set_delay(run_dir: Path, delay_ms: float) -> None:
    """Change the one-way delay of the isp-net link while it runs."""
    if delay_ms < 0:
        raise LabError(f"delay must be 0 or more milliseconds, not {delay_ms:g}")
    pid = running_pid(daemon(run_dir))
    if pid is None:
        raise LabError("the delay forwarder is not running; is the lab up?")
    applied = _write_delay(run_dir, delay_ms)
    applied.unlink(missing_ok=True)
    os.kill(pid, signal.SIGHUP)
    # Wait for the forwarder's confirmation, so a probe started right after
    # this call already sees the new delay.
    deadline = time.monotonic() + APPLY_TIMEOUT
    while time.monotonic() < deadline:
        if applied.exists() and _read_ms(applied) == delay_ms:
            return
        time.sleep(0.005)
    raise LabError(f"the delay forwarder (pid {pid}) did not apply the new delay")


def _read_ms(path: Path) -> float | None:
    try:
        return float(path.read_text())
    except (FileNotFoundError, ValueError):
        # Caught between the forwarder's truncate and write.
        return None


def _write_delay(run_dir: Path, delay_ms: float) -> Path:
    path = delay_file(run_dir)
    # Written then renamed, so the forwarder never reads half a number.
    temporary = path.with_suffix(".tmp")
    temporary.write_text(f"{delay_ms:g}\n")
    temporary.replace(path)
    return path.with_name(path.name + ".applied")
