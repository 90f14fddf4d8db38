"""A DNS server that fails every query with SERVFAIL (RFC 1035 RCODE 2).

It plays a broken upstream for servfail.example: the ISP resolver forwards
that zone here and passes the SERVFAIL on to the hotel, so netprobe can
see a resolver failure that is neither NXDOMAIN nor a timeout. dnsmasq
cannot produce one itself. Runs as `python -m lab.servfail ADDRESS` in
np-net, started and stopped by lab.dns; UDP only, since dnsmasq forwards
over UDP unless an answer is truncated.
"""

from __future__ import annotations

import argparse
import logging
import socket
from pathlib import Path

from lab.daemons import announce_ready

log = logging.getLogger("lab.servfail")

HEADER_SIZE = 12
QR = 0x8000
# Bits copied from the query: opcode (0x7800) and RD (0x0100).
ECHOED = 0x7900
RA = 0x0080
SERVFAIL = 2


def answer(query: bytes) -> bytes | None:
    """The SERVFAIL reply to `query`, or None for something not a query."""
    if len(query) < HEADER_SIZE or query[2] & 0x80:
        return None
    flags = QR | (int.from_bytes(query[2:4], "big") & ECHOED) | RA | SERVFAIL
    # Same ID and question; no answer, authority or additional records.
    counts = query[4:6] + bytes(6)
    return query[:2] + flags.to_bytes(2, "big") + counts + query[HEADER_SIZE:]


def serve(
    address: str, ready_fd: int | None, pid_file: Path | None, port: int = 53
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, port))
        announce_ready(ready_fd, pid_file)
        log.info("servfail.start address=%s port=%d", address, port)
        while True:
            query, client = sock.recvfrom(4096)
            reply = answer(query)
            if reply is not None:
                sock.sendto(reply, client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.servfail")
    parser.add_argument("address")
    parser.add_argument("--ready-fd", type=int)
    parser.add_argument("--pid-file", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    serve(args.address, args.ready_fd, args.pid_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
