"""scapy is imported by the packet stage alone, once it runs: never by
``--help``, by ``check --help``, or by importing the pipeline."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAMS = {
    "check --help": "from netprobe.cli import app; from typer.testing import "
    "CliRunner; CliRunner().invoke(app, ['check', '--help'])",
    "import the pipeline": "import netprobe.check, netprobe.packets",
}


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_scapy_is_not_imported_before_the_packet_stage(program: str) -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; {program}; "
            "print(any(m.split('.')[0] == 'scapy' for m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )

    assert probe.stdout.strip() == "False"
