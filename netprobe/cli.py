"""The command line. Thin: options in, a pipeline call, a rendering out.

Exit codes (documented in the README, tested in tests/test_cli.py):

    0   nothing wrong
    1   a problem was found, but a working setup exists (the advice says which)
    2   usage error: a bad option, an invalid domain, an unusable profile
    3   no working setup from this network
    4   the domain cannot receive mail (NXDOMAIN, null MX, no mail host)
    70  internal error
    73  a report could not be written or read

Every error is one line on standard error; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netprobe import __version__
from netprobe.errors import NetprobeError, UsageError
from netprobe.model import Family, PortSpec, Service, Status
from netprobe.profile import Profile

if TYPE_CHECKING:
    from netprobe.check import CheckOptions

EXIT_OK = 0
EXIT_DEGRADED = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_NO_MAIL = 4
EXIT_INTERNAL = 70

STATUS_EXIT = {
    Status.OK: EXIT_OK,
    Status.DEGRADED: EXIT_DEGRADED,
    Status.BLOCKED: EXIT_BLOCKED,
    Status.NO_MAIL: EXIT_NO_MAIL,
}

log = logging.getLogger("netprobe")

app = typer.Typer(
    name="netprobe",
    help="Why won't mail go out from this network, and what should be set instead?",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netprobe {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """netprobe: mail connectivity diagnostics."""


def _setup_logging(debug: bool) -> None:
    # Only the CLI configures handlers; library modules just log.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.WARNING)


@contextlib.contextmanager
def _reported_errors(debug: bool) -> Iterator[None]:
    """Turn every failure into one line and its exit code."""
    try:
        yield
    except NetprobeError as exc:
        if debug:
            raise
        typer.echo(f"netprobe: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if debug:
            raise
        typer.echo(
            f"netprobe: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for details)",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def parse_port(text: str) -> PortSpec:
    """``587`` or ``2525=smtp`` / ``2587=submission`` / ``2465=submissions``."""
    number_text, _, service_text = text.partition("=")
    if not number_text.isdigit() or not 0 < int(number_text) < 65536:
        raise UsageError(f"--port {text!r}: the port must be a number from 1 to 65535")
    number = int(number_text)
    if not service_text:
        return PortSpec.standard(number)
    try:
        return PortSpec(number, Service(service_text.lower()))
    except ValueError:
        names = ", ".join(s.value for s in Service)
        raise UsageError(
            f"--port {text!r}: the service must be one of {names}"
        ) from None


@app.command()
def check(  # noqa: PLR0917 - typer maps each option to a parameter
    domain: Annotated[str, typer.Argument(help="The mail domain, e.g. example.com.")],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TEXT,
    resolver: Annotated[
        str | None,
        typer.Option(help="Ask this DNS server (ADDRESS or ADDRESS:PORT)."),
    ] = None,
    cafile: Annotated[
        Path | None,
        typer.Option(help="Trust this CA file too, for a private CA.", dir_okay=False),
    ] = None,
    port: Annotated[
        list[str] | None,
        typer.Option(
            "--port",
            "-p",
            help="Port to probe; repeatable. PORT or PORT=smtp|submission|submissions.",
        ),
    ] = None,
    ipv4: Annotated[bool, typer.Option("--ipv4", "-4", help="IPv4 only.")] = False,
    ipv6: Annotated[bool, typer.Option("--ipv6", "-6", help="IPv6 only.")] = False,
    timeout: Annotated[
        float | None,
        typer.Option(help="Longest wait, in seconds, for a silent connection."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Also write the JSON report here."),
    ] = None,
    no_save: Annotated[
        bool, typer.Option("--no-save", help="Do not save the report.")
    ] = False,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed for the order of equal-preference MX hosts."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show all evidence.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log every step; show tracebacks.")
    ] = False,
) -> None:
    """Check that mail can go out to DOMAIN from this network, and advise."""
    _setup_logging(debug)
    with _reported_errors(debug):
        from netprobe.check import CheckOptions
        from netprobe.domain import parse_domain

        parse_domain(domain)  # refuse a bad name before anything else happens
        profile = _profile_from_options(port or [], ipv4, ipv6, cafile, timeout)
        options = CheckOptions(profile=profile, nameserver=resolver, seed=seed)
        code = _check(domain, options, fmt, output, save=not no_save, verbose=verbose)
    raise typer.Exit(code)


def _profile_from_options(
    ports: list[str],
    ipv4: bool,
    ipv6: bool,
    cafile: Path | None,
    timeout: float | None,
) -> Profile:
    profile = Profile()
    if ports:
        profile = replace(profile, ports=tuple(parse_port(p) for p in ports))
    if ipv4 and ipv6:
        raise UsageError("--ipv4 and --ipv6 exclude each other")
    if ipv4 or ipv6:
        profile = replace(profile, families=(Family.IPV4,) if ipv4 else (Family.IPV6,))
    if cafile is not None:
        if not cafile.is_file():
            raise UsageError(f"--cafile {cafile}: no such file")
        profile = replace(profile, cafile=str(cafile))
    if timeout is not None:
        if not 0 < timeout <= 600:
            raise UsageError("--timeout must be between 0 and 600 seconds")
        profile = replace(profile, timeouts=replace(profile.timeouts, connect=timeout))
    return profile


def _check(
    domain: str,
    options: CheckOptions,
    fmt: Format,
    output: Path | None,
    *,
    save: bool,
    verbose: bool,
) -> int:
    from netprobe.check import run_check
    from netprobe.report import document, store, text

    report = asyncio.run(run_check(domain, options))
    doc = document.to_document(report)

    # Save first: a report on disk survives whatever happens to the terminal.
    if output is not None:
        store.write_atomic(output, store.dumps(doc))
    if save:
        saved = store.save_document(doc)
        log.info("saved report %s", saved)

    if fmt is Format.JSON:
        typer.echo(store.dumps(doc), nl=False)
    else:
        typer.echo(text.render(report, verbose=verbose))
    return STATUS_EXIT[report.verdict.status]


def _register_path() -> None:
    # The header reader is its own module; importing it is cheap (stdlib
    # email), so `netprobe --help` stays fast.
    from netprobe.path_command import path_command

    app.command("path")(path_command)


_register_path()


def main() -> None:
    app()
