"""Saving reports: atomically, never overwriting, in the XDG state directory.

A report is written to a temporary file in the target directory and moved
into place with ``os.replace`` only once complete, so a crash or a full disk
never leaves half a report where a whole one was, nor clobbers an older one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from netprobe.errors import ReportError


def state_dir() -> Path:
    """``$XDG_STATE_HOME/netprobe/reports`` (default ``~/.local/state``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "netprobe" / "reports"


def report_name(target: str, started: str, suffix: str = ".json") -> str:
    stamp = re.sub(r"[^0-9T]", "", started.split("+", maxsplit=1)[0])
    safe = re.sub(r"[^A-Za-z0-9.-]", "_", target)
    return f"{stamp}Z-{safe}{suffix}"


def write_atomic(path: Path, text: str, overwrite: bool = True) -> Path:
    """Write ``text`` to ``path`` via a temporary file and a rename.

    With ``overwrite`` false an existing file is kept and a numbered name
    beside it is used instead.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".netprobe-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            target = path if overwrite else _free_name(path)
            if overwrite:
                os.replace(temp, target)
            else:
                # link() fails if the name was taken meanwhile; never clobber.
                os.link(temp, target)
                os.unlink(temp)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError(path, exc.strerror or str(exc)) from None
    return target


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def save_document(document: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or state_dir()
    name = report_name(str(document["target"]), str(document["started"]))
    return write_atomic(directory / name, dumps(document), overwrite=False)


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
