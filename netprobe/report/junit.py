"""The report as JUnit XML, for CI systems that show test results.

With a profile's expectations, each expectation is a test case that fails
with what was seen instead; without, each probe is one, failing when the
port did not work. The verdict and target go into the suite's properties.
XML 1.0 cannot carry most control characters at all, so network text is
made printable before ElementTree escapes it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from netprobe.report.untrusted import printable


def _case(
    suite: ET.Element, classname: str, name: str, seconds: float, failure: str | None
) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=printable(classname),
        name=printable(name),
        time=f"{seconds:.3f}",
    )
    if failure is not None:
        ET.SubElement(case, "failure", message=printable(failure)).text = printable(
            failure
        )


def render(document: dict[str, Any]) -> str:
    target = str(document["target"])
    expectations = document.get("expectations", [])
    probes = [*document["probes"], *document.get("mailbox_probes", [])]

    root = ET.Element("testsuites")
    suite = ET.SubElement(
        root,
        "testsuite",
        name=printable(f"netprobe {target}"),
        errors="0",
        skipped="0",
        time=f"{document['timings']['total_seconds']:.3f}",
        timestamp=printable(str(document["started"])),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", target),
        ("status", document["verdict"]["status"]),
        ("verdict", " ".join(document["verdict"]["sentences"])),
        ("resolver", document["resolver"]),
        ("netprobe", document["tool"]["version"]),
    ):
        ET.SubElement(properties, "property", name=name, value=printable(str(value)))

    if expectations:
        for e in expectations:
            failure = None if e["holds"] else f"expected {e['name']}; saw {e['seen']}"
            _case(suite, f"netprobe.{target}.expectations", e["name"], 0.0, failure)
    elif not probes:
        # Nothing was probed (NXDOMAIN, null MX): the verdict is the only case,
        # so that a pipeline never reads "0 tests" as a pass.
        ok = document["verdict"]["status"] == "ok"
        failure = None if ok else " ".join(document["verdict"]["sentences"])
        _case(suite, f"netprobe.{target}", "verdict", 0.0, failure)
    else:
        for p in probes:
            name = f"{p['host']} [{p['address']}]:{p['port']} {p['service']}"
            seconds = float(p["evidence"]["timings"].get("total", 0.0))
            failure = (
                None if p["outcome"] == "open" else f"{p['outcome']}: {p['detail']}"
            )
            _case(suite, f"netprobe.{target}.probes", name, seconds, failure)

    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
