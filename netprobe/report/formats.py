"""Every report format by name, and the one place a document is rendered.

Each format is a module with a pure ``render(document)``; this table is how
the CLI finds them, and how ``--output PATH`` picks one from the file name.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from netprobe.report import store


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    JUNIT = "junit"


_BY_SUFFIX = {
    ".json": Format.JSON,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".xml": Format.JUNIT,
    ".txt": Format.TEXT,
}


def for_path(path: Path, default: Format) -> Format:
    """The format a file name asks for, else ``default``."""
    return _BY_SUFFIX.get(path.suffix.lower(), default)


def render(
    document: dict[str, Any],
    fmt: Format,
    *,
    verbose: bool = False,
    color: bool = False,
) -> str:
    """The document in ``fmt``, ending in a newline."""
    # Renderers load on first use: `netprobe --help` and a plain check
    # should not pay for HTML and JUnit.
    from netprobe.report import html, junit, markdown, text

    if fmt is Format.JSON:
        return store.dumps(document)
    if fmt is Format.MARKDOWN:
        return markdown.render(document)
    if fmt is Format.HTML:
        return html.render(document)
    if fmt is Format.JUNIT:
        return junit.render(document)
    return text.render(document, verbose=verbose, color=color) + "\n"
