"""The command line. Thin: options in, a pipeline call, a rendering out.

Exit codes (documented in the README; tested in tests/test_cli.py and beside
each feature: test_profiles, test_reports, test_terminal_and_batch):

    0   nothing wrong
    1   a problem was found, but a working setup exists (the advice says which)
    2   usage error: a bad option, an invalid domain, an unusable profile
    3   no working setup from this network
    4   the domain cannot receive mail (NXDOMAIN, null MX, no mail host)
    5   the profile states expectations and at least one does not hold
        (with expectations, 0 means all hold, whatever the verdict)
    70  internal error
    73  a report could not be written or read: an unwritable --output, or
        for ``report show`` / ``report diff`` a file that is missing, is not
        JSON, is not a netprobe report, or was written by a newer major
        version of the report schema

``report diff A B`` exits 0 when nothing changed and 1 when something did.
``check --domains FILE`` exits with the worst of its domains' codes, in the
order 0 < 1 < 4 < 3 < 5 (see ``WORST_LAST``); lines that are not domains
are reported on standard error and skipped.

Every error is one line on standard error; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from netprobe import __version__
from netprobe.errors import NetprobeError, ProfileError, UsageError
from netprobe.model import Family, PortSpec, Service, Status
from netprobe.profile import Profile
from netprobe.report.formats import Format

if TYPE_CHECKING:
    from netprobe.check import CheckOptions
    from netprobe.report.redact import LocalIdentity

EXIT_OK = 0
EXIT_DEGRADED = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_NO_MAIL = 4
EXIT_EXPECTATIONS = 5
EXIT_INTERNAL = 70
EXIT_CHANGED = 1

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

report_app = typer.Typer(
    help="Saved reports: list them, show one in any format, compare two.",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")
profiles_app = typer.Typer(
    help="Profiles: which ports, timeouts, reference targets, expectations.",
    no_args_is_help=True,
)
app.add_typer(profiles_app, name="profiles")


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
    domain: Annotated[
        str | None,
        typer.Argument(help="The mail domain, e.g. example.com.", show_default=False),
    ] = None,
    domains: Annotated[
        Path | None,
        typer.Option(
            "--domains",
            help="Check every domain in FILE (one a line, # comments) and write "
            "JSON Lines, one report a line.",
            dir_okay=False,
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(help="With --domains: how many domains to check at once."),
    ] = 4,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="Output format [default: text]."),
    ] = None,
    profile_name: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-P",
            help="A profile by NAME (see 'profiles list') or PATH to a TOML file. "
            "Options given here override it.",
        ),
    ] = None,
    resolver: Annotated[
        str | None,
        typer.Option(
            help="Ask this DNS server (ADDRESS or ADDRESS:PORT).",
            envvar="NETPROBE_RESOLVER",
        ),
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
    packets: Annotated[
        bool,
        typer.Option(
            "--packets/--no-packets",
            help="Gather packet evidence (SYN, ICMP, TTL, hop) where privileges allow.",
        ),
    ] = True,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Also write the report here; the format follows the extension "
            "(.json .md .html .xml), else --format.",
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Replace this machine's addresses, name and user name in what "
            "is printed and written to --output (the saved copy stays whole).",
        ),
    ] = False,
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

        if (domain is None) == (domains is None):
            raise UsageError("give a DOMAIN or --domains FILE, not both nor neither")
        if domain is not None:
            parse_domain(domain)  # refuse a bad name before anything else happens
        if not 1 <= jobs <= 64:
            raise UsageError("--jobs must be between 1 and 64")
        profile = _profile_from_options(
            _base_profile(profile_name),
            ports=port or [],
            ipv4=ipv4,
            ipv6=ipv6,
            cafile=cafile,
            timeout=timeout,
        )
        if not packets:
            profile = replace(profile, packets=False)
        options = CheckOptions(profile=profile, nameserver=resolver, seed=seed)
        out = _Output(output, save=not no_save, verbose=verbose, redact=redact)
        if domains is not None:
            if fmt not in (None, Format.JSON):
                raise UsageError(
                    "--domains writes JSON Lines; --format cannot change it"
                )
            code = _check_many(domains, options, jobs, out)
        else:
            assert domain is not None
            code = _check(domain, options, fmt or Format.TEXT, out)
    raise typer.Exit(code)


def _base_profile(name: str | None) -> Profile:
    from netprobe.profile_loader import load_profile

    return load_profile(name or "default")


def _profile_from_options(
    profile: Profile,
    *,
    ports: list[str],
    ipv4: bool,
    ipv6: bool,
    cafile: Path | None,
    timeout: float | None,
) -> Profile:
    """The profile with the options given on the command line applied."""
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
    if profile.cafile and cafile is None and not Path(profile.cafile).is_file():
        raise ProfileError(
            profile.source or profile.name,
            "cafile",
            f"no such file: {profile.cafile} (give --cafile to use another)",
        )
    return profile


@dataclass(frozen=True)
class _Output:
    """Where and how a check's report goes, besides standard output."""

    path: Path | None
    save: bool
    verbose: bool
    redact: bool


