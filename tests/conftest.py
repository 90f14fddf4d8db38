"""Fixtures shared by the whole test suite.

`lab_net` is the project's test network (see lab/README.md), brought up once
per session. Where it cannot be built (not root, a tool missing) the tests
that use it are skipped with the reason, except under CI (env CI set), where
a missing network is a broken CI machine and the tests fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab import Lab
from lab.testing import require_lab


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
