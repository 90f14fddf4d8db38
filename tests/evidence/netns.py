"""A private three-namespace network for the packet-evidence tests.

    ev-client --- ev-router --- ev-server
    .66  /28  .65        .81  /28  .82 (mail.ev.example, DNS)
    ff:1::66  ff:1::1   ff:2::1   ff:2::82

Only veth pairs between these namespaces: no link into the root namespace
and no route off the machine; addresses from the documentation ranges
(203.0.113.0/24, RFC 5737; 2001:db8::/32, RFC 3849). ev-router forwards and
enforces a port-25 policy per family with nftables, the way an ISP border
does: drop, reset, ICMP administratively prohibited, or a redirect to its own
relay. It is the project's small stand-in for the full test network, built
and torn down by one fixture.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import dns.reversename

from netprobe.model import Family

CLIENT, ROUTER, SERVER = "ev-client", "ev-router", "ev-server"
NAMESPACES = (CLIENT, ROUTER, SERVER)

CLIENT_V4, GATEWAY_V4 = "203.0.113.66", "203.0.113.65"
ROUTER_V4, SERVER_V4 = "203.0.113.81", "203.0.113.82"
CLIENT_V6, GATEWAY_V6 = "2001:db8:ff:1::66", "2001:db8:ff:1::1"
ROUTER_V6, SERVER_V6 = "2001:db8:ff:2::1", "2001:db8:ff:2::82"

DOMAIN = "ev.example"
MAIL = "mail.ev.example"
RELAY = "relay.ev.example"
GATEWAY = "gw.ev.example"
RELAY_PORT = 2525
MODES = ("drop", "reset", "prohibited", "redirect")

ROOT = Path(__file__).resolve().parents[2]


def zone_text() -> str:
    """The zone the ev-server nameserver answers from, PTRs included."""
    ptr = [
        f"{dns.reversename.from_address(a)} IN PTR {name}."
        for a, name in (
            (GATEWAY_V4, GATEWAY),
            (GATEWAY_V6, GATEWAY),
            (SERVER_V4, MAIL),
            (SERVER_V6, MAIL),
        )
    ]
    return "\n".join(
        [
            "$TTL 60",
            ". IN SOA ns.ev.example. admin.ev.example. 1 60 60 60 60",
            f"{DOMAIN}. IN MX 10 {MAIL}.",
            f"{MAIL}. IN A {SERVER_V4}",
            f"{MAIL}. IN AAAA {SERVER_V6}",
            *ptr,
        ]
    )


def _rules(mode: str, family: Family) -> str:
    """nftables rules for one family's port-25 policy on ev-router."""
    nfproto = family.value
    icmp = (
        "icmp type admin-prohibited"
        if family is Family.IPV4
        else "icmpv6 type admin-prohibited"
    )
    if mode == "redirect":
        table = "ip" if family is Family.IPV4 else "ip6"
        return (
            f"table {table} ev_nat_{nfproto} {{\n"
            "  chain prerouting {\n"
            "    type nat hook prerouting priority dstnat; policy accept;\n"
            f'    iifname "ev-rc" tcp dport 25 redirect to :{RELAY_PORT}\n'
            "  }\n"
            "}\n"
        )
    verdict = {
        "drop": "drop",
        "reset": "reject with tcp reset",
        "prohibited": f"reject with {icmp}",
    }[mode]
    return (
        f"table inet ev_policy_{nfproto} {{\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter; policy accept;\n"
        f"    meta nfproto {nfproto} tcp dport 25 {verdict}\n"
        "  }\n"
        "}\n"
    )


