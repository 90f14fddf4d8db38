"""One SMTP session from inside np-hotel, reported as JSON (a test helper).

Run as `python smtp_session.py '{"host": ..., "port": ..., ...}'` through
Lab.hotel_exec. It connects to an address (not a name), so the family is
the test's choice, and checks the certificate against `name` with the lab
CA, as a mail client with the CA installed would. It stops after EHLO,
STARTTLS and optionally AUTH, and says QUIT: it never sends a message.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import sys
from typing import Any, BinaryIO


def read_reply(stream: BinaryIO) -> tuple[int, list[str]]:
    """One SMTP reply (RFC 5321 4.2): its code and the text of each line."""
    lines = []
    while True:
        raw = stream.readline(2048)
        if not raw:
            raise EOFError("connection closed mid-reply")
        line = raw.decode(errors="replace").rstrip("\r\n")
        lines.append(line[4:])
        if line[3:4] != "-":
            return int(line[:3]), lines


def command(sock: socket.socket, stream: BinaryIO, text: str) -> tuple[int, list[str]]:
    sock.sendall(text.encode() + b"\r\n")
    return read_reply(stream)


def session(request: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    context = ssl.create_default_context(cafile=request.get("cafile"))
    sock = socket.create_connection((request["host"], request["port"]), timeout=5)
    if request.get("implicit"):
        sock = context.wrap_socket(sock, server_hostname=request["name"])
        result["tls"] = sock.version()
    stream = sock.makefile("rb")
    result["greeting"] = read_reply(stream)[1][0]
    result["ehlo"] = command(sock, stream, "EHLO hotel.isp.example")[1][1:]
    if request.get("starttls"):
        code, _ = command(sock, stream, "STARTTLS")
        result["starttls_code"] = code
        sock = context.wrap_socket(sock, server_hostname=request["name"])
        result["tls"] = sock.version()
        stream = sock.makefile("rb")
        result["ehlo_tls"] = command(sock, stream, "EHLO hotel.isp.example")[1][1:]
    if "login" in request:
        user, password = request["login"]
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        result["auth_code"] = command(sock, stream, f"AUTH PLAIN {token}")[0]
    if isinstance(sock, ssl.SSLSocket):
        cert = sock.getpeercert() or {}
        alt_names: Any = cert.get("subjectAltName", ())
        result["peer_names"] = [value for key, value in alt_names if key == "DNS"]
    command(sock, stream, "QUIT")
    sock.close()
    return result


def main() -> int:
    request = json.loads(sys.argv[1])
    try:
        result = session(request)
    except (OSError, EOFError) as error:
        result = {"error": f"{type(error).__name__}: {error}"}
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
