"""up, down and status: whatever state the lab is in, down cleans it all.

These tests take the shared network down; each one brings it back up
(module fixture `restore`) so the tests after them find it as they expect.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import Lab, LabError, Mode, delay, topology
from lab import postfix as lab_postfix
from tests.lab.lab_checks import leftovers, namespace_inodes

pytestmark = pytest.mark.network

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore(lab_net: Lab) -> Iterator[Lab]:
    """The lab for a test that takes it down; up again and reset afterwards."""
    yield lab_net
    lab_net.up()
    lab_net.reset()


def test_up_on_a_running_lab_keeps_it_and_sets_the_mode(lab_reset: Lab) -> None:
    before = lab_reset.status()

    lab_reset.up(Mode.RESET, family="ipv6")

    after = lab_reset.status()
    assert after.up
    assert after.daemons == before.daemons
    assert (after.mode, after.family) == (Mode.RESET, "ipv6")


def test_status_lists_namespaces_processes_mode_and_delay(lab_reset: Lab) -> None:
    lab_reset.set_mode(Mode.DROP, family="ipv4")
    lab_reset.set_delay(20)

    lines = lab_reset.status().lines()

    assert lines[0] == "lab: up"
    assert "namespace np-corp: up" in lines
    assert any(line.startswith("process postfix-mail: pid ") for line in lines)
    assert "port-25 mode: drop (family ipv4)" in lines
    assert "isp-net one-way delay: 20 ms" in lines
    assert "port 25 off: none" in lines


def test_down_removes_everything(restore: Lab) -> None:
    inodes = namespace_inodes()
    started = time.monotonic()

    restore.down()

    assert time.monotonic() - started < 3
    assert leftovers(inodes) == []
    assert not restore.status().anything


def test_down_twice_is_harmless(restore: Lab) -> None:
    restore.down()
    restore.down()

    assert not restore.status().anything


def test_failed_up_takes_down_what_it_made(restore: Lab) -> None:
    restore.down()

    def broken_start(run_dir: Path) -> None:
        raise LabError("Postfix did not start (simulated)")

    # A context of its own: the patch must be gone before `restore` brings
    # the lab back up, whatever order the fixtures are torn down in.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lab_postfix, "start", broken_start)
        with pytest.raises(LabError, match="simulated"):
            restore.up()

    assert leftovers({}) == []


def test_down_completes_after_a_partial_up(restore: Lab) -> None:
    restore.down()
    # What a crash half-way through `up` leaves: namespaces, links and a
    # forwarder, but no resolver and no Postfix.
    topology.create_namespaces()
    topology.create_veth_links()
    delay.start(restore.run_dir, 0)
    topology.adopt_taps()
    inodes = namespace_inodes()

    restore.down()

    assert leftovers(inodes) == []


def test_down_completes_after_up_was_killed(restore: Lab) -> None:
    restore.down()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    up = subprocess.Popen(
        [sys.executable, "-m", "lab", "up"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Kill it as soon as it has made something, wherever it is then.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not Path("/run/netns/np-corp").exists():
        time.sleep(0.01)
    time.sleep(0.3)
    up.send_signal(signal.SIGKILL)
    up.wait()
    inodes = namespace_inodes()

    restore.down()

    assert leftovers(inodes) == []


def test_switches_on_a_downed_lab_say_so_in_one_line(restore: Lab) -> None:
    restore.down()

    result = subprocess.run(
        [sys.executable, "-m", "lab", "mode", "drop"],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert (
        result.stderr == "lab: error: the lab is not up; run `python -m lab up` first\n"
    )
    assert "Traceback" not in result.stderr


def test_cli_up_and_down_print_status(restore: Lab) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    restore.down()

    up = subprocess.run(
        [sys.executable, "-m", "lab", "up", "redirect", "--family", "ipv4"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    down = subprocess.run(
        [sys.executable, "-m", "lab", "down"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert up.returncode == 0, up.stderr
    assert "lab: up" in up.stdout
    assert "port-25 mode: redirect (family ipv4)" in up.stdout
    assert down.returncode == 0, down.stderr
    assert not restore.status().anything