@dataclass
class EvNet:
    """The namespaces, their links, and the processes serving in them."""

    python: str = sys.executable
    cafile: Path | None = None
    processes: tuple[subprocess.Popen[str], ...] = ()

    @staticmethod
    def available() -> str | None:
        """None when this machine can build the network; else why not."""
        if os.geteuid() != 0:
            return "needs root to create network namespaces"
        for tool in ("ip", "nft", "sysctl", "setpriv"):
            if shutil.which(tool) is None:
                return f"needs the {tool!r} tool"
        return None

    def run(
        self, namespace: str | None, *argv: str, input_text: str | None = None
    ) -> str:
        command = ["ip", "netns", "exec", namespace, *argv] if namespace else list(argv)
        done = subprocess.run(
            command,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
        return done.stdout

    def up(self) -> None:
        self.down()
        for namespace in NAMESPACES:
            self.run(None, "ip", "netns", "add", namespace)
            # No duplicate address detection: addresses are usable at once.
            for key in ("all", "default"):
                self.run(
                    namespace, "sysctl", "-qw", f"net.ipv6.conf.{key}.accept_dad=0"
                )
            self.run(namespace, "ip", "link", "set", "lo", "up")
        self._link(CLIENT, "ev-c", ROUTER, "ev-rc")
        self._link(ROUTER, "ev-rs", SERVER, "ev-s")
        self._address(CLIENT, "ev-c", f"{CLIENT_V4}/28", f"{CLIENT_V6}/64")
        self._address(ROUTER, "ev-rc", f"{GATEWAY_V4}/28", f"{GATEWAY_V6}/64")
        self._address(ROUTER, "ev-rs", f"{ROUTER_V4}/28", f"{ROUTER_V6}/64")
        self._address(SERVER, "ev-s", f"{SERVER_V4}/28", f"{SERVER_V6}/64")
        self.run(CLIENT, "ip", "route", "add", "default", "via", GATEWAY_V4)
        self.run(CLIENT, "ip", "-6", "route", "add", "default", "via", GATEWAY_V6)
        self.run(SERVER, "ip", "route", "add", "default", "via", ROUTER_V4)
        self.run(SERVER, "ip", "-6", "route", "add", "default", "via", ROUTER_V6)
        for setting in (
            "net.ipv4.ip_forward=1",
            "net.ipv6.conf.all.forwarding=1",
            # Every TTL-exceeded and unreachable must be sent, not rate
            # limited, or a traceroute shows gaps the test cannot predict.
            "net.ipv4.icmp_ratelimit=0",
            "net.ipv6.icmp.ratelimit=0",
        ):
            self.run(ROUTER, "sysctl", "-qw", setting)

    def _link(self, left: str, left_name: str, right: str, right_name: str) -> None:
        self.run(
            None,
            "ip",
            "link",
            "add",
            left_name,
            "netns",
            left,
            "type",
            "veth",
            "peer",
            "name",
            right_name,
            "netns",
            right,
        )
        self.run(left, "ip", "link", "set", left_name, "up")
        self.run(right, "ip", "link", "set", right_name, "up")

    def _address(self, namespace: str, device: str, v4: str, v6: str) -> None:
        self.run(namespace, "ip", "addr", "add", v4, "dev", device)
        self.run(namespace, "ip", "-6", "addr", "add", v6, "dev", device, "nodad")

    def down(self) -> None:
        for process in self.processes:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes = ()
        present = self.run(None, "ip", "netns", "list")
        names = {line.split()[0] for line in present.splitlines() if line.strip()}
        for namespace in NAMESPACES:
            if namespace in names:
                self.run(None, "ip", "netns", "del", namespace)

    def set_policy(self, mode: str | None, families: Sequence[Family] = ()) -> None:
        """Replace ev-router's port-25 policy: ``mode`` for ``families``."""
        self.run(ROUTER, "nft", "flush", "ruleset")
        rules = "".join(_rules(mode, f) for f in families) if mode else ""
        if rules:
            self.run(ROUTER, "nft", "-f", "-", input_text=rules)
        # A redirect is decided once per connection: forget old decisions.
        with contextlib.suppress(RuntimeError):
            self.run(ROUTER, "conntrack", "-F")

    def serve(self, cert: Path, key: Path) -> None:
        """Start the mail and DNS servers in ev-server, the relay in ev-router."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = []
        for namespace, role in ((SERVER, "server"), (ROUTER, "relay")):
            process = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    namespace,
                    self.python,
                    "-m",
                    "tests.evidence.servers",
                    role,
                    str(cert),
                    str(key),
                ],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            started.append(process)
        self.processes = tuple(started)
        for process in started:
            assert process.stdout is not None
            line = process.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a test server did not start: {line!r}")

    def check(self, *args: str, privileged: bool = True) -> tuple[int, str, str, float]:
        """``netprobe check ev.example`` in ev-client, against the ev-server
        nameserver and CA, saving nothing."""
        trust = ("--cafile", str(self.cafile)) if self.cafile else ()
        return self.netprobe(
            "check",
            DOMAIN,
            "--resolver",
            SERVER_V4,
            *trust,
            "--no-save",
            *args,
            privileged=privileged,
        )

    def netprobe(
        self, *args: str, privileged: bool = True, timeout: float = 60
    ) -> tuple[int, str, str, float]:
        """Run ``python -m netprobe`` in ev-client: (exit code, out, err, seconds)."""
        command = ["ip", "netns", "exec", CLIENT]
        if not privileged:
            command += [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ]
        command += [self.python, "-m", "netprobe", *args]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
        started = time.monotonic()
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=ROOT,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr, time.monotonic() - started


@contextlib.contextmanager
def network(cert: Path, key: Path, cafile: Path | None = None) -> Iterator[EvNet]:
    net = EvNet(cafile=cafile)
    try:
        net.up()
        net.serve(cert, key)
        yield net
    finally:
        net.down()
