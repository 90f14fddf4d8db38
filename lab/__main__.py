"""`python -m lab`: the command line of the test network.

    python -m lab up [MODE] [--family ipv4|ipv6|both]
    python -m lab mode MODE [--family ipv4|ipv6|both]
    python -m lab delay MS
    python -m lab host off|on mail|backup|reference
    python -m lab port25 off|on mail|backup|reference
    python -m lab status
    python -m lab down

Errors are one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from lab.addresses import SWITCHABLE
from lab.errors import LabError
from lab.firewall import Family, Mode
from lab.network import Lab

log = logging.getLogger("lab")

MODES = [mode.value for mode in Mode]
FAMILIES = [family.value for family in Family]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lab",
        description="Build and switch netprobe's test network (needs root).",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every step (DEBUG)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="build the network (idempotent)")
    up.add_argument("mode", nargs="?", default="none", choices=MODES)
    up.add_argument("--family", default="both", choices=FAMILIES)

    mode = commands.add_parser("mode", help="switch the ISP's port-25 policy")
    mode.add_argument("mode", choices=MODES)
    mode.add_argument(
        "--family",
        default="both",
        choices=FAMILIES,
        help="apply to this family only; the other gets `none`",
    )

    delay = commands.add_parser("delay", help="one-way delay of isp-net, in ms")
    delay.add_argument("milliseconds", type=float)

    host = commands.add_parser("host", help="switch an exchange off or on")
    host.add_argument("state", choices=["off", "on"])
    host.add_argument("name", choices=sorted(SWITCHABLE))

    port25 = commands.add_parser(
        "port25", help="switch a mail host's port 25 alone off or on"
    )
    port25.add_argument("state", choices=["off", "on"])
    port25.add_argument("name", choices=sorted(SWITCHABLE))

    commands.add_parser("status", help="what is up, mode, family, delay")
    commands.add_parser("down", help="remove everything the lab made")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
    )
    lab = Lab()
    try:
        if args.command == "up":
            lab.up(args.mode, args.family)
        elif args.command == "mode":
            lab.set_mode(args.mode, args.family)
        elif args.command == "delay":
            lab.set_delay(args.milliseconds)
        elif args.command == "host":
            lab.host(args.name, up=args.state == "on")
        elif args.command == "port25":
            lab.port25(args.name, up=args.state == "on")
        elif args.command == "down":
            lab.down()
        if args.command in ("status", "up", "mode", "delay", "host", "port25"):
            sys.stdout.write("\n".join(lab.status().lines()) + "\n")
    except LabError as error:
        sys.stderr.write(f"lab: error: {error}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("lab: interrupted\n")
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
