"""Renderers: hostile header content, JSON round trip, Markdown and text."""

from __future__ import annotations

import json
import re

from netprobe.journey import Journey, journey_from_bytes
from netprobe.render_path import (
    SCHEMA_VERSION,
    OutputFormat,
    journey_to_dict,
    render,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from tests.path.conftest import read_message

HOSTILE = (
    b"Received: from evil.example (<script>alert(1)</script> [192.0.2.66]) "
    b"by mx.example.net (Postfix) with ESMTP id X1 for <a|b@example.net>; "
    b"1 Jan 2020 10:00:00 +0000\r\n"
    b"Received: <img src=x onerror=alert(2)> | `code` **bold**\r\n"
    b'Subject: "><script>alert(3)</script> | [link](http://x.invalid)\r\n'
    b"From: =?utf-8?q?=3Cscript=3Ealert(4)=3C/script=3E?= <a@example.org>\r\n"
    b"\r\n"
)


def _hostile() -> Journey:
    return journey_from_bytes(HOSTILE)


def test_render_html_escapes_hostile_header_content() -> None:
    page = render_html(_hostile())
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in page


def test_render_html_is_self_contained() -> None:
    page = render_html(_hostile())
    assert page.startswith("<!DOCTYPE html>")
    # No tag loads anything: no src or href attribute on any element.
    assert not re.search(r"<[^>]*\b(src|href)\s*=", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_render_markdown_escapes_pipes_and_markup() -> None:
    text = render_markdown(_hostile())
    table_rows = [line for line in text.splitlines() if line.startswith("| ")]
    header_cells = table_rows[0].count(" | ")
    for row in table_rows:
        # Every row of a table keeps its column count: no cell's "|" leaks.
        if row.startswith("| Header") or row.count(" | ") < 4:
            continue
        assert row.count(" | ") in {header_cells, 10}
    # Outside the fenced raw lines (code, so inert) no markup survives.
    prose = re.sub(r"(`{3,})\n.*?\n\1", "", text, flags=re.DOTALL)
    assert "<script>" not in prose and "<img" not in prose
    assert r"a\|b@example.net" in text
    assert r"\*\*bold\*\*" in text


def test_render_markdown_raw_lines_are_fenced_past_any_backticks() -> None:
    text = render_markdown(_hostile())
    assert "```\n#1:" in text or "````\n#1:" in text


def test_render_json_round_trips_and_is_versioned() -> None:
    journey = journey_from_bytes(read_message("rspamd__messages_arcallow.eml"))
    doc = json.loads(render_json(journey, "9.9.9"))
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["kind"] == "path"
    assert doc["tool"] == {"name": "netprobe", "version": "9.9.9"}
    assert doc == journey_to_dict(journey, "9.9.9")
    assert [h["index"] for h in doc["hops"]] == [1, 2, 3, 4, 5]
    assert doc["hops"][0]["protocol"] == "MAPI"
    assert doc["hops"][4]["kind"] == "note"
    assert doc["summary"]["boundary"]["hop"] == 4
    assert doc["summary"]["authentication"]["authserv_id"] == "mx.google.com"
    assert [s["instance"] for s in doc["summary"]["authentication"]["arc"]] == [1, 2]
    assert doc["counts"] == {"received": 5, "relays": 4, "notes": 1, "unparsed": 0}


def test_render_json_marks_unparsed_lines_and_keeps_them_raw() -> None:
    doc = json.loads(render_json(_hostile(), "0"))
    first = doc["hops"][0]
    assert first["kind"] == "unparsed" and first["understood"] is False
    assert first["raw"].startswith("<img")
    assert doc["hops"][1]["understood"] is True


def test_render_json_negative_delay_is_kept_negative() -> None:
    journey = journey_from_bytes(read_message("mailparser__mail_test_1.eml"))
    doc = json.loads(render_json(journey, "0"))
    hop = doc["hops"][3]
    assert hop["delay_flag"] == "clock skew"
    assert hop["delay_seconds"] < 0


def test_render_text_shows_table_then_plain_words() -> None:
    text = render_text(journey_from_bytes(read_message("sa__nice_001.eml")))
    table_at = text.index("#  from")
    words_at = text.index("- 6 Received lines")
    assert table_at < words_at
    assert "It entered the mail system on milkplus" in text
    assert "residential ISP line" in text


def test_render_every_format_says_no_received_plainly() -> None:
    journey = journey_from_bytes(b"Subject: hi\r\n\r\n")
    for fmt in OutputFormat:
        assert "no Received: header fields" in render(journey, fmt, "0")


def test_render_text_neutralises_terminal_escapes_and_bidi_overrides() -> None:
    data = (
        b"Received: from a.example ([192.0.2.1]) by b.example with SMTP id "
        b"\x1b[2J\x1b]0;pwned\x07; 1 Jan 2020 10:00:00 +0000\r\n"
        b"Subject: \xe2\x80\xaeevil\r\n\r\n"
    )
    journey = journey_from_bytes(data)
    for fmt in (OutputFormat.TEXT, OutputFormat.MARKDOWN, OutputFormat.HTML):
        out = render(journey, fmt, "0")
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "\\x1b" in out and "\\u202e" in out
