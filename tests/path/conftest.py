"""Fixtures for the path tests: the shared header corpus beside the clone.

The corpus lives in ``shared/corpus/headers`` next to the repository (CI
copies ``shared/`` beside its clone), never inside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "headers"


def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"header corpus not found at {CORPUS} (shared/ beside the clone)")
    return CORPUS


def load_annotated(name: str) -> Any:
    """Read an annotated set, or an empty list when the corpus is absent.

    Parametrisation happens at collection time, so a missing corpus yields
    no cases here and the ``corpus`` fixture's skip explains why.
    """
    path = CORPUS / "annotated" / name
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def corpus_params(values: list[Any], prefix: str) -> list[Any]:
    """Parameters for a corpus-driven test, or one clear skip without it."""
    if not values:
        reason = f"header corpus not found at {CORPUS} (shared/ beside the clone)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(v, id=f"{prefix}-{v}") for v in values]


@pytest.fixture
def corpus() -> Path:
    return corpus_dir()


def read_message(name: str) -> bytes:
    return (corpus_dir() / name).read_bytes()


UNDERSTOOD_KEY = pytest.StashKey[tuple[int, int, int]]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    figure = config.stash.get(UNDERSTOOD_KEY, None)
    if figure is not None:
        understood, dated, total = figure
        terminalreporter.write_line(
            f"netprobe path: {understood} of {total} Received lines in the "
            f"header corpus understood ({dated} with a readable date)"
        )
