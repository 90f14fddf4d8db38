"""Reports: every format rendered from the JSON document, saved reports
listed, shown, compared and refused when they cannot be read, and
redaction for a report sent to a support desk."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netprobe.cli import app
from netprobe.report import diff, html, junit, markdown, schema, store, text
from netprobe.report.formats import Format, for_path, render
from netprobe.report.redact import LocalIdentity, redact
from tests.conftest import assert_valid_report
from tests.support.pki import MailCA
from tests.support.world import World, check_document, mail_world

runner = CliRunner()

HOSTILE = "<script>alert(1)</script>\x1b]0;owned\x07 | *bold* [x](http://evil)"


@pytest.fixture(scope="module")
def world(test_ca: MailCA) -> Iterator[World]:
    with mail_world(test_ca) as world:
        yield world


@pytest.fixture(scope="module")
def ok_doc(world: World) -> dict[str, Any]:
    return check_document(world, "ok.example")


@pytest.fixture(scope="module")
def partial_doc(world: World) -> dict[str, Any]:
    return check_document(world, "partial.example")


def hostile(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with text a hostile server could have sent in every field
    that comes from the network."""
    doc = copy.deepcopy(doc)
    for probe in doc["probes"]:
        probe["detail"] = HOSTILE
        probe["greeting_host"] = HOSTILE
        probe["evidence"]["greeting"] = {"code": 220, "lines": [HOSTILE]}
    doc["verdict"]["sentences"].append(HOSTILE)
    doc["advice"][0]["reason"] = HOSTILE
    doc["findings"].append(
        {
            "code": "not_smtp",
            "severity": "warning",
            "summary": HOSTILE,
            "how": None,
            "families": [],
            "hosts": [],
            "confidence": "high",
            "evidence": [HOSTILE],
        }
    )
    assert_valid_report(doc)
    return doc


def invoke(*words: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(words))
    return result.exit_code, result.stdout, result.stderr


# --- rendering from the document ---------------------------------------------


def test_text_render_from_document_starts_with_the_verdict(
    ok_doc: dict[str, Any],
) -> None:
    out = text.render(ok_doc)

    assert out.splitlines()[0] == "ok.example: OK"
    assert "What to set:" in out
    assert "\033[" not in out


def test_text_render_with_color_paints_only_when_asked(ok_doc: dict[str, Any]) -> None:
    plain, painted = text.render(ok_doc), text.render(ok_doc, color=True)

    assert "\033[32mOK\033[0m" in painted
    assert "\033[" not in plain


def test_text_render_network_control_characters_cannot_reach_the_terminal(
    ok_doc: dict[str, Any],
) -> None:
    out = text.render(hostile(ok_doc), verbose=True)

    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07" in out


def test_markdown_escapes_network_text_and_keeps_tables_intact(
    ok_doc: dict[str, Any],
) -> None:
    out = markdown.render(hostile(ok_doc))

    assert out.startswith("## netprobe: ok.example: OK")
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "[x](http://evil)" not in out
    table = [line for line in out.splitlines() if line.startswith("| mail.ok")]
    assert table and all(line.count(" | ") == 5 for line in table)
    assert "\x1b" not in out


def test_html_is_self_contained_and_escapes_network_text(
    ok_doc: dict[str, Any],
) -> None:
    page = html.render(hostile(ok_doc))

    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "\x1b" not in page
    for external in ("src=", "href=", "@import", "url("):
        assert external not in page


def test_html_puts_verdict_then_path_then_table_then_settings(
    ok_doc: dict[str, Any],
) -> None:
    page = html.render(ok_doc)

    order = [
        page.index('class="verdict ok"'),
        page.index("The path your mail takes"),
        page.index("Every connection tried"),
        page.index("What to set in your mail program"),
    ]
    assert order == sorted(order)
    assert "Mail can go out from this network" in page


def test_junit_without_expectations_has_one_case_per_probe(
    partial_doc: dict[str, Any],
) -> None:
    suite = ET.fromstring(junit.render(partial_doc)).find("testsuite")

    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(partial_doc["probes"])
    failed = [c for c in cases if c.find("failure") is not None]
    assert suite.get("failures") == str(len(failed))
    assert failed and all("gone.partial.example" in c.get("name", "") for c in failed)


