"""The lab's Postfix instances: mail and backup in np-corp, the ISP relay,
and the reference mail host in np-net.

Each instance is a separate Postfix (`postfix -c DIR`) with its own
configuration, queue and data directories under the run directory, started
inside its namespace with `ip netns exec`. What the lab has to do because it
is not a booted system:

- no syslog: `postfix start` fails silently unless `maillog_file` is set, and
  Postfix refuses a maillog_file outside `maillog_file_prefixes`;
- the lab's directories are not Postfix's chroot, so every service runs with
  chroot `n`;
- `data_directory` must belong to the postfix user.

Nothing can leave the namespaces, and mail that reaches an instance's own
domain is discarded, so the lab never delivers anything anywhere.
"""

from __future__ import annotations

import logging
import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lab import addresses as A
from lab.commands import netns_argv, run
from lab.daemons import Daemon
from lab.errors import LabError
from lab.pki import Credential

log = logging.getLogger(__name__)

POSTFIX_USER = "postfix"
START_TIMEOUT = 30.0
MTIME_SETBACK = 2.0
# Queue subdirectories that hold messages (and their logs), not sockets.
MESSAGE_DIRS = (
    "maildrop", "incoming", "active", "deferred", "defer", "bounce",
    "hold", "corrupt", "flush", "saved", "trace",
)  # fmt: skip
# The submission login that mail.whaler.example accepts on 587 and 465.
SUBMISSION_USER = "traveller@whaler.example"
SUBMISSION_PASSWORD = "lab-password"  # noqa: S105 - a test-only login


@dataclass(frozen=True)
class Instance:
    """One Postfix instance: which exchange it is and what it offers."""

    exchange: A.Exchange
    # Domains it takes mail for (then discards it).
    destinations: tuple[str, ...]
    # Domains it accepts mail for to pass on (a backup MX).
    relay_domains: tuple[str, ...] = ()
    # Extra networks allowed to relay through it (the ISP's customers).
    relay_networks: tuple[str, ...] = ()
    # Submission on 587 (STARTTLS) and 465 (implicit TLS) with AUTH.
    submission: bool = False


INSTANCES = (
    Instance(A.MAIL, destinations=("whaler.example",), submission=True),
    Instance(A.BACKUP, destinations=(), relay_domains=("whaler.example",)),
    Instance(
        A.ISP_RELAY,
        destinations=("isp.example",),
        # Postfix writes IPv6 networks with the address in brackets.
        relay_networks=(A.HOTEL_PREFIX_V4, "[2001:db8:1::]/64"),
    ),
    # A big provider's MX: port 25 with STARTTLS, nothing else.
    Instance(A.REFERENCE, destinations=("reference.example",)),
)

# Services every instance needs; master.cf columns are
# service type private unpriv chroot wakeup maxproc command.
COMMON_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
SMTP_SERVICE = "25        inet  n       -       n       -       -       smtpd\n"
# RFC 6409 submission: STARTTLS first (smtpd_tls_security_level=encrypt),
# AUTH offered only once TLS is up (smtpd_tls_auth_only), relaying only for
# a client that logged in.
SUBMISSION_OPTIONS = """\
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
"""
SUBMISSION_SERVICES = (
    "587       inet  n       -       n       -       -       smtpd\n"
    "  -o syslog_name=postfix-mail/submission\n"
    "  -o smtpd_tls_security_level=encrypt\n"
    + SUBMISSION_OPTIONS
    # RFC 8314 implicit TLS: the TLS handshake comes before the greeting.
    + "465       inet  n       -       n       -       -       smtpd\n"
    "  -o syslog_name=postfix-mail/submissions\n"
    "  -o smtpd_tls_wrappermode=yes\n"
    "  -o smtpd_tls_security_level=encrypt\n" + SUBMISSION_OPTIONS
)


