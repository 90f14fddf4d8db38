"""A TCP connect as the hotel laptop sees it, for checking the lab.

Run inside a namespace as `python -m lab.connect ADDRESS PORT [TIMEOUT]`; it
prints one JSON object: the outcome (`open`, `timeout`, or the errno name
such as `ECONNREFUSED`), the time it took, and for an open port the first
line the server sent (an SMTP greeting). Lab.hotel_connect wraps it.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
import time
from dataclasses import asdict, dataclass

GREETING_TIMEOUT = 3.0


@dataclass(frozen=True)
class ConnectResult:
    outcome: str
    seconds: float
    greeting: str = ""


def connect(address: str, port: int, timeout: float) -> ConnectResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.monotonic()
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
        except TimeoutError:
            return ConnectResult("timeout", time.monotonic() - started)
        except OSError as error:
            name = errno.errorcode.get(error.errno or 0, str(error.errno))
            return ConnectResult(name, time.monotonic() - started)
        seconds = time.monotonic() - started
        sock.settimeout(GREETING_TIMEOUT)
        try:
            greeting = sock.makefile("rb").readline(512)
            # Leave politely, as netprobe does (RFC 5321 4.1.1.10).
            sock.sendall(b"QUIT\r\n")
        except (TimeoutError, OSError):
            greeting = b""
        return ConnectResult("open", seconds, greeting.decode(errors="replace").strip())


def main(argv: list[str]) -> int:
    address, port = argv[0], int(argv[1])
    timeout = float(argv[2]) if len(argv) > 2 else 3.0
    json.dump(asdict(connect(address, port, timeout)), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
