"""What a person at a terminal sees (colour, a progress line) and what a CI
job or a pipe sees (plain lines), and checking many domains in one run."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netprobe.batch import read_domains
from netprobe.cli import app
from netprobe.terminal import ProgressLine, bar, wants_color
from tests.support.pki import MailCA
from tests.support.world import World, mail_world

ROOT = Path(__file__).parent.parent
runner = CliRunner()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def world(test_ca: MailCA) -> Iterator[World]:
    with mail_world(test_ca) as world:
        yield world


# --- colour and progress -----------------------------------------------------


@pytest.mark.parametrize(
    ("tty", "setting", "environ", "expected"),
    [
        (True, "auto", {}, True),
        (False, "auto", {}, False),
        (True, "auto", {"NO_COLOR": "1"}, False),
        (True, "auto", {"NO_COLOR": ""}, True),  # no-color.org: set and not empty
        (True, "auto", {"TERM": "dumb"}, False),
        (True, "never", {}, False),
        (False, "always", {}, True),
        (False, "always", {"NO_COLOR": "1"}, False),
    ],
)
def test_wants_color_follows_terminal_profile_and_no_color(
    tty: bool, setting: str, environ: dict[str, str], expected: bool
) -> None:
    stream = _Tty() if tty else io.StringIO()

    assert wants_color(stream, setting, environ) is expected


def test_progress_line_rewrites_in_place_on_a_terminal_and_clears() -> None:
    stream = _Tty()
    progress = ProgressLine(stream, {})

    progress.show("probing 1/18: a long host name")
    progress.show("probing 2/18: b")
    progress.clear()

    written = stream.getvalue()
    assert written.startswith("\rprobing 1/18")
    assert "\rprobing 2/18: b" in written
    assert written.endswith("\r")


def test_progress_line_writes_nothing_without_a_terminal() -> None:
    stream = io.StringIO()
    progress = ProgressLine(stream, {})

    progress.show("probing 1/2")
    progress.clear()

    assert stream.getvalue() == ""


def test_bar_fills_in_proportion() -> None:
    assert bar(0, 4, 8) == "[........]"
    assert bar(2, 4, 8) == "[####....]"
    assert bar(4, 4, 8) == "[########]"


def _on_a_terminal(words: list[str], environ: dict[str, str]) -> str:
    """Run netprobe with stdout and stderr on a pseudo-terminal."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "netprobe", *words],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env={**os.environ, "TERM": "xterm", **environ},
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=30)
    os.close(leader)
    return b"".join(chunks).decode()


def test_cli_on_a_terminal_shows_progress_and_colour(world: World) -> None:
    out = _on_a_terminal(["check", "ok.example", "--no-save", *world.args], {})

    assert "probing " in out and "\r" in out
    assert "\033[32mOK\033[0m" in out


def test_cli_on_a_terminal_with_no_color_has_no_colour(world: World) -> None:
    out = _on_a_terminal(
        ["check", "ok.example", "--no-save", *world.args], {"NO_COLOR": "1"}
    )

    assert "ok.example: OK" in out
    assert "\033[" not in out


def test_cli_without_a_terminal_prints_plain_lines_only(world: World) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "netprobe",
            "check",
            "ok.example",
            "--no-save",
            *world.args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 0
    assert result.stdout.startswith("ok.example: OK\n")
    assert "\r" not in result.stdout + result.stderr
    assert "\033" not in result.stdout + result.stderr
    assert result.stderr == ""


# --- many domains ------------------------------------------------------------

DOMAINS = """\
# the company's domains
ok.example
not a domain
partial.example   # the one with a dead primary

nullmx.example
"""


def test_read_domains_skips_comments_blanks_and_invalid_lines() -> None:
    domains, skipped = read_domains(DOMAINS)

    assert domains == ["ok.example", "partial.example", "nullmx.example"]
    assert [(s.number, s.text) for s in skipped] == [(3, "not a domain")]


def test_cli_domains_writes_json_lines_in_order_and_exits_with_the_worst(
    world: World, tmp_path: Path
) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text(DOMAINS)

    result = runner.invoke(
        app, ["check", "--domains", str(listing), "--jobs", "2", *world.args]
    )

    lines = result.stdout.splitlines()
    assert [json.loads(line)["target"] for line in lines] == [
        "ok.example",
        "partial.example",
        "nullmx.example",
    ]
    # ok (0), degraded (1), no mail (4): the worst is 4.
    assert result.exit_code == 4
    assert f"{listing}:3: 'not a domain' is not a domain" in result.stderr
    assert "skipped" in result.stderr
    assert "Traceback" not in result.output


def test_cli_domains_blocked_outranks_no_mail(world: World, tmp_path: Path) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("nullmx.example\ndead.example\n")
    target = tmp_path / "out" / "reports.jsonl"

    result = runner.invoke(
        app, ["check", "--domains", str(listing), "-o", str(target), *world.args]
    )

    assert result.exit_code == 3
    assert result.stdout == ""
    assert len(target.read_text().splitlines()) == 2


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["ok.example", "--domains", "x.txt"], "not both nor neither"),
        ([], "not both nor neither"),
        (["--domains", "{empty}"], "no domains in the file"),
        (["--domains", "{empty}", "--format", "html"], "JSON Lines"),
        (["--domains", "/nonexistent/list.txt"], "No such file"),
    ],
)
def test_cli_domains_misuse_is_a_usage_error(
    tmp_path: Path, words: list[str], message: str
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    words = [w.replace("{empty}", str(empty)) for w in words]

    result = runner.invoke(app, ["check", *words])

    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
