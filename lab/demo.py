"""`make demo`: the traveller's story, played in the test network.

Brings the network up with the ISP dropping outbound port 25, runs
`netprobe check whaler.example` on the hotel laptop so its verdict and
advice are shown as a user sees them, and takes the network down again,
whatever happened in between. A lab that was already up is left up.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence

from lab.errors import LabError
from lab.firewall import Mode
from lab.network import Lab

# netprobe's own exit codes that still mean "the demo worked": 0 nothing
# wrong, 1 a problem found with a working setup (the drop mode's answer).
_DEMO_OK = (0, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.demo", description=__doc__)
    parser.add_argument(
        "--mode", default=Mode.DROP.value, choices=[m.value for m in Mode]
    )
    parser.add_argument("--domain", default="whaler.example")
    args = parser.parse_args(argv)

    lab = Lab()
    try:
        was_up = lab.status().up
        print(f"$ python -m lab up {args.mode}", flush=True)
        lab.up(args.mode)
    except LabError as exc:
        print(f"lab: error: {exc}", file=sys.stderr)
        if not lab.status().up:
            lab.down()
        return 1
    try:
        command = ["netprobe", "check", args.domain, "--cafile", str(lab.ca_file)]
        print(f"$ ip netns exec np-hotel {' '.join(command)}", flush=True)
        argv_ = [sys.executable, "-m", "netprobe", *command[1:], "--no-save"]
        code = subprocess.run(lab.hotel_argv(argv_), check=False).returncode
        print(f"(netprobe exit code {code})", flush=True)
    finally:
        if not was_up:
            print("$ python -m lab down", flush=True)
            lab.down()
    return 0 if code in _DEMO_OK else code


if __name__ == "__main__":
    sys.exit(main())
