"""Fixtures shared by the whole test suite.

- ``test_ca``: a private CA made for the session, for loopback TLS servers.
- ``_state_dir``: every test gets its own XDG state directory, so no test
  writes reports into the real home directory.
- ``lab_net``: the project's test network (see lab/README.md), brought up
  once per session. Where it cannot be built (not root, a tool missing) the
  tests that use it are skipped with the reason, except under CI (env CI
  set), where a missing network is a broken CI machine and they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import Lab
from lab.testing import require_lab
from tests.support.pki import MailCA, make_ca


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> MailCA:
    return make_ca(tmp_path_factory.mktemp("pki"))


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    yield state


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
