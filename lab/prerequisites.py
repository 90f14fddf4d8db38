"""Can this machine build the lab? Checked before anything is created."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

# Every program the lab runs, with the Debian package that ships it, so a
# missing one can be reported as something to install.
TOOLS = {
    "ip": "iproute2",
    "nft": "nftables",
    "conntrack": "conntrack",
    "sysctl": "procps",
    "dnsmasq": "dnsmasq-base",
    "postfix": "postfix",
    "saslpasswd2": "sasl2-bin",
}
# Tools the lab's own tests use from inside np-hotel.
TEST_TOOLS = {
    "dig": "bind9-dnsutils",
    "ping": "iputils-ping",
    "swaks": "swaks",
}
# Postfix's smtpd finds Cyrus SASL plugins here; sasldb holds the lab's
# submission login and PLAIN/LOGIN are the mechanisms it offers.
SASL_PLUGIN_DIRS = (
    Path("/usr/lib/x86_64-linux-gnu/sasl2"),
    Path("/usr/lib/aarch64-linux-gnu/sasl2"),
    Path("/usr/lib/sasl2"),
)
SASL_PLUGINS = {
    "libsasldb.so": "libsasl2-modules-db",
    "libplain.so": "libsasl2-modules",
    "liblogin.so": "libsasl2-modules",
}
TUN_DEVICE = Path("/dev/net/tun")
NOT_ROOT = "the lab needs root (network namespaces, nftables, TAP devices)"


def missing_tools(tools: dict[str, str]) -> list[str]:
    """`tool (package)` for each tool that is not on PATH."""
    # sysctl, ip and friends live in /usr/sbin, which a non-login root
    # shell may not have on PATH.
    path = os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"]
    )
    return [
        f"{tool} (Debian package {package})"
        for tool, package in tools.items()
        if shutil.which(tool, path=path) is None
    ]


def missing_sasl_plugins() -> list[str]:
    found = {
        plugin.name
        for directory in SASL_PLUGIN_DIRS
        if directory.is_dir()
        for plugin in directory.iterdir()
    }
    return [
        f"SASL plugin {plugin} (Debian package {package})"
        for plugin, package in SASL_PLUGINS.items()
        if plugin not in found
    ]


def check(test_tools: bool = False) -> tuple[bool, str]:
    """Whether the lab can be built here and, if not, the first reason why."""
    if os.geteuid() != 0:
        return False, NOT_ROOT
    missing = missing_tools(TOOLS)
    if test_tools:
        missing += missing_tools(TEST_TOOLS)
    missing += missing_sasl_plugins()
    if missing:
        return False, "missing " + ", ".join(missing)
    if importlib.util.find_spec("cryptography") is None:
        return False, "missing Python package cryptography (pip install .[dev])"
    if not TUN_DEVICE.exists():
        return False, f"no {TUN_DEVICE}: the kernel has no TUN/TAP support"
    return _can_make_namespace()


def _can_make_namespace() -> tuple[bool, str]:
    # `ip netns list` succeeds even where unshare(CLONE_NEWNET) is refused
    # (an unprivileged container), so make and remove a real namespace.
    probe_name = f"np-probe-{os.getpid()}"
    try:
        made = subprocess.run(
            ["ip", "netns", "add", probe_name],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if made.returncode == 0:
            subprocess.run(
                ["ip", "netns", "del", probe_name],
                check=False,
                capture_output=True,
                timeout=10,
            )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"`ip netns` is not usable: {error}"
    if made.returncode != 0:
        reason = made.stderr.strip() or f"exit status {made.returncode}"
        return False, f"`ip netns` is not usable: {reason}"
    return True, ""
