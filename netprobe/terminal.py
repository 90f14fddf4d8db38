"""What a person at a terminal sees while netprobe works: colour, and a
progress line on standard error. The CLI alone uses this module.

Without a terminal (a CI job, a pipe, a file) there is no colour, no
progress line and no carriage return: only the report's plain lines. The
NO_COLOR convention (https://no-color.org: set and not empty) and TERM=dumb
turn colour off everywhere; a profile's ``color`` says auto, always or never.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO


def is_terminal(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    try:
        tty = stream.isatty()
    except ValueError:  # a closed stream
        return False
    return tty and environ.get("TERM") != "dumb"


def wants_color(
    stream: TextIO, setting: str = "auto", environ: Mapping[str, str] = os.environ
) -> bool:
    if environ.get("NO_COLOR") or setting == "never":
        return False
    if setting == "always":
        return True
    return is_terminal(stream, environ)


class ProgressLine:
    """One line on a terminal, rewritten in place; silent elsewhere."""

    def __init__(self, stream: TextIO, environ: Mapping[str, str] = os.environ) -> None:
        self._stream = stream
        self.enabled = is_terminal(stream, environ)
        self._width = 0
        self.last = ""

    def show(self, text: str) -> None:
        self.last = text
        if not self.enabled:
            return
        # Pad over the previous text; keep within a narrow terminal's width.
        text = text[:79]
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self.enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


def bar(done: int, total: int, width: int = 24) -> str:
    """``[#########...............]`` for ``done`` of ``total``."""
    filled = width * done // total if total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"
