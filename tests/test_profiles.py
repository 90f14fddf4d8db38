"""Profiles: the built-in ones, the user's own, broken ones refused in one
line, options that override them, and expectations with their exit code."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netprobe.cli import app
from netprobe.expect import FindingExpectation, ProbeExpectation, evaluate
from netprobe.model import Family, MailboxPort, MailboxService, PortSpec, Service
from netprobe.profile import Profile
from netprobe.profile_loader import list_profiles, load_profile
from tests.support.pki import MailCA
from tests.support.smtpserver import free_port
from tests.support.world import MAIL, World, mail_world

runner = CliRunner()
ROOT = Path(__file__).parent.parent
BUILTIN = ("ci", "default", "full", "lab", "quick")


@pytest.fixture(scope="module")
def world(test_ca: MailCA) -> Iterator[World]:
    with mail_world(test_ca) as world:
        yield world


def invoke(*words: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(words))
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- built-in and user profiles ----------------------------------------------


def test_profiles_top_level_directory_is_the_shipped_one() -> None:
    assert (ROOT / "profiles").resolve() == (ROOT / "netprobe" / "profiles").resolve()
    assert sorted(p.stem for p in (ROOT / "profiles").glob("*.toml")) == list(BUILTIN)


def test_profile_default_matches_the_built_in_defaults() -> None:
    assert replace(load_profile("default"), source=None) == Profile()


@pytest.mark.parametrize("name", BUILTIN)
def test_profile_every_built_in_loads(name: str) -> None:
    profile = load_profile(name)

    assert profile.name == name
    assert profile.description


def test_profile_quick_probes_submission_only_with_short_timeouts() -> None:
    quick = load_profile("quick")

    assert [p.number for p in quick.ports] == [587, 465]
    assert quick.timeouts.connect <= 3


def test_profile_full_probes_the_receiving_side() -> None:
    full = load_profile("full")

    assert full.receiving
    assert MailboxPort(993, MailboxService.IMAPS) in full.receiving_ports
    assert {p.number for p in full.ports} == {25, 587, 465}


def test_profile_lab_names_a_reference_beyond_the_isp_and_the_lab_ca() -> None:
    lab = load_profile("lab")

    # Not the ISP's relay: it is on the near side of the port-25 block.
    assert lab.references == ("mx.reference.example",)
    assert lab.cafile == "/run/netprobe-lab/pki/ca.pem"


def test_profile_user_file_replaces_a_built_in_of_the_same_name(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "config" / "netprobe" / "profiles" / "quick.toml",
        'description = "mine"\nports = [2587]\n',
    )

    mine = load_profile("quick")

    assert mine.description == "mine"
    assert mine.ports == (PortSpec(2587, Service.SMTP),)
    assert any(p.name == "quick" and p.origin == "user" for p in list_profiles())


def test_profile_by_path_resolves_a_relative_cafile_next_to_it(tmp_path: Path) -> None:
    path = write(tmp_path / "p" / "site.toml", 'cafile = "certs/ca.pem"\n')

    assert load_profile(str(path)).cafile == str(tmp_path / "p" / "certs" / "ca.pem")


def test_profiles_list_and_show_print_names_and_toml() -> None:
    code, out, _ = invoke("profiles", "list")
    show_code, shown, _ = invoke("profiles", "show", "ci")

    assert code == show_code == 0
    assert [line.split()[0] for line in out.splitlines()[2:7]] == list(BUILTIN)
    assert shown.startswith("# built-in ci\n")
    assert 'color = "never"' in shown


def test_profiles_show_unknown_name_says_where_profiles_go() -> None:
    code, out, err = invoke("profiles", "show", "nosuch")

    assert code == 2
    assert "no such profile" in err and "nosuch.toml" in err
    assert "Traceback" not in out + err


# --- broken profiles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[timeouts]\nconnect = "fast"\n',
            'timeouts.connect: expected a number of seconds, got "fast"',
        ),
        ("ports = [25,\n", "not valid TOML: "),
        ("port = [25]\n", "port: unknown key; expected one of description, ports"),
        ("[timeouts]\nsoon = 1\n", "timeouts.soon: unknown key"),
        (
            'ports = [{ port = 2525, service = "pop3" }]\n',
            "ports[0].service: expected one of smtp, submission, submissions, "
            'got "pop3"',
        ),
        ("ports = [70000]\n", "ports[0]: expected a port number from 1 to 65535"),
        ("receiving_ports = [2525]\n", "receiving_ports[0]: port 2525 has no standard"),
        (
            'expect = [{ port = 25, outcome = "closed" }]\n',
            "expect[0].outcome: expected one of open, refused",
        ),
        ('expect = [{ finding = "port25_block" }]\n', "expect[0].finding: expected"),
        ('expect = [{ port = 25, colour = "red" }]\n', "expect[0].colour: unknown key"),
        ("expect = [{ port = 25 }]\n", "expect[0]: expected an outcome"),
        (
            'families = ["ipv5"]\n',
            'families[0]: expected one of ipv4, ipv6, got "ipv5"',
        ),
        ('references = ["localhost"]\n', "references[0]: it needs at least two labels"),
        ("receiving = 1\n", "receiving: expected true or false, got 1"),
    ],
)
def test_cli_broken_profile_is_one_line_naming_file_key_and_expectation(
    tmp_path: Path, toml: str, message: str
) -> None:
    path = write(tmp_path / "x.toml", toml)

    code, out, err = invoke("check", "example.com", "--profile", str(path))

    assert code == 2
    assert err.startswith(f"netprobe: error: profile {path}: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


def test_cli_profile_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "x.toml", 'description = "ok"\nports = [25,,]\n')

    _, _, err = invoke("check", "example.com", "--profile", str(path))

    assert "line 2" in err


def test_cli_profile_cafile_missing_says_to_give_cafile(tmp_path: Path) -> None:
    # As the lab profile does when the lab is not running.
    path = write(tmp_path / "lab.toml", 'cafile = "/nonexistent/netprobe/ca.pem"\n')

    code, _, err = invoke("check", "example.com", "--profile", str(path))

    assert code == 2
    assert f"profile {path}: cafile: no such file" in err
    assert "--cafile" in err


def test_cli_cafile_option_overrides_a_missing_profile_cafile(
    world: World, tmp_path: Path
) -> None:
    path = write(tmp_path / "lab.toml", 'cafile = "/nonexistent/netprobe/ca.pem"\n')

    code, out, _ = invoke("check", "ok.example", "--profile", str(path), *world.args)

    assert code == 0, out
    assert out.startswith("ok.example: OK")


# --- options override the profile -------------------------------------------


def _only_ports(doc_out: str) -> set[int]:
    import json

    return {p["port"] for p in json.loads(doc_out)["probes"]}


def test_cli_options_override_the_profile(world: World, tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.toml",
        f'ports = [{{ port = {world.submission}, service = "submission" }}]\n'
        'families = ["ipv6"]\n[timeouts]\nconnect = 30\n',
    )
    base = ["check", "ok.example", "-f", "json", "--no-save", "--profile", str(path)]
    base += ["--resolver", world.nameserver, "--cafile", world.cafile]

    _, only_profile, _ = invoke(*base)
    code2, overridden, _ = invoke(*base, "-4", "--port", f"{world.smtp}=smtp")

    # The profile asks for IPv6 only, which the IPv4-only world lacks.
    assert _only_ports(only_profile) == set()
    assert code2 == 3  # 25 works, but no port a mail client could use
    assert _only_ports(overridden) == {world.smtp}


# --- expectations ------------------------------------------------------------


def _policy(world: World, closed: int, *expect: str) -> str:
    ports = ", ".join(
        [
            f'{{ port = {world.submission}, service = "submission" }}',
            f'{{ port = {closed}, service = "smtp" }}',
        ]
    )
    return f"ports = [{ports}]\nexpect = [\n" + ",\n".join(expect) + "\n]\n"


def test_cli_expectations_that_hold_exit_0_and_junit_has_a_case_each(
    world: World, tmp_path: Path
) -> None:
    closed = free_port(MAIL)
    path = write(
        tmp_path / "policy.toml",
        _policy(
            world,
            closed,
            f'{{ host = "mail.ok.example", port = {world.submission}, '
            'outcome = "open", starttls = true }',
            f'{{ port = {closed}, outcome = "blocked" }}',
            '{ finding = "intercepted", present = false }',
        ),
    )
    junit = tmp_path / "netprobe.xml"

    code, out, err = invoke(
        "check",
        "ok.example",
        "--profile",
        str(path),
        "-o",
        str(junit),
        "--resolver",
        world.nameserver,
        "--cafile",
        world.cafile,
    )

    assert code == 0, out + err
    assert "Expectations: 3 of 3 hold" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3" and suite.get("failures") == "0"
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names[1] == f"port {closed} is blocked"


def test_cli_expectation_that_fails_exits_5_and_says_what_was_seen(
    world: World, tmp_path: Path
) -> None:
    closed = free_port(MAIL)
    path = write(
        tmp_path / "policy.toml",
        _policy(
            world,
            closed,
            f'{{ port = {world.submission}, outcome = "blocked" }}',
            f'{{ port = {closed}, outcome = "blocked" }}',
        ),
    )
    junit = tmp_path / "netprobe.xml"

    code, out, _ = invoke(
        "check",
        "ok.example",
        "--profile",
        str(path),
        "-o",
        str(junit),
        "--resolver",
        world.nameserver,
        "--cafile",
        world.cafile,
    )

    assert code == 5
    assert "Expectations: 1 of 2 hold" in out
    assert f"[FAIL] port {world.submission} is blocked: mail.ok.example" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    [failure] = [
        c.find("failure")
        for c in suite.iter("testcase")
        if c.find("failure") is not None
    ]
    assert failure is not None
    assert f"expected port {world.submission} is blocked; saw mail.ok.example" in (
        failure.get("message") or ""
    )
    assert " open" in (failure.get("message") or "")


def test_expectation_naming_a_host_outside_the_target_probes_it(
    world: World, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "relay.toml",
        f'ports = [{{ port = {world.submission}, service = "submission" }}]\n'
        f'expect = [{{ host = "mail.ok.example", port = {world.submission}, '
        'outcome = "open" }]\n',
    )

    code, out, _ = invoke(
        "check",
        "partial.example",
        "--profile",
        str(path),
        "-f",
        "json",
        "--resolver",
        world.nameserver,
        "--cafile",
        world.cafile,
    )

    assert code == 0
    assert '"holds": true' in out


def test_expect_evaluate_without_a_matching_probe_does_not_hold() -> None:
    [result] = evaluate([ProbeExpectation("open", port=2525)], (), (), ())

    assert not result.holds
    assert "no probe matched" in result.seen


def test_expect_finding_absent_holds_when_not_found() -> None:
    [result] = evaluate([FindingExpectation("intercepted", False)], (), (), ())

    assert result.holds
    assert result.name == "finding intercepted is absent"


def test_expect_family_narrows_the_probes() -> None:
    expectation = ProbeExpectation("open", port=25, family=Family.IPV6)

    assert expectation.name == "port 25 over ipv6 is open"


# --- packaging ---------------------------------------------------------------


def test_wheel_ships_profiles_and_the_schema(tmp_path: Path) -> None:
    # Built from a copy, so that the build leaves nothing in the work tree.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT / "netprobe",
        source / "netprobe",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("netprobe-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {f"netprobe/profiles/{n}.toml" for n in BUILTIN} <= names
    assert "netprobe/schema/report.schema.json" in names


def test_profile_unreadable_user_directory_falls_back_to_built_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A config directory the user may not enter (another user's, after
    # sudo) must not stop a check that never asked for it. Root passes
    # every permission check, so the denial is simulated for that folder.
    locked = tmp_path / "config" / "netprobe" / "profiles"
    real_is_file, real_is_dir = Path.is_file, Path.is_dir

    def guarded(real: Callable[[Path], bool]) -> Callable[[Path], bool]:
        def check(self: Path) -> bool:
            if locked in self.parents or self == locked:
                raise PermissionError(13, "Permission denied")
            return real(self)

        return check

    monkeypatch.setattr(Path, "is_file", guarded(real_is_file))
    monkeypatch.setattr(Path, "is_dir", guarded(real_is_dir))

    assert load_profile("quick").name == "quick"
    assert "quick" in {p.name for p in list_profiles()}
