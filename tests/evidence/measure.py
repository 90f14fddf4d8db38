"""Time to a verdict when port 25 is silently dropped, in the ev- network.

    python -m tests.evidence.measure [--mode M] [--runs N] [--main DIR] [--peers]

As root. Builds the ev- network, applies port-25 policy M (default: drop)
over both families at ev-router, and times, from inside ev-client, the
median of N runs of: netprobe with packet evidence, without it
(--no-packets), without privileges, netprobe from another checkout
(``--main``, e.g. the code before this work, unpacked with ``git
archive``), and, with ``--peers``, what a fixed timeout costs: swaks (its
30 s default) and a plain connect with netprobe's 10 s ceiling. Prints one
line per variant; tears the network down.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from netprobe.model import Family
from tests.evidence import netns
from tests.support.pki import make_ca

Run = Callable[[], tuple[float, float | None, str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=netns.MODES, default="drop")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--main", type=Path, help="another checkout to compare")
    parser.add_argument("--peers", action="store_true", help="time swaks too")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="netprobe-measure-"))
    work.chmod(0o755)
    ca = make_ca(work / "pki")
    (work / "pki").chmod(0o755)
    ca.cafile.chmod(0o644)
    cert, key = ca.issue(netns.MAIL)
    try:
        with netns.network(cert, key, ca.cafile) as net:
            net.set_policy(options.mode, [Family.IPV4, Family.IPV6])
            variants: dict[str, Run] = {
                "netprobe, packets": lambda: _netprobe(net),
                "netprobe --no-packets": lambda: _netprobe(net, "--no-packets"),
                "netprobe, no privileges": lambda: _netprobe(net, privileged=False),
            }
            if options.main:
                variants["netprobe before (--main)"] = lambda: _netprobe(
                    net, root=options.main
                )
            if options.peers:
                variants["plain connect, 10 s timeout"] = lambda: _connect(net, 10)
                variants["swaks, default timeout"] = lambda: _swaks(net)
            for name, run in variants.items():
                runs = 3 if "timeout" in name else options.runs
                _report(name, [run() for _ in range(runs)])
    finally:
        shutil.rmtree(work)


def _netprobe(
    net: netns.EvNet,
    *args: str,
    privileged: bool = True,
    root: Path | None = None,
) -> tuple[float, float | None, str]:
    started = time.monotonic()
    command = ["check", netns.DOMAIN, "--resolver", netns.SERVER_V4]
    command += ["--cafile", str(net.cafile), "--no-save", "--format", "json", *args]
    if root is None:
        code, out, err, _ = net.netprobe(*command, privileged=privileged)
    else:
        prefix = ["ip", "netns", "exec", netns.CLIENT, net.python, "-m", "netprobe"]
        done = subprocess.run(
            [*prefix, *command],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
            cwd=root,
            check=False,
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    wall = time.monotonic() - started
    document = json.loads(out) if out.startswith("{") else {}
    verdict = " ".join(
        f"{f['code']}[{f.get('how')}]" for f in document.get("findings", [])
    )
    inner = document.get("timings", {}).get("total_seconds")
    return wall, inner, verdict or f"exit {code} {err.strip()[:60]}"


def _connect(net: netns.EvNet, timeout: int) -> tuple[float, float | None, str]:
    script = (
        "import socket\n"
        f"try: socket.create_connection(({netns.SERVER_V4!r}, 25), timeout={timeout})\n"
        "except OSError as e: print(type(e).__name__)\n"
    )
    started = time.monotonic()
    out = net.run(netns.CLIENT, net.python, "-c", script)
    return time.monotonic() - started, None, out.strip()


def _swaks(net: netns.EvNet) -> tuple[float, float | None, str]:
    started = time.monotonic()
    swaks = ["swaks", "--server", netns.SERVER_V4, "--port", "25"]
    swaks += ["--quit-after", "CONNECT", "--to", "postmaster@ev.example"]
    done = subprocess.run(
        ["ip", "netns", "exec", netns.CLIENT, *swaks],
        capture_output=True,
        text=True,
        check=False,
    )
    return time.monotonic() - started, None, f"exit {done.returncode}"


def _report(name: str, runs: list[tuple[float, float | None, str]]) -> None:
    walls = [w for w, _, _ in runs]
    inner = [i for _, i, _ in runs if i is not None]
    inside = f", check {statistics.median(inner):.2f} s" if inner else ""
    print(
        f"{name:30} median {statistics.median(walls):6.2f} s wall{inside} "
        f"(n={len(runs)}, min {min(walls):.2f}, max {max(walls):.2f}): "
        f"{runs[0][2]}",
        flush=True,
    )


if __name__ == "__main__":
    main()
