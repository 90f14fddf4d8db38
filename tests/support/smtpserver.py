"""SMTP servers on loopback: a real one (aiosmtpd) and scripted misbehaviour.

The real server speaks STARTTLS, implicit TLS and AUTH as a provider would.
The scripted one does what no real server can be made to do on purpose: a
greeting that never ends, garbage bytes, a byte a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class _NoDelivery:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # netprobe never sends DATA; a test that gets here has found a bug.
        return "554 5.7.1 test server takes no mail"


def _deny(*args: Any) -> AuthResult:
    return AuthResult(success=False)


def free_port(*addresses: str) -> int:
    """A TCP port that is free on every one of ``addresses`` right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for address in addresses[1:]:
                with socket.socket() as other:
                    other.bind((address, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no common free port")


@contextlib.contextmanager
def mail_host(
    address: str,
    name: str,
    *,
    smtp: int | None = None,
    submission: int | None = None,
    submissions: int | None = None,
    context: ssl.SSLContext | None = None,
) -> Iterator[None]:
    """A provider's mail host: 25-like with STARTTLS, 587-like with STARTTLS
    and AUTH, 465-like with implicit TLS, on the ports given."""
    controllers: list[Controller] = []
    common: dict[str, Any] = {
        "hostname": address,
        "server_hostname": name,
        "ident": "ESMTP test",
    }
    try:
        if smtp is not None:
            controllers.append(
                Controller(_NoDelivery(), port=smtp, tls_context=context, **common)
            )
        if submission is not None:
            controllers.append(
                Controller(
                    _NoDelivery(),
                    port=submission,
                    tls_context=context,
                    authenticator=_deny,
                    auth_require_tls=True,
                    **common,
                )
            )
        if submissions is not None:
            controllers.append(
                Controller(
                    _NoDelivery(),
                    port=submissions,
                    ssl_context=context,
                    authenticator=_deny,
                    auth_require_tls=False,
                    **common,
                )
            )
        for controller in controllers:
            controller.start()
        yield
    finally:
        for controller in controllers:
            with contextlib.suppress(Exception):
                controller.stop()


Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ScriptedServer:
    """A TCP server on loopback running ``script`` for every connection."""

    def __init__(self, script: Script, address: str = "127.0.0.1") -> None:
        self._script = script
        self.address = address
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.connections = 0

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        try:
            await self._script(reader, writer)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, self.address, 0), self._loop
        )
        self._server = future.result(5)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


async def greet_then(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    greeting: bytes,
) -> None:
    """Greet, then answer EHLO minimally and QUIT politely."""
    writer.write(greeting)
    await writer.drain()
    while line := await reader.readline():
        verb = line.split(b" ", 1)[0].strip().upper()
        if verb == b"EHLO":
            writer.write(b"250-fake.example\r\n250 8BITMIME\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            return
        else:
            writer.write(b"502 no\r\n")
        await writer.drain()
