"""The servers of the ev- network, run inside a namespace by the fixture.

``server``: mail.ev.example on 25 (STARTTLS) and 587 (STARTTLS and AUTH) over
both families, nothing on 465 (so that its own reset is a genuine one), and
the nameserver for the ev.example zone and its PTRs. ``relay``: the router's
own relay on 2525, which the redirect policy hands port 25 to, greeting as
relay.ev.example without STARTTLS, as an ISP relay might.

Prints ``ready`` once listening, then serves until terminated.
"""

from __future__ import annotations

import contextlib
import signal
import ssl
import sys
import threading

from tests.evidence import netns
from tests.support.dnsserver import ZoneServer
from tests.support.smtpserver import mail_host


def main(role: str, cert: str, key: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        if role == "server":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            for address in (netns.SERVER_V4, netns.SERVER_V6):
                stack.enter_context(
                    mail_host(
                        address, netns.MAIL, smtp=25, submission=587, context=context
                    )
                )
            stack.enter_context(
                ZoneServer(
                    netns.zone_text(), origin=".", address=netns.SERVER_V4, port=53
                )
            )
        else:
            for address in (netns.GATEWAY_V4, netns.GATEWAY_V6):
                stack.enter_context(
                    mail_host(address, netns.RELAY, smtp=netns.RELAY_PORT)
                )
        print("ready", flush=True)
        stop.wait()


if __name__ == "__main__":
    main(*sys.argv[1:4])
