"""A real IMAP and POP3 server on loopback: Dovecot from Debian's packages,
run as a private instance from a config file in a temporary directory.

Dovecot's login processes run as an unprivileged user, which must be able to
reach the instance's directory, so it lives in a fresh 0755 directory under
/tmp rather than pytest's private tmp_path. As root the package's own
``dovecot`` and ``dovenull`` users serve; otherwise the current user does.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.pki import MailCA


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin")


def require_dovecot() -> str:
    """The binary, or skip, or fail under CI, where it must be installed."""
    binary = dovecot_binary()
    if binary is None:
        reason = "dovecot is not installed (Debian: dovecot-imapd dovecot-pop3d)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


@dataclass(frozen=True)
class DovecotPorts:
    imap: int
    imaps: int
    pop3: int
    pop3s: int


@dataclass(frozen=True)
class Dovecot:
    address: str
    ports: DovecotPorts
    directory: Path

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text() if path.exists() else ""


def _config(
    directory: Path, address: str, ports: DovecotPorts, cert: Path, key: Path
) -> str:
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
    else:
        internal = login = getpass.getuser()
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap pop3
listen = {address}
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
default_internal_user = {internal}
default_login_user = {login}
mail_location = maildir:{directory}/mail/%u
passdb {{
  driver = passwd-file
  args = {directory}/passwd
}}
userdb {{
  driver = static
  args = uid={internal} gid={internal} home={directory}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {ports.imap}
  }}
  inet_listener imaps {{
    port = {ports.imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {ports.pop3}
  }}
  inet_listener pop3s {{
    port = {ports.pop3s}
    ssl = yes
  }}
}}
"""


def _listening(address: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), 0.2):
        return True
    return False


@contextlib.contextmanager
def dovecot(
    ca: MailCA, address: str, name: str, ports: DovecotPorts
) -> Iterator[Dovecot]:
    binary = require_dovecot()
    directory = Path(tempfile.mkdtemp(prefix="netprobe-dovecot-"))
    directory.chmod(0o755)
    cert, key = ca.issue(name)
    (directory / "passwd").write_text("")
    (directory / "state").mkdir()
    config = directory / "dovecot.conf"
    config.write_text(_config(directory, address, ports, cert, key))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while not all(_listening(address, p) for p in vars(ports).values()):
            if process.poll() is not None or time.monotonic() > deadline:
                _, err = process.communicate(timeout=5)
                pytest.fail(f"dovecot did not start: {err.decode(errors='replace')}")
            time.sleep(0.1)
        yield Dovecot(address, ports, directory)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
