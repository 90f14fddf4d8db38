"""Saving and reading reports: atomically, never overwriting, in the XDG
state directory.

A report is written to a temporary file in the target directory and moved
into place with ``os.replace`` only once complete, so a crash or a full disk
never leaves half a report where a whole one was, nor clobbers an older one.
Reading checks the document against the report contract (``schema``), so
that a corrupt file or another program's JSON is refused in one line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netprobe.errors import ReportError
from netprobe.report import schema


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


def load_document(path: Path) -> dict[str, Any]:
    """Read a saved report; raise :class:`ReportError` saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(path, exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise ReportError(path, "not a netprobe report (not UTF-8 text)") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    try:
        return schema.check(document)
    except schema.DocumentProblem as exc:
        raise ReportError(path, str(exc)) from None


def find_report(name: str, directory: Path | None = None) -> Path:
    """A path as given, or a bare name from ``report list`` in the state dir."""
    given = Path(name)
    if given.exists() or given.parent != Path("."):
        return given
    saved = (directory or state_dir()) / name
    if saved.exists():
        return saved
    raise ReportError(name, "no such file, nor a saved report of that name")


@dataclass(frozen=True)
class SavedReport:
    """One line of ``report list``; ``status`` says "unreadable" for a file
    that is not a report this version can read."""

    path: Path
    started: str
    target: str
    status: str


def list_reports(directory: Path | None = None) -> list[SavedReport]:
    """Saved reports, newest first; an unreadable one is listed, not fatal."""
    directory = directory or state_dir()
    try:
        paths = [p for p in directory.iterdir() if p.suffix == ".json"]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ReportError(directory, exc.strerror or str(exc)) from None
    reports = []
    for path in paths:
        try:
            document = load_document(path)
        except ReportError:
            reports.append(SavedReport(path, "", "?", "unreadable"))
            continue
        reports.append(
            SavedReport(
                path,
                str(document["started"]),
                str(document["target"]),
                str(document["verdict"]["status"]),
            )
        )
    # Names begin with the UTC time of the check, so they sort as times do;
    # the started field breaks no ties the name does not.
    return sorted(reports, key=lambda r: (r.started, r.path.name), reverse=True)
