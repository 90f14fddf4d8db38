"""The report contract as a JSON Schema, and checking a document against it.

The schema file (``netprobe/schema/report.schema.json``) is the contract;
the test suite validates every report it makes with ``jsonschema``. At run
time netprobe must also refuse a report it cannot show (``report show``,
``report diff``) with one line that says why, but it cannot depend on
``jsonschema``: that pulls in a compiled extension, and netprobe ships as a
single pure-Python file too. So the few keywords the schema uses are checked
here; the schema's own description lists them, and a test keeps the two in
step.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from netprobe.report.document import SCHEMA_MAJOR

SUPPORTED_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "title",
        "description",
        "type",
        "enum",
        "const",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minimum",
        "pattern",
    }
)

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


class DocumentProblem(ValueError):
    """What is wrong with a document, and where (a JSON path like probes[0])."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem


@cache
def report_schema() -> dict[str, Any]:
    text = (resources.files("netprobe") / "schema" / "report.schema.json").read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def check(document: object) -> dict[str, Any]:
    """Return ``document`` if it is a netprobe report this version can read.

    Raises :class:`DocumentProblem`. Identity and version are checked before
    the shape, so that "not a netprobe report" and "made by a newer netprobe"
    are said plainly instead of as a missing field.
    """
    if not isinstance(document, dict):
        raise DocumentProblem("", "not a netprobe report (not a JSON object)")
    tool = document.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "netprobe":
        raise DocumentProblem("", "not a netprobe report (no tool.name 'netprobe')")
    version = document.get("schema_version")
    match = (
        re.fullmatch(r"([0-9]+)\.[0-9]+", version) if isinstance(version, str) else None
    )
    if match is None:
        raise DocumentProblem("schema_version", f"not a version: {version!r}")
    if int(match.group(1)) > SCHEMA_MAJOR:
        raise DocumentProblem(
            "",
            f"written by a newer netprobe (schema {version}); "
            f"this one reads schema {SCHEMA_MAJOR}.x",
        )
    schema = report_schema()
    _validate(document, schema, schema, "")
    return document


def _type_ok(value: object, name: str) -> bool:
    # bool is an int in Python, but not a JSON integer or number.
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[name])


def _validate(
    value: object, node: dict[str, Any], root: dict[str, Any], at: str
) -> None:
    if "$ref" in node:
        name = str(node["$ref"]).removeprefix("#/$defs/")
        _validate(value, root["$defs"][name], root, at)
    if "const" in node and value != node["const"]:
        raise DocumentProblem(at, f"expected {json.dumps(node['const'])}")
    if "enum" in node and value not in node["enum"]:
        words = ", ".join(json.dumps(v) for v in node["enum"])
        raise DocumentProblem(at, f"expected one of {words}, got {json.dumps(value)}")
    if "type" in node:
        names = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_type_ok(value, n) for n in names):
            raise DocumentProblem(at, f"expected {' or '.join(names)}")
    if "minimum" in node and isinstance(value, int | float) and value < node["minimum"]:
        raise DocumentProblem(at, f"expected at least {node['minimum']}")
    pattern = node.get("pattern")
    if pattern and isinstance(value, str) and not re.search(pattern, value):
        raise DocumentProblem(at, f"does not match {node['pattern']}")
    if isinstance(value, dict):
        _validate_object(value, node, root, at)
    if isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            _validate(item, node["items"], root, f"{at}[{i}]")


def _validate_object(
    value: dict[str, Any], node: dict[str, Any], root: dict[str, Any], at: str
) -> None:
    prefix = f"{at}." if at else ""
    for key in node.get("required", ()):
        if key not in value:
            raise DocumentProblem(f"{prefix}{key}", "missing")
    properties = node.get("properties", {})
    extra = node.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            _validate(item, properties[key], root, f"{prefix}{key}")
        elif isinstance(extra, dict):
            _validate(item, extra, root, f"{prefix}{key}")
        elif extra is False:
            raise DocumentProblem(f"{prefix}{key}", "unexpected field")
