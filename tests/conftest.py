"""Fixtures shared by the whole test suite.

- ``test_ca``: a private CA made for the session, for loopback TLS servers.
- ``_state_dir``: every test gets its own XDG state directory, so no test
  writes reports into the real home directory.
- ``lab_net``: the project's test network (see lab/README.md), brought up
  once per session. Where it cannot be built (not root, a tool missing) the
  tests that use it are skipped with the reason, except under CI (env CI
  set), where a missing network is a broken CI machine and they fail.
- every report document a test makes is checked against the JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from lab import Lab
from lab.testing import require_lab
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


@pytest.fixture(scope="session")
def lab_net() -> Iterator[Lab]:
    """The running lab, port-25 mode `none`, no delay, all hosts on.

    A lab that was already up when the session started (a developer's
    `python -m lab up`) is reset and left up afterwards; otherwise the
    session takes it down at the end.
    """
    require_lab()
    lab = Lab()
    was_up = lab.status().up
    lab.up("none")
    lab.reset()
    yield lab
    if was_up:
        lab.reset()
    else:
        lab.down()


@pytest.fixture
def lab_reset(lab_net: Lab) -> Iterator[Lab]:
    """The lab, put back to mode none, no delay and all hosts on afterwards."""
    yield lab_net
    lab_net.reset()
