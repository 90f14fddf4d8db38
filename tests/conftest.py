"""Fixtures shared by every test: a private CA, an isolated state dir, and a
check of every report document a test makes against the JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from netprobe.report import document, redact
from tests.support.pki import MailCA, make_ca

SCHEMA_PATH = Path(__file__).parent.parent / "netprobe/schema/report.schema.json"
_validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def assert_valid_report(doc: dict[str, Any]) -> None:
    """Fail with the schema's own words if ``doc`` breaks the contract."""
    errors = sorted(_validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]
    )


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> MailCA:
    return make_ca(tmp_path_factory.mktemp("pki"))


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # No test writes reports into the real home directory, nor reads the
    # user's own profiles.
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    yield state


@pytest.fixture(autouse=True)
def _documents_follow_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report document made in any test is validated as it is made."""

    def validating(make: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
            doc = make(*args, **kwargs)
            assert_valid_report(doc)
            return doc

        return wrapper

    monkeypatch.setattr(document, "to_document", validating(document.to_document))
    monkeypatch.setattr(redact, "redact", validating(redact.redact))


@pytest.fixture(scope="session")
def netprobe_pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """netprobe built as one file by the same script as ``make pyz``."""
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    output = tmp_path_factory.mktemp("dist") / "netprobe.pyz"
    subprocess.run(
        [sys.executable, str(root / "tools" / "pyz.py"), str(output)],
        check=True,
        capture_output=True,
    )
    return output
