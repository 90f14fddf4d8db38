"""A tiny authoritative nameserver on loopback, answering from zone text.

Names listed in ``servfail`` get SERVFAIL, names in ``silent`` get no answer
at all (a resolver that never answers), names in ``garbage`` get bytes that
are not DNS. Everything else is answered from the zone, with NXDOMAIN for
names the zone does not hold and an empty answer for types it lacks.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone


@dataclass
class ZoneServer:
    zone_text: str
    origin: str = "example."
    servfail: Iterable[str] = ()
    silent: Iterable[str] = ()
    garbage: Iterable[str] = ()
    address: str = "127.0.0.1"
    port: int = 0
    queries: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._zone = dns.zone.from_text(
            self.zone_text, origin=self.origin, relativize=False, check_origin=False
        )
        self._servfail = {dns.name.from_text(n) for n in self.servfail}
        self._silent = {dns.name.from_text(n) for n in self.silent}
        self._garbage = {dns.name.from_text(n) for n in self.garbage}
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((self.address, self.port))
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def nameserver(self) -> str:
        return f"{self.address}:{self.port}"

    def __enter__(self) -> ZoneServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self._answer(data)
            if reply is not None:
                self._sock.sendto(reply, peer)

    def _answer(self, data: bytes) -> bytes | None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name, rdtype = question.name, question.rdtype
        self.queries.append(f"{name} {dns.rdatatype.to_text(rdtype)}")
        if name in self._silent:
            return None
        if name in self._garbage:
            return b"\x00\x01not dns at all"
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name in self._servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        node = self._zone.get_node(name)
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if rdataset is not None:
            rrset = response.find_rrset(
                response.answer, name, dns.rdataclass.IN, rdtype, create=True
            )
            rrset.update(rdataset)  # type: ignore[no-untyped-call]
        return response.to_wire()