def _check(domain: str, options: CheckOptions, fmt: Format, out: _Output) -> int:
    # The pipeline loads here, not at start-up, so that --help stays quick.
    import asyncio

    from netprobe.check import ProbeDone, run_check
    from netprobe.report import document, formats, store
    from netprobe.terminal import ProgressLine, wants_color

    # The progress line is drawn from the probe stage's callback; the
    # library itself never writes to the terminal.
    progress = ProgressLine(sys.stderr)

    def show(event: ProbeDone) -> None:
        spec = event.observation.spec
        progress.show(
            f"probing {event.done}/{event.total}: {spec.host} port {spec.port}"
        )

    if progress.enabled:
        progress.show(f"checking {domain} ...")
        options = replace(options, progress=show)
    try:
        report = asyncio.run(run_check(domain, options))
    finally:
        progress.clear()
    doc = document.to_document(report)

    # Save first: a report on disk survives whatever happens to the terminal.
    if out.save:
        saved = store.save_document(doc)
        log.info("saved report %s", saved)
    if out.redact:
        doc = _redacted(doc)
    if out.path is not None:
        rendered = formats.render(
            doc, formats.for_path(out.path, fmt), verbose=out.verbose
        )
        store.write_atomic(out.path, rendered)

    color = wants_color(sys.stdout, options.profile.color)
    typer.echo(formats.render(doc, fmt, verbose=out.verbose, color=color), nl=False)
    return exit_code(doc)


# The order in which a batch's exit codes are "worse": a blocked network is
# worse than a domain that takes no mail, and an expectation that does not
# hold is what a pipeline asked about, so it outranks all.
WORST_LAST = (EXIT_OK, EXIT_DEGRADED, EXIT_NO_MAIL, EXIT_BLOCKED, EXIT_EXPECTATIONS)


def _check_many(path: Path, options: CheckOptions, jobs: int, out: _Output) -> int:
    import asyncio
    import json

    from netprobe.batch import check_many, read_domains
    from netprobe.report import document, store
    from netprobe.terminal import ProgressLine, bar

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"--domains {path}: {problem}") from None
    names, skipped = read_domains(text)
    for line in skipped:
        typer.echo(
            f"netprobe: warning: {path}:{line.number}: {line.text!r} is not a "
            f"domain ({line.reason}); skipped",
            err=True,
        )
    if not names:
        raise UsageError(f"--domains {path}: no domains in the file")

    progress = ProgressLine(sys.stderr)
    progress.show(f"{bar(0, len(names))} 0/{len(names)} domains")

    def finished(done: int, total: int) -> None:
        progress.show(f"{bar(done, total)} {done}/{total} domains")

    lines: list[str] = []
    codes: list[int] = []

    async def run() -> None:
        async for report in check_many(names, options, jobs, finished):
            doc = document.to_document(report)
            if out.save:
                store.save_document(doc)
            if out.redact:
                doc = _redacted(doc)
            codes.append(exit_code(doc))
            line = json.dumps(doc, ensure_ascii=False)
            if out.path is None:
                # Lines go to stdout between redraws of the progress line.
                progress.clear()
                typer.echo(line)
                progress.show(progress.last)
            else:
                lines.append(line)

    try:
        asyncio.run(run())
    finally:
        progress.clear()
    if out.path is not None:
        store.write_atomic(out.path, "".join(f"{line}\n" for line in lines))
    return max(codes, key=WORST_LAST.index)


