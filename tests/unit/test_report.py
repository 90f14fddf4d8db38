"""Reports: the JSON contract, the terminal view, and saving to disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from netprobe.errors import ReportError
from netprobe.model import (
    Advice,
    CheckReport,
    Confidence,
    Family,
    Finding,
    Outcome,
    Role,
    Security,
    Severity,
    Status,
    Verdict,
)
from netprobe.report import store
from netprobe.report.document import SCHEMA_VERSION, to_document
from netprobe.report.text import render
from tests.unit.builders import (
    DOMAIN,
    MX1,
    MX1_V4,
    MX1_V6,
    SMTP,
    SMTP_V4,
    make_exchange,
    make_report,
    make_resolution,
    make_result,
    make_spec,
    open_submission,
)

ADVICE = Advice(
    1, SMTP, 465, Security.IMPLICIT_TLS, True, "submission", "465 works here."
)
PORT25 = Finding(
    "port25_blocked",
    Severity.PROBLEM,
    "This network blocks outgoing port 25.",
    Confidence.HIGH,
    ("mx1 [203.0.113.10]:25 filtered",),
    how="filtered",
    families=(Family.IPV4,),
)


def degraded_report() -> CheckReport:
    return make_report(
        [
            make_result(make_spec(MX1, 25, MX1_V4), Outcome.FILTERED),
            make_result(make_spec(MX1, 25, MX1_V6), Outcome.NOT_SMTP),
            open_submission(SMTP, 465, SMTP_V4),
        ],
        resolution=make_resolution(exchanges=[make_exchange(MX1, 10, MX1_V6, MX1_V4)]),
        findings=[PORT25],
        advice=[ADVICE],
        verdict=Verdict(Status.DEGRADED, ("This network blocks outgoing port 25.",)),
    )


# --- JSON document -----------------------------------------------------------


def test_document_has_schema_version_kind_and_target() -> None:
    document = to_document(degraded_report())

    assert document["schema_version"] == SCHEMA_VERSION
    assert document["kind"] == "check"
    assert document["target"] == DOMAIN
    assert document["verdict"] == {
        "status": "degraded",
        "sentences": ["This network blocks outgoing port 25."],
    }


def test_document_probes_carry_family_outcome_and_roles_as_words() -> None:
    probes = to_document(degraded_report())["probes"]

    assert [p["family"] for p in probes] == ["ipv4", "ipv6", "ipv4"]
    assert [p["outcome"] for p in probes] == ["filtered", "not_smtp", "open"]
    assert [p["service"] for p in probes] == ["smtp", "smtp", "submissions"]
    assert probes[0]["roles"] == [Role.EXCHANGE.value]
    assert probes[0]["evidence"]["connected"] is False
    assert probes[0]["evidence"]["connect_error"] == "timeout"
    assert probes[2]["evidence"]["tls"]["verified"] is True


def test_document_findings_and_advice_use_enum_values() -> None:
    document = to_document(degraded_report())

    assert document["findings"][0]["families"] == ["ipv4"]
    assert document["findings"][0]["severity"] == "problem"
    assert document["findings"][0]["confidence"] == "high"
    assert document["advice"][0]["security"] == "implicit_tls"
    assert document["mx"] == [
        {"exchange": MX1, "preference": 10, "addresses": [MX1_V6, MX1_V4]}
    ]


def test_document_survives_a_json_round_trip_unchanged() -> None:
    document = to_document(degraded_report())

    assert json.loads(json.dumps(document)) == document
    assert json.loads(store.dumps(document)) == document


def test_document_of_every_outcome_is_json_serialisable() -> None:
    results = [make_result(make_spec(MX1, 25, MX1_V4), outcome) for outcome in Outcome]

    document = to_document(make_report(results))

    assert [p["outcome"] for p in document["probes"]] == [o.value for o in Outcome]
    assert json.loads(json.dumps(document)) == document


# --- text --------------------------------------------------------------------


def test_text_starts_with_target_and_status() -> None:
    text = render(to_document(degraded_report()))

    assert text.splitlines()[0] == f"{DOMAIN}: DEGRADED"
    assert "This network blocks outgoing port 25." in text.splitlines()[1]


def test_text_shows_the_advice_host_port_and_security() -> None:
    text = render(to_document(degraded_report()))

    assert f"1. {SMTP}, port 465, SSL/TLS (implicit TLS), with your login" in text


def test_text_table_lists_every_probe_outcome() -> None:
    text = render(to_document(degraded_report()))

    for word in ("filtered", "not_smtp", "open", MX1_V4, MX1_V6, SMTP_V4):
        assert word in text


def test_text_no_mail_status_is_spelled_with_a_space() -> None:
    report = make_report([], verdict=Verdict(Status.NO_MAIL, ("No such domain.",)))

    assert render(to_document(report)).splitlines()[0] == f"{DOMAIN}: NO MAIL"


def test_text_uses_the_display_form_of_an_idn_target() -> None:
    report = make_report([], display_target="bücher.example")

    assert render(to_document(report)).startswith("bücher.example: OK")


def test_text_evidence_only_when_verbose() -> None:
    report = degraded_report()

    assert "mx1 [203.0.113.10]:25 filtered" not in render(to_document(report))
    assert "mx1 [203.0.113.10]:25 filtered" in render(to_document(report), verbose=True)


# --- store -------------------------------------------------------------------


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_write_atomic_creates_missing_directories_and_writes_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a" / "b" / "report.json"

    written = store.write_atomic(path, "{}\n")

    assert written == path
    assert path.read_text(encoding="utf-8") == "{}\n"
    assert leftovers(path.parent) == []


def test_write_atomic_without_overwrite_never_clobbers(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")

    first = store.write_atomic(path, "new 1", overwrite=False)
    second = store.write_atomic(path, "new 2", overwrite=False)

    assert first == tmp_path / "report-1.json"
    assert second == tmp_path / "report-2.json"
    assert path.read_text(encoding="utf-8") == "old"
    assert first.read_text(encoding="utf-8") == "new 1"
    assert second.read_text(encoding="utf-8") == "new 2"
    assert leftovers(tmp_path) == []


def test_write_atomic_with_overwrite_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")

    assert store.write_atomic(path, "new") == path
    assert path.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_write_atomic_keeps_unicode_text(tmp_path: Path) -> None:
    path = store.write_atomic(tmp_path / "r.json", "bücher.example …\n")

    assert path.read_text(encoding="utf-8") == "bücher.example …\n"


def test_write_atomic_onto_a_directory_raises_and_leaves_no_temp_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.json"
    target.mkdir()
    (target / "keep").write_text("kept", encoding="utf-8")

    with pytest.raises(ReportError) as caught:
        store.write_atomic(target, "new")

    assert caught.value.path == str(target)
    assert caught.value.exit_code == 73
    assert (target / "keep").read_text(encoding="utf-8") == "kept"
    assert leftovers(tmp_path) == []


def test_write_atomic_under_a_file_raises_report_error(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file, not a directory", encoding="utf-8")

    with pytest.raises(ReportError):
        store.write_atomic(blocker / "report.json", "new")

    assert blocker.read_text(encoding="utf-8") == "a file, not a directory"


@pytest.mark.parametrize("overwrite", [True, False])
def test_write_atomic_failing_midway_keeps_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overwrite: bool
) -> None:
    # A full disk shows at the flush to disk: nothing may change.
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)

    with pytest.raises(ReportError) as caught:
        store.write_atomic(path, "new", overwrite=overwrite)

    assert caught.value.problem == "No space left on device"
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_report_name_is_a_safe_timestamped_file_name() -> None:
    name = store.report_name("bad/name:x", "2024-05-01T12:00:00+00:00")

    assert name == "20240501T120000Z-bad_name_x.json"


def test_save_document_writes_under_xdg_state_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    document = to_document(degraded_report())

    first = store.save_document(document)
    second = store.save_document(document)

    reports = tmp_path / "state" / "netprobe" / "reports"
    assert first == reports / f"20240501T120000Z-{DOMAIN}.json"
    assert second == reports / f"20240501T120000Z-{DOMAIN}-1.json"
    assert json.loads(first.read_text(encoding="utf-8")) == document
    assert leftovers(reports) == []


def test_state_dir_without_xdg_state_home_is_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    assert store.state_dir() == tmp_path / ".local" / "state" / "netprobe" / "reports"


def test_state_dir_with_empty_xdg_state_home_is_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path))

    assert store.state_dir() == tmp_path / ".local" / "state" / "netprobe" / "reports"


def test_write_atomic_without_overwrite_steps_around_a_directory(
    tmp_path: Path,
) -> None:
    (tmp_path / "report.json").mkdir()

    written = store.write_atomic(tmp_path / "report.json", "new", overwrite=False)

    assert written == tmp_path / "report-1.json"
    assert (tmp_path / "report.json").is_dir()
