"""`make bench`: netprobe, swaks and nmap, side by side, in the test network.

For every one-way delay on the isp-net link and every port-25 policy, each
tool is run several times from the hotel laptop against whaler.example's
exchanges and the median wall time is printed beside the critical path: the
round trips a check cannot avoid. The machines are noisy, so only medians
and ratios are worth quoting.

What each tool does in that time differs, and the table says so:
- netprobe: MX and SRV lookups, then 25, 587 and 465 on both exchanges over
  IPv4 and IPv6 (12 probes), greeting, EHLO, STARTTLS or implicit TLS, the
  certificate, QUIT; a verdict and advice.
- swaks --quit-after EHLO: one connection to one host on port 25.
- nmap -Pn -p25,587,465: a SYN scan (connect scan when not root) of the two
  exchanges over IPv4; no SMTP, no TLS, no verdict.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tabulate import tabulate

from lab import Lab
from lab.addresses import MAIL_V4, RESOLVER_V4
from netprobe.profile import Timeouts

log = logging.getLogger(__name__)

MODES = ("none", "drop", "reset", "prohibited", "redirect")
DOMAIN = "whaler.example"
EXCHANGES = ("mail.whaler.example", "backup.whaler.example")

# Sequential round trips on the longest probe (587 with STARTTLS): connect,
# greeting, EHLO, STARTTLS, TLS 1.3 handshake, EHLO again, QUIT.
PROBE_ROUND_TRIPS = 7
# MX (with SRV and the usual names alongside), then A/AAAA of the exchanges.
DNS_ROUND_TRIPS = 2
# What a silent port costs at least: netprobe's own filtered floor.
FILTERED_FLOOR = Timeouts().filtered_floor


@dataclass(frozen=True)
class Run:
    seconds: float
    summary: str


def _timed(argv: Sequence[str], timeout: float) -> tuple[float, str, int]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return time.monotonic() - started, "", -1
    return time.monotonic() - started, done.stdout, done.returncode


def _ping_rtt(lab: Lab, address: str) -> float:
    """Average round trip in seconds from the hotel, by ping."""
    out = lab.hotel_exec(["ping", "-c", "5", "-i", "0.2", "-q", address]).stdout
    match = re.search(r"= [\d.]+/([\d.]+)/", out)
    return float(match.group(1)) / 1000 if match else 0.0


def run_netprobe(lab: Lab) -> Run:
    argv = lab.hotel_argv(
        [
            sys.executable,
            "-m",
            "netprobe",
            "check",
            DOMAIN,
            "--cafile",
            str(lab.ca_file),
            "--no-save",
            "--format",
            "json",
        ]
    )
    seconds, out, code = _timed(argv, 120)
    try:
        document = json.loads(out)
    except json.JSONDecodeError:
        return Run(seconds, f"exit {code}, no report")
    blocked = [f for f in document["findings"] if f["code"] == "port25_blocked"]
    how = f" port25 {blocked[0]['how']}" if blocked else ""
    status = document["verdict"]["status"]
    inner = document["timings"]["total_seconds"]
    return Run(seconds, f"exit {code} {status}{how} (in-process {inner:.2f} s)")


def run_swaks(lab: Lab) -> Run:
    argv = lab.hotel_argv(
        ["swaks", "--server", EXCHANGES[0], "--port", "25", "--quit-after", "EHLO"]
    )
    seconds, out, code = _timed(argv, 120)
    greeting = re.search(r"<-\s+220 (\S+)", out)
    seen = f", greeted by {greeting.group(1)}" if greeting else ""
    return Run(seconds, f"exit {code}{seen}")


def run_nmap(lab: Lab) -> Run:
    argv = lab.hotel_argv(["nmap", "-Pn", "-p25,587,465", *EXCHANGES])
    seconds, out, code = _timed(argv, 120)
    states = re.findall(r"^(\d+)/tcp\s+(\S+)", out, flags=re.MULTILINE)
    port25 = sorted({state for port, state in states if port == "25"})
    return Run(seconds, f"exit {code}, 25: {'/'.join(port25) or '?'}")


def _critical_path(rtt_path: float, rtt_dns: float, mode: str) -> float:
    path = DNS_ROUND_TRIPS * rtt_dns + PROBE_ROUND_TRIPS * rtt_path
    if mode == "drop":
        # Silence is only concluded by waiting: at least the floor.
        path = max(path, FILTERED_FLOOR)
    return path


def bench(
    lab: Lab,
    delays: Sequence[float],
    modes: Sequence[str],
    runs: int,
    swaks_runs: int,
) -> list[list[object]]:
    tools = [("netprobe", run_netprobe, runs), ("nmap", run_nmap, runs)]
    if shutil.which("swaks"):
        tools.insert(1, ("swaks", run_swaks, swaks_runs))
    rows: list[list[object]] = []
    for delay in delays:
        lab.set_delay(delay)
        rtt_path = _ping_rtt(lab, MAIL_V4)
        rtt_dns = _ping_rtt(lab, RESOLVER_V4)
        for mode in modes:
            lab.set_mode(mode)
            critical = _critical_path(rtt_path, rtt_dns, mode)
            medians: dict[str, float] = {}
            for name, tool, count in tools:
                results = [tool(lab) for _ in range(count)]
                median = statistics.median(r.seconds for r in results)
                medians[name] = median
                rows.append(
                    [
                        f"{delay:g} ms",
                        mode,
                        name,
                        f"{median:.2f}",
                        f"{critical:.2f}",
                        _ratio(median, medians.get("netprobe")),
                        results[-1].summary,
                    ]
                )
            print(
                f"# delay {delay:g} ms, mode {mode}: rtt {rtt_path * 1000:.1f} ms",
                file=sys.stderr,
            )
    lab.set_mode("none")
    lab.set_delay(0)
    return rows


def _ratio(median: float, netprobe: float | None) -> str:
    if not netprobe:
        return ""
    return f"{median / netprobe:.2f}x"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--swaks-runs", type=int, default=3)
    parser.add_argument("--delays", default="0,50", help="one-way delays in ms")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--keep", action="store_true", help="leave the lab up")
    args = parser.parse_args(argv)

    delays = [float(d) for d in args.delays.split(",") if d]
    modes = [m for m in args.modes.split(",") if m]
    lab = Lab()
    was_up = lab.status().up
    lab.up("none")
    try:
        rows = bench(lab, delays, modes, args.runs, args.swaks_runs)
    finally:
        if not (was_up or args.keep):
            lab.down()
    headers = ["delay", "mode", "tool", "median s", "critical s", "vs netprobe", "last"]
    print(tabulate(rows, headers=headers))
    print(
        "\ncritical s: round trips a check cannot avoid "
        f"({DNS_ROUND_TRIPS} to the resolver, {PROBE_ROUND_TRIPS} on the longest "
        f"probe), and for drop at least the {FILTERED_FLOOR} s filtered floor."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