def exit_code(doc: dict[str, Any]) -> int:
    """The exit code a report stands for; see the module docstring."""
    expectations = doc.get("expectations")
    if expectations:
        holds = all(e["holds"] for e in expectations)
        return EXIT_OK if holds else EXIT_EXPECTATIONS
    return STATUS_EXIT[Status(doc["verdict"]["status"])]


def _local_identity() -> LocalIdentity:
    import getpass
    import socket

    from netprobe.report.redact import LocalIdentity

    hostname = socket.gethostname()
    try:
        user: str | None = getpass.getuser()
    except (KeyError, OSError):
        user = None  # no user name to hide when the system has none
    try:
        home: str | None = str(Path.home())
    except (KeyError, RuntimeError):
        home = None
    return LocalIdentity((hostname, hostname.split(".")[0]), user, home)


def _redacted(doc: dict[str, Any]) -> dict[str, Any]:
    from netprobe.report.redact import redact

    return redact(doc, _local_identity())


@report_app.command("list")
def report_list(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """List saved reports, newest first: time, target, status, file."""
    _setup_logging(debug)
    with _reported_errors(debug):
        from tabulate import tabulate

        from netprobe.report import store

        reports = store.list_reports()
        if not reports:
            typer.echo(f"No saved reports in {store.state_dir()}.", err=True)
            return
        rows = [[r.started or "?", r.target, r.status, r.path.name] for r in reports]
        typer.echo(tabulate(rows, headers=["time", "target", "status", "file"]))


@report_app.command("show")
def report_show(
    file: Annotated[
        str, typer.Argument(help="A report file, or a name from 'report list'.")
    ],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TEXT,
    redact: Annotated[
        bool,
        typer.Option("--redact", help="Replace this machine's addresses and names."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show all evidence.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Show a saved report in any format."""
    _setup_logging(debug)
    with _reported_errors(debug):
        from netprobe.report import formats, store

        doc = store.load_document(store.find_report(file))
        if redact:
            doc = _redacted(doc)
        typer.echo(formats.render(doc, fmt, verbose=verbose), nl=False)


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@report_app.command("diff")
def report_diff(
    old: Annotated[str, typer.Argument(help="The earlier report.")],
    new: Annotated[str, typer.Argument(help="The later report.")],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.TEXT,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """What changed between two runs. Exits 0 when nothing did, 1 when
    something did."""
    _setup_logging(debug)
    with _reported_errors(debug):
        import json

        from netprobe.report import diff, store

        change = diff.compare(
            store.load_document(store.find_report(old)),
            store.load_document(store.find_report(new)),
        )
        if fmt is DiffFormat.JSON:
            typer.echo(json.dumps(change, indent=2, ensure_ascii=False))
        else:
            typer.echo(diff.render_text(change))
    raise typer.Exit(EXIT_CHANGED if change["changed"] else EXIT_OK)


@profiles_app.command("list")
def profiles_list(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """List the built-in profiles and your own, with what each is for."""
    _setup_logging(debug)
    with _reported_errors(debug):
        from tabulate import tabulate

        from netprobe.profile_loader import list_profiles, user_dir

        rows = [[p.name, p.origin, p.description] for p in list_profiles()]
        typer.echo(tabulate(rows, headers=["name", "from", "description"]))
        typer.echo(f"\nYour own profiles go in {user_dir()}/NAME.toml.")


@profiles_app.command("show")
def profiles_show(
    name: Annotated[str, typer.Argument(help="A profile name or a TOML file.")],
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Print a profile's TOML, after checking that it loads."""
    _setup_logging(debug)
    with _reported_errors(debug):
        from netprobe.profile_loader import profile_text

        where, text = profile_text(name)
        typer.echo(f"# {where}")
        typer.echo(text, nl=not text.endswith("\n"))


def _register_path() -> None:
    # The header reader is its own module; importing it is cheap (stdlib
    # email), so `netprobe --help` stays fast.
    from netprobe.path_command import path_command

    app.command("path")(path_command)


_register_path()


def main() -> None:
    app()
