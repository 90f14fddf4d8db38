"""The command line as a user meets it: output, saved reports, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netprobe import __version__
from netprobe.cli import app
from tests.support.dnsserver import ZoneServer
from tests.support.pki import MailCA
from tests.support.smtpserver import free_port, mail_host
from tests.support.world import ZONE

runner = CliRunner()


@pytest.fixture(scope="module")
def args(test_ca: MailCA) -> Iterator[list[str]]:
    ports = [free_port("127.0.0.4", "127.0.0.5") for _ in range(2)]
    with (
        ZoneServer(ZONE, servfail=["broken.example."]) as dns,
        mail_host(
            "127.0.0.4",
            "mail.ok.example",
            smtp=ports[0],
            submission=ports[1],
            context=test_ca.server_context("mail.ok.example"),
        ),
    ):
        yield [
            "--resolver",
            dns.nameserver,
            "--cafile",
            str(test_ca.cafile),
            "--port",
            f"{ports[0]}=smtp",
            "--port",
            f"{ports[1]}=submission",
            "--timeout",
            "2",
        ]


def invoke(*words: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(words))
    return result.exit_code, result.stdout, result.stderr


def test_cli_version_prints_version() -> None:
    code, out, _ = invoke("--version")

    assert code == 0
    assert out.strip() == f"netprobe {__version__}"


@pytest.mark.parametrize(
    "domain", ["not a domain", "", "user@example.com", "192.0.2.1", "a..example"]
)
def test_cli_invalid_domain_exits_2_with_one_line(domain: str) -> None:
    code, out, err = invoke("check", domain)

    assert code == 2
    assert err.startswith("netprobe: error: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--port", "99999"], "the port must be"),
        (["--port", "2525=pop3"], "the service must be one of"),
        (["--resolver", "not-an-ip"], "give an IP address"),
        (["--cafile", "/nonexistent/ca.pem"], "no such file"),
        (["-4", "-6"], "exclude each other"),
    ],
)
def test_cli_bad_option_exits_2_naming_the_problem(
    words: list[str], message: str
) -> None:
    code, out, err = invoke("check", "example.com", *words)

    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_cli_unknown_format_is_a_usage_error() -> None:
    code, _, err = invoke("check", "example.com", "--format", "yaml")

    assert code == 2
    assert "yaml" in err


def test_cli_all_working_exits_0_with_verdict_first(
    args: list[str], _state_dir: Path
) -> None:
    code, out, err = invoke("check", "ok.example", *args)

    assert code == 0, out + err
    first = out.splitlines()[0]
    assert first == "ok.example: OK"
    assert "mail.ok.example, port" in out
    assert "STARTTLS" in out
    assert "Traceback" not in out + err
    saved = list((_state_dir / "netprobe" / "reports").glob("*-ok.example.json"))
    assert len(saved) == 1
    assert json.loads(saved[0].read_text())["target"] == "ok.example"


def test_cli_problem_with_working_setup_exits_1(args: list[str]) -> None:
    code, out, _ = invoke("check", "partial.example", *args)

    assert code == 1
    assert "exchange_down" in out


def test_cli_nothing_works_exits_3(args: list[str]) -> None:
    code, out, _ = invoke("check", "dead.example", *args)

    assert code == 3
    assert "another network" in out


def test_cli_dns_failure_exits_3_and_blames_dns(args: list[str]) -> None:
    code, out, _ = invoke("check", "broken.example", *args)

    assert code == 3
    assert "DNS" in out
    assert "does not exist" not in out


@pytest.mark.parametrize("domain", ["nullmx.example", "missing.example"])
def test_cli_domain_that_cannot_receive_mail_exits_4(
    args: list[str], domain: str
) -> None:
    code, _, _ = invoke("check", domain, *args)

    assert code == 4


def test_cli_json_is_the_versioned_contract(args: list[str]) -> None:
    code, out, _ = invoke("check", "ok.example", "--format", "json", *args)

    document = json.loads(out)
    assert code == 0
    assert document["schema_version"] == "1.1"
    assert document["tool"] == {"name": "netprobe", "version": __version__}
    assert document["mx"] == [
        {"exchange": "mail.ok.example", "preference": 10, "addresses": ["127.0.0.4"]}
    ]
    probe = document["probes"][0]
    assert {"host", "address", "family", "port", "outcome", "evidence"} <= set(probe)
    assert probe["family"] == "ipv4"
    assert document["advice"][0]["security"] == "starttls"
    assert document["advice"][0]["login"] is True


def test_cli_no_save_writes_nothing_and_output_writes_there(
    args: list[str], _state_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "report.json"
    code, _, _ = invoke(
        "check", "ok.example", "--no-save", "--output", str(target), *args
    )

    assert code == 0
    assert not (_state_dir / "netprobe").exists()
    assert json.loads(target.read_text())["target"] == "ok.example"


def test_cli_unwritable_output_exits_73_and_keeps_old_file(
    args: list[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    code, out, err = invoke(
        "check", "ok.example", "--no-save", "--output", str(blocker / "r.json"), *args
    )

    assert code == 73
    assert err.startswith("netprobe: error: report ")
    assert "Traceback" not in out + err
    assert blocker.read_text() == "keep me"


def test_cli_help_does_not_import_scapy() -> None:
    import subprocess
    import sys

    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from netprobe.cli import app; "
            "from typer.testing import CliRunner; CliRunner().invoke(app, ['--help']); "
            "print('scapy' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "False"
