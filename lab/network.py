"""The Lab: builds, switches and tears down the whole test network.

    lab = Lab()
    lab.up("none")
    lab.set_mode("drop", family="both")
    lab.set_delay(50)
    lab.host("mail", up=False)
    lab.port25("mail", up=False)
    lab.hotel_exec(["dig", "+short", "MX", "whaler.example"])
    lab.down()

Every method can be called from a different process than the one that ran
`up` (the CLI does exactly that): what the lab needs to remember lives in the
run directory, /run/netprobe-lab or $NETPROBE_LAB_DIR.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab import addresses as A
from lab import (
    connect,
    daemons,
    delay,
    dns,
    firewall,
    postfix,
    prerequisites,
    topology,
)
from lab.commands import DEFAULT_TIMEOUT, netns_argv, run_in
from lab.connect import ConnectResult
from lab.errors import LabError, LabUnavailable
from lab.firewall import Family, Mode
from lab.state import State

log = logging.getLogger(__name__)

DEFAULT_RUN_DIR = Path("/run/netprobe-lab")
RUN_DIR_ENV = "NETPROBE_LAB_DIR"


def available() -> tuple[bool, str]:
    """Whether this machine can build the lab, and the reason if not."""
    return prerequisites.check()


@dataclass(frozen=True)
class Status:
    """What is there right now, and what the lab was last told."""

    namespaces: dict[str, bool]
    daemons: dict[str, int | None]
    mode: Mode
    family: Family
    delay_ms: float
    hosts_off: tuple[str, ...]
    port25_off: tuple[str, ...]

    @property
    def up(self) -> bool:
        """Every namespace and every daemon of the lab is there."""
        return all(self.namespaces.values()) and all(
            pid is not None for pid in self.daemons.values()
        )

    @property
    def anything(self) -> bool:
        """Something of the lab is left (a namespace or a daemon)."""
        return any(self.namespaces.values()) or any(
            pid is not None for pid in self.daemons.values()
        )

    def lines(self) -> list[str]:
        """A human-readable summary, one fact per line."""
        lines = [
            f"lab: {'up' if self.up else 'partly up' if self.anything else 'down'}"
        ]
        for namespace, exists in self.namespaces.items():
            lines.append(f"namespace {namespace}: {'up' if exists else 'absent'}")
        for label, pid in self.daemons.items():
            lines.append(f"process {label}: {f'pid {pid}' if pid else 'not running'}")
        if self.anything:
            lines += [
                f"port-25 mode: {self.mode} (family {self.family})",
                f"isp-net one-way delay: {self.delay_ms:g} ms",
                f"hosts off: {', '.join(self.hosts_off) or 'none'}",
                f"port 25 off: {', '.join(self.port25_off) or 'none'}",
            ]
        return lines


class Lab:
    """The test network; see the module docstring and lab/README.md."""

    def __init__(self, run_dir: Path | str | None = None) -> None:
        if run_dir is None:
            run_dir = os.environ.get(RUN_DIR_ENV) or DEFAULT_RUN_DIR
        self.run_dir = Path(run_dir)

    @property
    def ca_file(self) -> Path:
        """The lab CA's certificate (PEM), for netprobe's --cafile."""
        return self.run_dir / "pki" / "ca.pem"

    @property
    def _state_file(self) -> Path:
        return self.run_dir / "state.json"

    def _daemons(self) -> list[daemons.Daemon]:
        return [
            delay.daemon(self.run_dir),
            dns.servfail_daemon(self.run_dir),
            dns.daemon(self.run_dir),
            *(postfix.daemon(self.run_dir, i) for i in postfix.INSTANCES),
        ]

    # -- lifecycle ---------------------------------------------------------

    def up(self, mode: Mode | str = Mode.NONE, family: Family | str = "both") -> None:
        """Build the network (or keep the running one) with this port-25 mode.

        Idempotent: on a network that is already complete only the mode
        changes; a partial one (a crashed `up`) is taken down and rebuilt.
        A failed `up` takes down whatever it had made before raising.
        """
        mode, family = Mode(mode), Family(family)
        ok, reason = available()
        if not ok:
            raise LabUnavailable(reason)
        current = self.status()
        if current.up:
            log.info("lab.up already up; setting mode=%s family=%s", mode, family)
            self.set_mode(mode, family)
            return
        if current.anything:
            log.info("lab.up found a partial network; taking it down first")
            self.down()

        started = time.monotonic()
        try:
            self._build(mode, family)
        except BaseException:
            # Including KeyboardInterrupt: half a network is worse than none.
            log.error("lab.up failed; taking down what was made")
            self.down()
            raise
        log.info("lab.up done in %.2fs", time.monotonic() - started)

    def _build(self, mode: Mode, family: Family) -> None:
        # Imported here: `cryptography` is a dev dependency, and without it
        # `status` and `down` must still work and `up` must say what is
        # missing (prerequisites.check) rather than fail on import.
        from lab import pki

        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.chmod(0o755)
        state = State(mode=mode, family=family)
        state.save(self._state_file)
        ca_file, credentials = pki.ensure(
            self.run_dir / "pki", [e.name for e in A.EXCHANGES]
        )

        topology.create_namespaces()
        topology.create_veth_links()
        delay.start(self.run_dir, state.delay_ms)
        topology.adopt_taps()
        topology.configure()

        firewall.apply_policy(self.run_dir, mode, family)
        firewall.apply_hosts(self.run_dir, [])
        dns.start(self.run_dir)
        postfix.prepare(self.run_dir, ca_file, credentials)
        postfix.start(self.run_dir)

    def down(self) -> None:
        """Take everything down; completes whatever state the lab is in.

        Raises LabError only after every step has been tried, naming what
        is still left.
        """
        _require_root()
        started = time.monotonic()
        left = daemons.stop(self._daemons())
        # Processes still in a lab namespace were started there by the lab
        # (Postfix children whose master died, a test's hung command); the
        # namespace cannot go while they live.
        for namespace in topology.existing_namespaces():
            pids = topology.namespace_pids(namespace)
            if pids:
                log.warning("lab.down killing pids=%s left in %s", pids, namespace)
                left += [str(pid) for pid in daemons.terminate(pids)]
        left += topology.destroy()
        self._state_file.unlink(missing_ok=True)
        postfix.purge_queues(self.run_dir)
        log.info("lab.down done in %.2fs", time.monotonic() - started)
        if left:
            raise LabError(f"could not remove: {', '.join(left)}")

    # -- switches ----------------------------------------------------------

    def set_mode(self, mode: Mode | str, family: Family | str = "both") -> None:
        """Apply a port-25 policy to one family (the other gets `none`)."""
        mode, family = Mode(mode), Family(family)
        self._require_up()
        firewall.apply_policy(self.run_dir, mode, family)
        state = State.load(self._state_file)
        state.mode, state.family = mode, family
        state.save(self._state_file)

    def set_delay(self, milliseconds: float) -> None:
        """Set the one-way delay of the isp-net link (RTT grows by twice it)."""
        self._require_up()
        delay.set_delay(self.run_dir, milliseconds)
        state = State.load(self._state_file)
        state.delay_ms = float(milliseconds)
        state.save(self._state_file)

    def host(self, name: str, up: bool) -> None:
        """Switch a mail host ("mail", "backup", "reference") off (silent on
        every port) or back on."""
        self._switch(name, up, port25_only=False)

    def port25(self, name: str, up: bool) -> None:
        """Switch a mail host's port 25 alone off (silent) or back on, for
        every client: a fault at that exchange, not in the hotel's network."""
        self._switch(name, up, port25_only=True)

    def _switch(self, name: str, up: bool, *, port25_only: bool) -> None:
        if name not in A.SWITCHABLE:
            known = ", ".join(A.SWITCHABLE)
            raise LabError(f"unknown host {name!r}; the lab can switch {known}")
        self._require_up()
        state = State.load(self._state_file)
        off = set(state.port25_off if port25_only else state.hosts_off)
        if up:
            off.discard(name)
        else:
            off.add(name)
        if port25_only:
            state.port25_off = sorted(off)
        else:
            state.hosts_off = sorted(off)
        firewall.apply_hosts(
            self.run_dir,
            [A.SWITCHABLE[key] for key in state.hosts_off],
            [A.SWITCHABLE[key] for key in state.port25_off],
        )
        state.save(self._state_file)

    def reset(self) -> None:
        """Back to the state `up("none")` leaves: no policy, no delay, all on."""
        self.set_mode(Mode.NONE, Family.BOTH)
        self.set_delay(0)
        state = State.load(self._state_file)
        state.hosts_off, state.port25_off = [], []
        firewall.apply_hosts(self.run_dir, [], [])
        state.save(self._state_file)

    # -- looking at it -----------------------------------------------------

    def status(self) -> Status:
        state = State.load(self._state_file)
        existing = set(topology.existing_namespaces())
        return Status(
            namespaces={ns: ns in existing for ns in A.NAMESPACES},
            daemons={d.label: daemons.running_pid(d) for d in self._daemons()},
            mode=state.mode,
            family=state.family,
            delay_ms=state.delay_ms,
            hosts_off=tuple(state.hosts_off),
            port25_off=tuple(state.port25_off),
        )

    def exec(
        self,
        namespace: str,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        input: str | None = None,
        check: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside one of the lab's namespaces.

        Output is captured as text; `env` replaces the environment.
        """
        if namespace not in A.NAMESPACES:
            raise LabError(f"{namespace!r} is not a lab namespace")
        return run_in(
            namespace, argv, input=input, check=check, timeout=timeout, env=env
        )

    def hotel_exec(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        input: str | None = None,
        check: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command on the hotel laptop (np-hotel)."""
        return self.exec(
            A.HOTEL, argv, timeout=timeout, input=input, check=check, env=env
        )

    def hotel_argv(self, argv: Sequence[str]) -> list[str]:
        """The command line that runs `argv` on the hotel laptop, for Popen."""
        return netns_argv(A.HOTEL, argv)

    def hotel_connect(
        self, address: str, port: int, timeout: float = 3.0
    ) -> ConnectResult:
        """What a plain TCP connect from the hotel to address:port sees."""
        # connect.py needs nothing but the standard library, so it runs by
        # path, whatever the caller's PYTHONPATH.
        script = Path(connect.__file__)
        argv = [sys.executable, str(script), address, str(port), str(timeout)]
        result = self.hotel_exec(argv, timeout=timeout + 10, check=True)
        raw = json.loads(result.stdout)
        return ConnectResult(raw["outcome"], raw["seconds"], raw["greeting"])

    def _require_up(self) -> None:
        _require_root()
        if not self.status().up:
            raise LabError("the lab is not up; run `python -m lab up` first")


def _require_root() -> None:
    if os.geteuid() != 0:
        raise LabUnavailable(prerequisites.NOT_ROOT)
