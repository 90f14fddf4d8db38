"""How tests that need the lab behave when it cannot be built.

Outside CI such tests are skipped with the reason (a developer without
root, or without Postfix installed, can still run the rest). Under CI (the
env variable CI set, as CI runners do) they fail instead: there a missing
lab means a broken CI machine, and skipping would hide it.
"""

from __future__ import annotations

import os

import pytest

from lab.network import available
from lab.prerequisites import TEST_TOOLS, missing_tools


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require(ok: bool, reason: str) -> None:
    """Skip the current test, or fail it under CI, unless `ok`."""
    if ok:
        return
    message = f"the lab network cannot be used here: {reason}"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_lab(test_tools: bool = False) -> None:
    """Skip or fail unless the lab (and optionally dig/ping/swaks) is usable."""
    require(*available())
    if test_tools:
        missing = missing_tools(TEST_TOOLS)
        require(not missing, "missing " + ", ".join(missing))
