"""Every message in the header corpus, end to end, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netprobe.journey import journey_from_bytes
from netprobe.render_path import OutputFormat, render
from tests.path.conftest import CORPUS, UNDERSTOOD_KEY, corpus_params

MESSAGES = sorted(p.name for p in CORPUS.glob("*.eml")) if CORPUS.is_dir() else []
# SOURCES.md: 57 messages, 291 Received headers.
CORPUS_RECEIVED = 291
FLOOR = 0.95


@pytest.mark.parametrize("name", corpus_params(MESSAGES, "msg"))
@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_corpus_message_renders_without_error(
    corpus: Path, name: str, fmt: OutputFormat
) -> None:
    journey = journey_from_bytes((corpus / name).read_bytes())
    out = render(journey, fmt, "test")
    assert out.endswith("\n")
    if fmt is OutputFormat.JSON:
        assert len(json.loads(out)["hops"]) == len(journey.hops)


def test_corpus_understood_received_lines_reach_the_floor(
    corpus: Path, request: pytest.FixtureRequest
) -> None:
    total = understood = dated = 0
    for name in MESSAGES:
        journey = journey_from_bytes((corpus / name).read_bytes())
        total += len(journey.hops)
        understood += sum(1 for h in journey.hops if h.line.understood)
        dated += sum(1 for h in journey.hops if h.line.understood and h.line.date)
    request.config.stash[UNDERSTOOD_KEY] = (understood, dated, total)
    print(f"understood {understood} of {total} Received lines, {dated} dated")
    assert len(MESSAGES) == 57
    assert total == CORPUS_RECEIVED
    assert understood >= FLOOR * total
