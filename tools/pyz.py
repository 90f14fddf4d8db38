"""Build netprobe as one file: a zipapp a support desk can send and a user
runs with ``python3 netprobe.pyz check example.com``.

The archive holds netprobe's source from this tree and every pure-Python
distribution it needs, copied from the environment running this script
(so the build is offline and uses exactly the tested versions). scapy is
left out on purpose: packet-level evidence is optional and the report says
it was skipped. A compiled file in any dependency stops the build, since the
archive must run on any machine with Python 3.11 or later.

    python tools/pyz.py dist/netprobe.pyz
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import tomllib
import zipapp
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# Optional at run time: the check says what it skipped without it.
LEFT_OUT = {"scapy"}
COMPILED = (".so", ".pyd", ".dylib", ".dll")


def _wanted(requirement: str) -> str | None:
    parsed = Requirement(requirement)
    if parsed.marker is not None and not parsed.marker.evaluate({"extra": ""}):
        return None  # an extra, or another platform's dependency
    return canonicalize_name(parsed.name)


def dependencies() -> list[str]:
    """netprobe's run-time distributions and theirs, less LEFT_OUT."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [n for r in project["dependencies"] if (n := _wanted(r))]
    found: list[str] = []
    while todo:
        name = todo.pop()
        if name in found or name in LEFT_OUT:
            continue
        found.append(name)
        todo += [n for r in metadata.requires(name) or [] if (n := _wanted(r))]
    return sorted(found)


def copy_distribution(name: str, staging: Path) -> None:
    dist = metadata.distribution(name)
    for file in dist.files or []:
        parts = Path(file).parts
        if parts[0] == ".." or "__pycache__" in parts or file.suffix == ".pyc":
            continue  # scripts outside site-packages, and bytecode
        if file.suffix in COMPILED:
            sys.exit(f"pyz: {name} has a compiled file ({file}); cannot bundle it")
        source = Path(str(dist.locate_file(file)))
        target = staging / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def build(output: Path) -> list[str]:
    names = dependencies()
    with tempfile.TemporaryDirectory(prefix="netprobe-pyz-") as temp:
        staging = Path(temp)
        for name in names:
            copy_distribution(name, staging)
        shutil.copytree(
            ROOT / "netprobe",
            staging / "netprobe",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        (staging / "__main__.py").write_text(
            "from netprobe.cli import main\n\nmain()\n"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(
            staging, output, interpreter="/usr/bin/env python3", compressed=True
        )
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output", type=Path, nargs="?", default=ROOT / "dist/netprobe.pyz"
    )
    args = parser.parse_args()
    names = build(args.output)
    print(f"{args.output}: netprobe with {', '.join(names)}")


if __name__ == "__main__":
    main()
