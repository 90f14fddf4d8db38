"""``netprobe path``: the journey of a message, read from its headers.

The lead CLI registers this with ``app.command("path")(path_command)``. It
reads one message (or just its header block) from a file or from standard
input (``-``), renders the journey and writes it to standard output or to
``--output``. Exit codes: 0 when the input was read (a message without
``Received:`` lines included, which is reported, not refused); 2 for usage
errors and input that cannot be read or is not a message; 73 when the report
cannot be written (the project's code for that). Errors are one
``netprobe: error: ...`` line on standard error, never a traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from netprobe import __version__
from netprobe.headerblock import NotAMessageError

logger = logging.getLogger(__name__)

__all__ = ["path_command"]

EXIT_USAGE = 2
EXIT_REPORT = 73

_MESSAGE_HELP = "Message file (.eml, or headers only); '-' reads standard input."
_FORMAT_HELP = "Output format: text, json, markdown or html."
_OUTPUT_HELP = "Write the report to this file instead of standard output."
# Enough for any header block; a larger input is a mailbox or a mistake.
_MAX_INPUT = 64 * 1024 * 1024


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"netprobe: error: {message}", err=True)
    return typer.Exit(code)


def _read(message: str) -> bytes:
    if message == "-":
        return sys.stdin.buffer.read(_MAX_INPUT + 1)
    with Path(message).open("rb") as handle:
        return handle.read(_MAX_INPUT + 1)


def path_command(
    message: Annotated[str, typer.Argument(help=_MESSAGE_HELP, show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help=_FORMAT_HELP)] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)
    ] = None,
) -> None:
    """Reconstruct the path a message took from its Received: headers.

    MESSAGE is a message file, or '-' to read the message from standard input.
    """
    # The parser loads here, not at start-up: `netprobe --help` and `check`
    # do not need it.
    from netprobe.journey import journey_from_bytes
    from netprobe.render_path import OutputFormat, render

    try:
        chosen = OutputFormat(fmt.lower())
    except ValueError:
        names = ", ".join(f.value for f in OutputFormat)
        raise _fail(f"unknown format {fmt!r} (choose one of {names})") from None

    source = "standard input" if message == "-" else message
    try:
        data = _read(message)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _fail(f"cannot read {source}: {reason}") from None
    if len(data) > _MAX_INPUT:
        raise _fail(f"{source} is larger than {_MAX_INPUT // (1024 * 1024)} MiB")

    try:
        journey = journey_from_bytes(data)
    except NotAMessageError as exc:
        raise _fail(f"{source} does not look like an e-mail message ({exc})") from None
    logger.debug("path.rendered hops=%d format=%s", len(journey.hops), chosen)
    report = render(journey, chosen, __version__)

    if output is None:
        typer.echo(report, nl=False)
        return
    try:
        output.write_text(report, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _fail(f"cannot write {output}: {reason}", EXIT_REPORT) from None
