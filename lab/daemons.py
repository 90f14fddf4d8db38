"""Starting the lab's daemons, and stopping them by the PID each recorded.

Every daemon writes a PID file in the run directory (dnsmasq and Postfix by
their own means, the lab's Python daemons through spawn/announce_ready).
The lab never looks processes up by name: to stop one it reads that file,
checks that the PID still runs the program it expects (PIDs are reused),
signals it and waits for it to go.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError

log = logging.getLogger(__name__)

# How long a daemon gets between SIGTERM and SIGKILL. Postfix's master and
# dnsmasq both exit within a few milliseconds of SIGTERM.
STOP_GRACE = 1.5
POLL_INTERVAL = 0.02
READY_TIMEOUT = 10.0
READY = b"ready\n"
# The package's parent directory, so `python -m lab.X` finds `lab` whatever
# the caller's working directory or PYTHONPATH.
SOURCE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Daemon:
    """A process the lab started and how to recognise it."""

    label: str
    pid_file: Path
    # A substring of /proc/PID/cmdline that the real process always has.
    signature: str


def read_pid(pid_file: Path) -> int | None:
    """The PID recorded in `pid_file`, or None when there is none."""
    try:
        text = pid_file.read_text().strip()
    except FileNotFoundError:
        return None
    # Postfix pads its PID with spaces; dnsmasq writes it bare.
    return int(text) if text.isdigit() else None


def is_running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie waiting to be reaped."""
    # A daemon this process spawned is our child: reap it if it has ended.
    # Others are reaped by init, here a PID 1 that takes its time.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # The state letter follows the parenthesised command name, which may
    # itself contain spaces or parentheses.
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def cmdline(pid: int) -> str:
    """The command line of `pid`, arguments joined by spaces ('' if gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def running_pid(daemon: Daemon) -> int | None:
    """The daemon's PID if its recorded process is still the one we started."""
    pid = read_pid(daemon.pid_file)
    if pid is None or not is_running(pid):
        return None
    if daemon.signature not in cmdline(pid):
        log.warning(
            "daemon.stale label=%s pid=%s now runs %r; not touching it",
            daemon.label,
            pid,
            cmdline(pid),
        )
        return None
    return pid


def terminate(pids: Iterable[int], grace: float = STOP_GRACE) -> list[int]:
    """SIGTERM each PID, SIGKILL what is left after `grace` seconds.

    Returns the PIDs that were still there even after SIGKILL.
    """
    pending = [pid for pid in pids if _signal(pid, signal.SIGTERM)]
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        pending = [pid for pid in pending if is_running(pid)]
    for pid in pending:
        log.warning("daemon.kill pid=%s ignored SIGTERM", pid)
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        pending = [pid for pid in pending if is_running(pid)]
    return pending


def stop(daemons: Sequence[Daemon]) -> list[str]:
    """Stop every daemon that is running; return labels that would not die."""
    found: dict[int, str] = {}
    for daemon in daemons:
        pid = running_pid(daemon)
        if pid is not None:
            log.debug("daemon.stop label=%s pid=%s", daemon.label, pid)
            found[pid] = daemon.label
    survivors = terminate(found)
    for daemon in daemons:
        with contextlib.suppress(FileNotFoundError):
            # The file is ours to remove only once its process is gone.
            if read_pid(daemon.pid_file) not in survivors:
                daemon.pid_file.unlink()
    return [found[pid] for pid in survivors]


def _signal(pid: int, signum: signal.Signals) -> bool:
    """Send `signum`; False when the process had already gone."""
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return False
    return True


def spawn(argv: list[str], daemon: Daemon, log_path: Path) -> int:
    """Start a lab daemon detached and return its PID once it serves.

    The program gets `--ready-fd N --pid-file PATH` appended; it records its
    own PID and then writes READY to descriptor N (announce_ready). Because
    the daemon writes the PID file itself, `down` finds it even when the
    `up` that started it was killed before this function returned.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    daemon.pid_file.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(SOURCE_ROOT), env.get("PYTHONPATH")])
    )
    ready_read, ready_write = os.pipe()
    extra = ["--ready-fd", str(ready_write), "--pid-file", str(daemon.pid_file)]
    try:
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                [*argv, *extra],
                pass_fds=(ready_write,),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                cwd="/",
                env=env,
                # Its own session: the daemon outlives `python -m lab up` and
                # ignores the terminal's Ctrl-C.
                start_new_session=True,
            )
    finally:
        os.close(ready_write)
    try:
        ready, _, _ = select.select([ready_read], [], [], READY_TIMEOUT)
        answer = os.read(ready_read, len(READY)) if ready else b""
    finally:
        os.close(ready_read)
    if answer != READY:
        process.kill()
        process.wait()
        raise LabError(f"{daemon.label} did not start; see {log_path}")
    log.debug("daemon.spawn label=%s pid=%s", daemon.label, process.pid)
    return process.pid


def announce_ready(ready_fd: int | None, pid_file: Path | None) -> None:
    """Record this daemon's PID, then tell the parent waiting in spawn()."""
    if pid_file is not None:
        pid_file.write_text(f"{os.getpid()}\n")
    if ready_fd is not None:
        os.write(ready_fd, READY)
        os.close(ready_fd)
