"""``netprobe path`` through a tiny local typer app, as the CLI will mount it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from netprobe.path_command import path_command

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("path")(path_command)


@app.command("version")
def _version() -> None:
    # A second command, so that "path" is a subcommand as in the real CLI.
    typer.echo("x")


runner = CliRunner()


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _assert_one_error_line(err: str, *needles: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("netprobe: error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in err


def test_path_command_corpus_file_prints_table_and_words(corpus: Path) -> None:
    code, out, err = _run("path", str(corpus / "sa__nice_001.eml"))
    assert code == 0
    assert "#  from" in out and "It entered the mail system on milkplus" in out
    assert err == ""


@pytest.mark.parametrize("fmt", ["json", "markdown", "html", "TEXT"])
def test_path_command_every_format_exits_zero(corpus: Path, fmt: str) -> None:
    code, out, _err = _run("path", str(corpus / "rspamd__messages_ham.eml"), "-f", fmt)
    assert code == 0
    if fmt == "json":
        assert json.loads(out)["kind"] == "path"
    if fmt == "html":
        assert out.startswith("<!DOCTYPE html>")


def test_path_command_reads_standard_input(corpus: Path) -> None:
    data = (corpus / "sa__nice_crlf-endings.eml").read_bytes()
    code, out, err = _run("path", "-", "--format", "json", stdin=data)
    assert code == 0, err
    assert len(json.loads(out)["hops"]) == 2


def test_path_command_writes_output_file_and_prints_nothing(
    corpus: Path, tmp_path: Path
) -> None:
    target = tmp_path / "path.html"
    code, out, err = _run(
        "path", str(corpus / "sa__nice_002.eml"), "-f", "html", "-o", str(target)
    )
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_path_command_no_received_lines_is_not_an_error() -> None:
    code, out, err = _run(
        "path", "-", stdin=b"From: a@example.org\r\nSubject: x\r\n\r\n"
    )
    assert code == 0
    assert "no Received: header fields" in out
    assert err == ""


def test_path_command_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.eml"
    code, out, err = _run("path", str(missing))
    assert code == 2
    assert out == ""
    _assert_one_error_line(err, "cannot read", "nope.eml", "No such file")


def test_path_command_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _out, err = _run("path", str(tmp_path))
    assert code == 2
    _assert_one_error_line(err, "cannot read")


def test_path_command_binary_input_is_not_a_message() -> None:
    code, out, err = _run("path", "-", stdin=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert code == 2
    assert out == ""
    _assert_one_error_line(err, "does not look like an e-mail message")


def test_path_command_empty_input_is_not_a_message() -> None:
    code, _out, err = _run("path", "-", stdin=b"")
    assert code == 2
    _assert_one_error_line(err, "standard input")


def test_path_command_unknown_format_is_a_usage_error(corpus: Path) -> None:
    code, out, err = _run("path", str(corpus / "sa__nice_001.eml"), "-f", "xml")
    assert code == 2
    assert out == ""
    _assert_one_error_line(err, "unknown format 'xml'", "markdown")


def test_path_command_unwritable_output_exits_73(corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.txt"
    code, out, err = _run("path", str(corpus / "sa__nice_001.eml"), "-o", str(target))
    assert code == 73
    assert out == ""
    _assert_one_error_line(err, "cannot write")


def test_path_command_hostile_input_never_tracebacks() -> None:
    junk = b"Received: (((((((\r\nReceived: ;;;;\r\nReceived: \xff\xfe from\r\n\r\n"
    code, out, err = _run("path", "-", "-f", "json", stdin=junk)
    assert code == 0
    assert "Traceback" not in out + err
    assert [h["kind"] for h in json.loads(out)["hops"]] == ["unparsed"] * 3


def test_path_command_help_names_the_formats() -> None:
    code, out, _err = _run("path", "--help")
    assert code == 0
    assert "--format" in out and "markdown" in out and "--output" in out