def test_junit_of_a_domain_without_probes_still_has_a_failing_case(
    world: World,
) -> None:
    doc = check_document(world, "nullmx.example")
    suite = ET.fromstring(junit.render(doc)).find("testsuite")

    assert suite is not None
    [case] = suite.findall("testcase")
    assert case.get("name") == "verdict"
    assert case.find("failure") is not None


def test_junit_is_well_formed_xml_with_hostile_text(ok_doc: dict[str, Any]) -> None:
    out = junit.render(hostile(ok_doc))

    ET.fromstring(out)  # control characters would make this raise
    assert "\x1b" not in out


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("r.json", Format.JSON),
        ("r.md", Format.MARKDOWN),
        ("r.HTML", Format.HTML),
        ("r.xml", Format.JUNIT),
        ("r.report", Format.TEXT),
    ],
)
def test_format_for_path_follows_the_extension(name: str, fmt: Format) -> None:
    assert for_path(Path(name), Format.TEXT) is fmt


def test_every_format_renders_a_schema_1_0_document(ok_doc: dict[str, Any]) -> None:
    old = copy.deepcopy(ok_doc)
    old["schema_version"] = "1.0"
    for key in ("mailbox_hosts", "mailbox_probes", "expectations", "skipped"):
        old.pop(key)
    for probe in old["probes"]:
        probe["evidence"].pop("local_address")
    for advice in old["advice"]:
        advice.pop("protocol")
    assert_valid_report(old)

    for fmt in Format:
        assert render(old, fmt).endswith("\n")


# --- the contract ------------------------------------------------------------


def _keywords(node: object) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_keywords(n) for n in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set(node) - {"properties", "$defs"}
    for key, value in node.items():
        if key in ("properties", "$defs"):
            found |= set().union(*(_keywords(v) for v in value.values()))
        elif isinstance(value, dict | list):
            found |= _keywords(value)
    return found


def test_schema_uses_only_keywords_the_runtime_check_knows() -> None:
    assert _keywords(schema.report_schema()) <= schema.SUPPORTED_KEYWORDS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("probes"), "probes: missing"),
        (lambda d: d["probes"][0].update(port="25"), "probes[0].port: expected"),
        (lambda d: d["verdict"].update(status="fine"), "verdict.status: expected"),
        (lambda d: d.update(tool={"name": "other"}), "not a netprobe report"),
        (lambda d: d.update(schema_version="2.0"), "newer netprobe (schema 2.0)"),
    ],
)
def test_schema_check_refuses_broken_documents_naming_the_field(
    ok_doc: dict[str, Any], change: Any, message: str
) -> None:
    doc = copy.deepcopy(ok_doc)
    change(doc)

    with pytest.raises(schema.DocumentProblem, match=re.escape(message)):
        schema.check(doc)


def test_schema_check_accepts_fields_a_later_minor_version_adds(
    ok_doc: dict[str, Any],
) -> None:
    doc = copy.deepcopy(ok_doc)
    doc["schema_version"] = "1.9"
    doc["something_new"] = {"any": "thing"}

    assert schema.check(doc) is doc


# --- saved reports -----------------------------------------------------------


def _save(doc: dict[str, Any], directory: Path, started: str) -> Path:
    doc = copy.deepcopy(doc)
    doc["started"] = started
    return store.save_document(doc, directory)


def test_report_list_is_newest_first_and_lists_unreadable_files(
    ok_doc: dict[str, Any], partial_doc: dict[str, Any], _state_dir: Path
) -> None:
    reports = _state_dir / "netprobe" / "reports"
    _save(ok_doc, reports, "2024-05-01T10:00:00+00:00")
    _save(partial_doc, reports, "2024-05-02T10:00:00+00:00")
    (reports / "junk.json").write_text("{not json")

    code, out, err = invoke("report", "list")

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["time", "target", "status", "file"]
    assert "partial.example" in lines[2] and "degraded" in lines[2]
    assert "ok.example" in lines[3] and "ok" in lines[3]
    assert "unreadable" in lines[4] and "junk.json" in lines[4]
    assert "Traceback" not in out + err