@dataclass(frozen=True)
class Layout:
    """Where one instance keeps its files under the run directory."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "conf"

    @property
    def queue(self) -> Path:
        return self.root / "queue"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sasldb(self) -> Path:
        return self.root / "sasldb2"


def layout(run_dir: Path, instance: Instance) -> Layout:
    return Layout(run_dir / "postfix" / instance.exchange.key)


def daemon(run_dir: Path, instance: Instance) -> Daemon:
    # master writes its PID under the queue directory; its command line is
    # `.../sbin/master -w`.
    pid_file = layout(run_dir, instance).queue / "pid" / "master.pid"
    return Daemon(f"postfix-{instance.exchange.key}", pid_file, "master")


def main_cf(
    run_dir: Path, instance: Instance, ca_file: Path, credential: Credential
) -> str:
    """main.cf of one instance."""
    paths = layout(run_dir, instance)
    exchange = instance.exchange
    networks = ("127.0.0.0/8", "[::1]/128", *instance.relay_networks)
    settings = {
        "compatibility_level": "3.6",
        "queue_directory": str(paths.queue),
        "data_directory": str(paths.data),
        "maillog_file": str(run_dir / "log" / f"postfix-{exchange.key}.log"),
        "maillog_file_prefixes": str(run_dir / "log"),
        "syslog_name": f"postfix-{exchange.key}",
        "myhostname": exchange.name,
        "mydomain": exchange.name.split(".", 1)[1],
        "myorigin": "$myhostname",
        # The greeting (banner) names the host: netprobe tells an
        # intercepted connection by the name in it.
        "smtpd_banner": "$myhostname ESMTP Postfix (netprobe lab)",
        "inet_interfaces": f"{exchange.v4}, [{exchange.v6}]",
        "inet_protocols": "ipv4, ipv6",
        "smtp_bind_address": exchange.v4,
        "smtp_bind_address6": exchange.v6,
        "mynetworks": " ".join(networks),
        "mydestination": ", ".join(instance.destinations),
        "relay_domains": ", ".join(instance.relay_domains),
        "smtpd_relay_restrictions": (
            "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
        ),
        # Mail for the instance's own domains is accepted and thrown away:
        # there are no mailboxes in the lab.
        "local_transport": "discard:",
        "local_recipient_maps": "",
        "alias_maps": "",
        "alias_database": "",
        "biff": "no",
        "append_dot_mydomain": "no",
        "disable_vrfy_command": "yes",
        # RFC 3207 STARTTLS offered on 25, not required (a public MX).
        "smtpd_tls_security_level": "may",
        "smtpd_tls_chain_files": f"{credential.key}, {credential.cert}",
        "smtpd_tls_loglevel": "1",
        "smtp_tls_security_level": "may",
        "smtp_tls_CAfile": str(ca_file),
        "smtpd_sasl_auth_enable": "no",
    }
    if instance.submission:
        settings |= {
            "smtpd_sasl_type": "cyrus",
            "smtpd_sasl_path": "smtpd",
            "cyrus_sasl_config_path": str(paths.config / "sasl"),
            "smtpd_sasl_security_options": "noanonymous",
        }
    lines = ["# Generated by the netprobe lab; rewritten on every `up`."]
    lines += [f"{key} = {value}".rstrip() for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def master_cf(instance: Instance) -> str:
    services = SMTP_SERVICE
    if instance.submission:
        services += SUBMISSION_SERVICES
    return services + COMMON_SERVICES


def sasl_conf(run_dir: Path, instance: Instance) -> str:
    # Cyrus SASL reads this as smtpd.conf (smtpd_sasl_path = smtpd); the
    # login lives in a sasldb file, so no saslauthd has to run.
    return (
        "pwcheck_method: auxprop\n"
        "auxprop_plugin: sasldb\n"
        "mech_list: PLAIN LOGIN\n"
        f"sasldb_path: {layout(run_dir, instance).sasldb}\n"
    )


def prepare(run_dir: Path, ca_file: Path, credentials: dict[str, Credential]) -> None:
    """Write every instance's configuration, directories and SASL database."""
    postfix = pwd.getpwnam(POSTFIX_USER)
    (run_dir / "log").mkdir(parents=True, exist_ok=True)
    for instance in INSTANCES:
        paths = layout(run_dir, instance)
        credential = credentials[instance.exchange.name]
        for directory in (paths.config, paths.queue, paths.data):
            directory.mkdir(parents=True, exist_ok=True)
        os.chown(paths.data, postfix.pw_uid, postfix.pw_gid)
        _write_settled(
            paths.config / "main.cf", main_cf(run_dir, instance, ca_file, credential)
        )
        _write_settled(paths.config / "master.cf", master_cf(instance))
        if instance.submission:
            (paths.config / "sasl").mkdir(exist_ok=True)
            (paths.config / "sasl" / "smtpd.conf").write_text(
                sasl_conf(run_dir, instance)
            )
            _make_sasldb(paths.sasldb, postfix.pw_uid, postfix.pw_gid)


def start(run_dir: Path) -> None:
    """Start all instances at once; each is accepting when this returns."""
    starting = []
    for instance in INSTANCES:
        paths = layout(run_dir, instance)
        log_path = run_dir / "log" / f"postfix-{instance.exchange.key}.start"
        argv = netns_argv(
            instance.exchange.namespace,
            ["postfix", "-c", str(paths.config), "start"],
        )
        log.debug("postfix.start instance=%s", instance.exchange.key)
        # Output goes to a file, not a pipe: master inherits the starter's
        # descriptors, and a pipe held open by it would never reach EOF.
        with log_path.open("w") as output:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output
            )
        starting.append((instance, process, log_path))
    failed = []
    for instance, process, log_path in starting:
        # `postfix start` waits (master -w) until master has opened its
        # listening sockets, so success means the ports accept.
        try:
            returncode = process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            returncode = -1
        if returncode != 0:
            failed.append(f"{instance.exchange.name} (see {log_path})")
    if failed:
        raise LabError("Postfix did not start: " + ", ".join(failed))


def _write_settled(path: Path, text: str) -> None:
    path.write_text(text)
    # Postfix re-reads a table file, 300 ms apart, for as long as its mtime
    # is in the current second (it might still be being written), which
    # made each start take up to a second longer. Back-date the file.
    settled = time.time() - MTIME_SETBACK
    os.utime(path, (settled, settled))


def _make_sasldb(path: Path, uid: int, gid: int) -> None:
    # Made afresh each time so the password is always the documented one.
    path.unlink(missing_ok=True)
    user, realm = SUBMISSION_USER.split("@")
    run(
        ["saslpasswd2", "-f", str(path), "-c", "-p", "-u", realm, user],
        input=SUBMISSION_PASSWORD,
    )
    # smtpd reads it after dropping to the postfix user.
    os.chown(path, uid, gid)
    path.chmod(0o600)


def purge_queues(run_dir: Path) -> None:
    """Throw away queued mail, keeping the queue directories themselves.

    Recreating a queue from nothing makes `postfix start` run its
    create-missing step, a shell loop that costs about a second per
    instance; with the directories kept a start takes a few tenths.
    """
    for instance in INSTANCES:
        queue = layout(run_dir, instance).queue
        for name in MESSAGE_DIRS:
            for directory, _subdirs, files in os.walk(queue / name):
                for file in files:
                    (Path(directory) / file).unlink(missing_ok=True)
