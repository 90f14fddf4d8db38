"""Reading profiles from TOML: finding them by name, and refusing a broken
one with the file, the key and what was expected.

A name is looked up in the user's directory
(``$XDG_CONFIG_HOME/netprobe/profiles/NAME.toml``, default ``~/.config``)
and then among the built-in profiles shipped in ``netprobe/profiles``; a
user's profile of the same name as a built-in one takes its place. Anything
with a ``/`` or ending in ``.toml`` is a path.

The validator is a handful of typed readers rather than a schema library:
the profile format is small, the errors must name TOML keys the way a user
wrote them, and netprobe must run from a single file with no compiled
dependency.
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from netprobe.diagnose import FINDING_CODES
from netprobe.domain import parse_domain
from netprobe.errors import InvalidDomainError, ProfileError
from netprobe.expect import (
    OUTCOME_WORDS,
    Expectation,
    FindingExpectation,
    ProbeExpectation,
)
from netprobe.model import Family, MailboxPort, MailboxService, PortSpec, Service
from netprobe.profile import Profile, Timeouts

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_TOP_KEYS = (
    "description",
    "ports",
    "timeouts",
    "families",
    "references",
    "cafile",
    "receiving",
    "receiving_ports",
    "concurrency",
    "per_host_concurrency",
    "color",
    "expect",
)
_PROBE_KEYS = ("host", "port", "family", "outcome", "starttls")
_FINDING_KEYS = ("finding", "present")
_COLORS = ("auto", "always", "never")


def user_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "netprobe" / "profiles"


def _builtin_dir() -> resources.abc.Traversable:
    return resources.files("netprobe") / "profiles"


@dataclass(frozen=True)
class ProfileInfo:
    """One line of ``profiles list``."""

    name: str
    origin: str
    description: str
    location: str


def _got(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value, default=str)


class _Reader:
    """Typed reads from one profile file's data, each naming its key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> ProfileError:
        return ProfileError(self.source, where, problem)

    def table(self, value: object, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a table, got {_got(value)}")
        for key in value:
            if key not in keys:
                prefix = f"{where}.{key}" if where else key
                raise self.fail(
                    prefix, f"unknown key; expected one of {', '.join(keys)}"
                )
        return value

    def sequence(
        self, value: object, where: str, item: Callable[[object, str], _T]
    ) -> tuple[_T, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_got(value)}")
        return tuple(item(v, f"{where}[{i}]") for i, v in enumerate(value))

    def string(self, value: object, where: str, what: str = "a string") -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected {what}, got {_got(value)}")
        return value

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_got(value)}")
        return value

    def integer(self, value: object, where: str, low: int, high: int, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected {what}, got {_got(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"expected {what} from {low} to {high}, got {value}")
        return value

    def seconds(self, value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"expected a number of seconds, got {_got(value)}")
        if not 0 < value <= 600:
            raise self.fail(
                where, f"expected seconds above 0 and up to 600, got {value}"
            )
        return float(value)

    def choice(self, value: object, where: str, words: tuple[str, ...]) -> str:
        if value not in words:
            raise self.fail(
                where, f"expected one of {', '.join(words)}, got {_got(value)}"
            )
        return str(value)

    # --- the profile's own kinds of value ------------------------------------

    def port(self, value: object, where: str) -> PortSpec:
        if isinstance(value, dict):
            table = self.table(value, where, ("port", "service"))
            number = self.integer(
                table.get("port"), f"{where}.port", 1, 65535, "a port"
            )
            words = tuple(s.value for s in Service)
            service = self.choice(table.get("service"), f"{where}.service", words)
            return PortSpec(number, Service(service))
        return PortSpec.standard(self.integer(value, where, 1, 65535, "a port number"))

    def mailbox_port(self, value: object, where: str) -> MailboxPort:
        words = tuple(s.value for s in MailboxService)
        if isinstance(value, dict):
            table = self.table(value, where, ("port", "service"))
            number = self.integer(
                table.get("port"), f"{where}.port", 1, 65535, "a port"
            )
            service = self.choice(table.get("service"), f"{where}.service", words)
            return MailboxPort(number, MailboxService(service))
        number = self.integer(value, where, 1, 65535, "a port number")
        standard = MailboxPort.standard(number)
        if standard is None:
            raise self.fail(
                where,
                f"port {number} has no standard receiving service; write "
                f'{{ port = {number}, service = "imaps" }} with one of '
                f"{', '.join(words)}",
            )
        return standard

    def family(self, value: object, where: str) -> Family:
        return Family(self.choice(value, where, tuple(f.value for f in Family)))

    def host(self, value: object, where: str) -> str:
        text = self.string(value, where, "a host name")
        try:
            return parse_domain(text).ascii
        except InvalidDomainError as exc:
            raise self.fail(where, exc.reason) from None

    def expectation(self, value: object, where: str) -> Expectation:
        if isinstance(value, dict) and "finding" in value:
            table = self.table(value, where, _FINDING_KEYS)
            code = self.string(table["finding"], f"{where}.finding", "a finding code")
            if code not in FINDING_CODES:
                raise self.fail(
                    f"{where}.finding",
                    f"expected a finding code ({', '.join(sorted(FINDING_CODES))}), "
                    f"got {_got(code)}",
                )
            present = self.boolean(table.get("present", True), f"{where}.present")
            return FindingExpectation(code, present)
        table = self.table(value, where, _PROBE_KEYS + _FINDING_KEYS[:1])
        if "outcome" not in table:
            raise self.fail(where, "expected an outcome (or a finding) to expect")
        outcome = self.choice(table["outcome"], f"{where}.outcome", OUTCOME_WORDS)
        host = table.get("host")
        port = table.get("port")
        family = table.get("family")
        starttls = table.get("starttls")
        return ProbeExpectation(
            outcome=outcome,
            host=None if host is None else self.host(host, f"{where}.host"),
            port=None
            if port is None
            else self.integer(port, f"{where}.port", 1, 65535, "a port number"),
            family=None if family is None else self.family(family, f"{where}.family"),
            starttls=None
            if starttls is None
            else self.boolean(starttls, f"{where}.starttls"),
        )


def parse_profile(text: str, name: str, source: str, base: Path | None) -> Profile:
    """A profile from TOML text; ``base`` anchors a relative ``cafile``."""
    reader = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise reader.fail("", f"not valid TOML: {exc}") from None
    data = reader.table(data, "", _TOP_KEYS)

    profile = Profile(name=name, source=source)
    changes: dict[str, Any] = {}
    if "description" in data:
        changes["description"] = reader.string(data["description"], "description")
    if "ports" in data:
        changes["ports"] = reader.sequence(data["ports"], "ports", reader.port)
        if not changes["ports"]:
            raise reader.fail("ports", "expected at least one port")
    if "timeouts" in data:
        names = tuple(f.name for f in fields(Timeouts))
        table = reader.table(data["timeouts"], "timeouts", names)
        changes["timeouts"] = replace(
            profile.timeouts,
            **{k: reader.seconds(v, f"timeouts.{k}") for k, v in table.items()},
        )
    if "families" in data:
        families = reader.sequence(data["families"], "families", reader.family)
        if not families:
            raise reader.fail("families", "expected ipv4, ipv6 or both")
        changes["families"] = tuple(dict.fromkeys(families))
    if "references" in data:
        changes["references"] = reader.sequence(
            data["references"], "references", reader.host
        )
    if "cafile" in data:
        cafile = Path(
            reader.string(data["cafile"], "cafile", "a file path")
        ).expanduser()
        if base is not None and not cafile.is_absolute():
            cafile = base / cafile
        changes["cafile"] = str(cafile)
    if "receiving" in data:
        changes["receiving"] = reader.boolean(data["receiving"], "receiving")
    if "receiving_ports" in data:
        changes["receiving_ports"] = reader.sequence(
            data["receiving_ports"], "receiving_ports", reader.mailbox_port
        )
    for key, high in (("concurrency", 1024), ("per_host_concurrency", 64)):
        if key in data:
            changes[key] = reader.integer(data[key], key, 1, high, "a whole number")
    if "color" in data:
        changes["color"] = reader.choice(data["color"], "color", _COLORS)
    if "expect" in data:
        changes["expectations"] = reader.sequence(
            data["expect"], "expect", reader.expectation
        )
    return replace(profile, **changes)


def _is_path(name: str) -> bool:
    return "/" in name or name.endswith(".toml")


def load_profile(name: str) -> Profile:
    """A profile by name (user's, then built-in) or by path."""
    if _is_path(name):
        return _load_file(Path(name))
    mine = user_dir() / f"{name}.toml"
    if _readable_file(mine):
        return _load_file(mine)
    builtin = _builtin_dir() / f"{name}.toml"
    if builtin.is_file():
        return parse_profile(builtin.read_text(encoding="utf-8"), name, name, None)
    known = ", ".join(p.name for p in list_profiles())
    raise ProfileError(
        name,
        "",
        f"no such profile (known: {known}; add your own as {user_dir()}/{name}.toml)",
    )


def _readable_file(path: Path) -> bool:
    """Whether ``path`` is a file, counting an unreadable directory as none.

    A config directory this user may not enter (another user's, after sudo)
    must not stop a check that never asked for it: the built-ins serve.
    """
    try:
        return path.is_file()
    except OSError as exc:
        log.debug("profiles: cannot look in %s: %s", path.parent, exc.strerror)
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError as exc:
        log.debug("profiles: cannot look in %s: %s", path, exc.strerror)
        return False


def _load_file(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(path, "", exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise ProfileError(path, "", "not UTF-8 text") from None
    return parse_profile(text, path.stem, str(path), path.parent)


def profile_text(name: str) -> tuple[str, str]:
    """(where it is, its TOML text) of a profile, after checking it loads."""
    profile = load_profile(name)
    if profile.source is not None and _is_path(profile.source):
        return profile.source, Path(profile.source).read_text(encoding="utf-8")
    builtin = _builtin_dir() / f"{name}.toml"
    return f"built-in {name}", builtin.read_text(encoding="utf-8")


def list_profiles() -> list[ProfileInfo]:
    """Built-in and user profiles by name; a user's replaces a built-in one."""
    found: dict[str, ProfileInfo] = {}
    for entry in sorted(_builtin_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            name = entry.name.removesuffix(".toml")
            found[name] = ProfileInfo(name, "built-in", "", f"built-in {name}")
    directory = user_dir()
    if _is_dir(directory):
        for path in sorted(directory.glob("*.toml")):
            found[path.stem] = ProfileInfo(path.stem, "user", "", str(path))
    listed = []
    for name, info in sorted(found.items()):
        try:
            description = load_profile(name).description
        except ProfileError as exc:
            description = f"(broken: {exc.problem})"
        listed.append(replace(info, description=description))
    return listed