def test_report_list_with_nothing_saved_says_so_on_stderr() -> None:
    code, out, err = invoke("report", "list")

    assert code == 0
    assert out == ""
    assert "No saved reports" in err


@pytest.mark.parametrize("fmt", [f.value for f in Format])
def test_report_show_renders_a_saved_report_by_bare_name(
    ok_doc: dict[str, Any], _state_dir: Path, fmt: str
) -> None:
    saved = _save(ok_doc, _state_dir / "netprobe" / "reports", ok_doc["started"])

    code, out, err = invoke("report", "show", saved.name, "--format", fmt)

    assert code == 0, err
    assert out == render(ok_doc, Format(fmt))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON (line 1"),
        ('{"tool": {"name": "other"}}', "not a netprobe report"),
        ("[1, 2]", "not a netprobe report"),
        (
            '{"tool": {"name": "netprobe"}, "schema_version": "2.0"}',
            "written by a newer netprobe",
        ),
        ('{"tool": {"name": "netprobe"}, "schema_version": "1.0"}', "missing"),
    ],
)
def test_report_show_unreadable_report_is_one_line_and_exit_73(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)

    code, out, err = invoke("report", "show", str(path))

    assert code == 73
    assert err.startswith(f"netprobe: error: report {path}: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert out == ""
    assert "Traceback" not in err


def test_report_show_missing_file_exits_73() -> None:
    code, _, err = invoke("report", "show", "no-such-report.json")

    assert code == 73
    assert "no such file" in err


# --- diff --------------------------------------------------------------------


def test_report_diff_of_the_same_run_is_no_change_and_exit_0(
    ok_doc: dict[str, Any], tmp_path: Path
) -> None:
    a = store.save_document(ok_doc, tmp_path)
    b = store.save_document(ok_doc, tmp_path)

    code, out, _ = invoke("report", "diff", str(a), str(b))

    assert code == 0
    assert "No change." in out


def test_report_diff_names_status_findings_and_probe_changes_and_exits_1(
    ok_doc: dict[str, Any], tmp_path: Path
) -> None:
    later = copy.deepcopy(ok_doc)
    later["verdict"]["status"] = "degraded"
    later["probes"][0]["outcome"] = "filtered"
    later["findings"].append({**hostile(ok_doc)["findings"][-1], "code": "x_new"})
    a = store.save_document(ok_doc, tmp_path)
    b = store.save_document(later, tmp_path)

    code, out, _ = invoke("report", "diff", str(a), str(b))
    json_code, json_out, _ = invoke("report", "diff", str(a), str(b), "-f", "json")

    assert code == json_code == 1
    assert "Status: ok -> degraded" in out
    assert "Finding appeared: x_new" in out
    probe = ok_doc["probes"][0]
    assert f"[{probe['address']}]:{probe['port']}: open -> filtered" in out
    change = json.loads(json_out)
    assert change["changed"] is True
    assert change["probes"][0]["old"] == "open"
    assert change["findings"]["disappeared"] == []


def test_diff_sees_advice_and_removed_probes(
    ok_doc: dict[str, Any], partial_doc: dict[str, Any]
) -> None:
    change = diff.compare(partial_doc, ok_doc)

    assert change["changed"]
    assert any(p["new"] is None for p in change["probes"])
    assert "exchange_down" in change["findings"]["disappeared"]


def test_report_diff_with_a_corrupt_file_exits_73(
    ok_doc: dict[str, Any], tmp_path: Path
) -> None:
    good = store.save_document(ok_doc, tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("")

    code, _, err = invoke("report", "diff", str(good), str(bad))

    assert code == 73
    assert "bad.json" in err


# --- redaction ---------------------------------------------------------------

IDENTITY = LocalIdentity(("laptop.home.lan", "laptop"), "alice", "/home/alice")


def _with_identity_traces(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    probe = doc["probes"][0]
    probe["evidence"]["local_address"] = "192.168.1.23"
    probe["evidence"]["ehlo"] = {
        "code": 250,
        "lines": [
            "mail.ok.example Hello laptop.home.lan [203.0.113.77]",
            "mail.ok.example greets [IPv6:2001:db8::77] and laptop.",
        ],
    }
    doc["settings"]["cafile"] = "/home/alice/certs/ca.pem"
    doc["settings"]["profile"] = "/srv/alice/profiles/x.toml"
    doc["resolver"] = "192.168.1.1 (port 53)"
    return doc


def test_redact_replaces_local_addresses_names_and_paths_with_placeholders(
    ok_doc: dict[str, Any],
) -> None:
    out = redact(_with_identity_traces(ok_doc), IDENTITY)
    flat = json.dumps(out)

    for secret in ("192.168.1.23", "203.0.113.77", "2001:db8::77", "laptop", "alice"):
        assert secret not in flat
    probe = out["probes"][0]
    local = probe["evidence"]["local_address"]
    hello, greets = probe["evidence"]["ehlo"]["lines"]
    echoed = re.fullmatch(r"mail\.ok\.example Hello host-1 \[(addr-\d+)\]", hello)
    v6 = re.fullmatch(
        r"mail\.ok\.example greets \[IPv6:(addr-\d+)\] and host-2\.", greets
    )
    resolver = re.fullmatch(r"(addr-\d+) \(port 53\)", out["resolver"])
    assert echoed and v6 and resolver and re.fullmatch(r"addr-\d+", local)
    assert len({local, echoed[1], v6[1], resolver[1]}) == 4
    assert out["settings"]["cafile"] == "~/certs/ca.pem"
    assert out["settings"]["profile"] == "/srv/user-1/profiles/x.toml"
    assert out["redacted"] is True
    assert_valid_report(out)


def test_redact_keeps_the_targets_mx_data_and_report_identity(
    ok_doc: dict[str, Any],
) -> None:
    out = redact(_with_identity_traces(ok_doc), IDENTITY)

    assert out["mx"] == ok_doc["mx"]
    assert [p["address"] for p in out["probes"]] == [
        p["address"] for p in ok_doc["probes"]
    ]
    assert out["started"] == ok_doc["started"]
    assert out["target"] == "ok.example"


def test_redact_gives_the_same_placeholder_to_the_same_value(
    ok_doc: dict[str, Any],
) -> None:
    doc = _with_identity_traces(ok_doc)
    for probe in doc["probes"]:
        probe["evidence"]["local_address"] = "192.168.1.23"
    out = redact(doc, IDENTITY)

    [placeholder] = {p["evidence"]["local_address"] for p in out["probes"]}
    assert re.fullmatch(r"addr-\d+", placeholder)


def test_check_redact_hides_the_loopback_source_but_keeps_targets(
    world: World, _state_dir: Path
) -> None:
    doc = check_document(world, "ok.example", "--redact")

    assert doc["redacted"] is True
    [placeholder] = {p["evidence"]["local_address"] for p in doc["probes"]}
    assert re.fullmatch(r"addr-\d+", placeholder)
    assert "127.0.0.1" not in json.dumps(doc)
    assert doc["mx"][0]["addresses"] == ["127.0.0.4"]


def test_report_show_redact_hides_the_cafile_home_path(
    ok_doc: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    doc = copy.deepcopy(ok_doc)
    doc["settings"]["cafile"] = f"{tmp_path}/ca.pem"
    saved = store.save_document(doc, tmp_path)

    code, out, _ = invoke("report", "show", str(saved), "-f", "json", "--redact")

    assert code == 0
    assert json.loads(out)["settings"]["cafile"] == "~/ca.pem"
    assert str(tmp_path) not in out


# --- check --output ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("r.html", "<!DOCTYPE html>"),
        ("r.md", "## netprobe: ok.example"),
        ("r.xml", "<testsuites>"),
        ("r.json", '"schema_version"'),
    ],
)
def test_check_output_format_follows_the_extension(
    world: World, tmp_path: Path, name: str, marker: str
) -> None:
    target = tmp_path / name
    code, out, _ = invoke("check", "ok.example", "-o", str(target), *world.args)

    assert code == 0
    assert marker in target.read_text()
    assert out.startswith("ok.example: OK")


def test_check_format_markdown_prints_markdown(world: World) -> None:
    code, out, _ = invoke("check", "ok.example", "-f", "markdown", *world.args)

    assert code == 0
    assert out.startswith("## netprobe: ok.example: OK")
