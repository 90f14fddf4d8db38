"""Redaction: a report a user can send to a support desk without giving
away who and where they are.

Pure: a document and what this machine calls itself go in, a copy comes out
with stable placeholders (the same value gets the same placeholder
throughout one report: ``addr-1``, ``host-1``, ``user-1``). What is replaced,
in every string of the document:

- every IP address that the target's DNS did not give (the addresses of the
  MX, submission, incoming and reference hosts stay, because the desk needs
  them): this machine's own addresses (``evidence.local_address``), the
  address a server echoes back in its greeting or EHLO reply (behind NAT,
  the network's public address), the DNS resolver's address;
- this machine's host names (short and fully qualified), unless the target
  itself uses the same name;
- the home directory, which becomes ``~``, and the user name wherever it is
  a component of a path (a ``cafile`` or profile path).

Kept: the target domain, its host names and addresses, greetings and
certificates (with the replacements above applied inside them), timings.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# An IPv4 address not inside a longer dotted or alphanumeric token; a
# sentence's closing period may follow.
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)")
# An IPv6 candidate, validated afterwards; "[IPv6:...]" is RFC 5321's literal.
_IPV6 = re.compile(r"(?:(?<=IPv6:)|(?<![\w:.]))[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?![\w:])")
# Never rewritten: they identify the report, not the user.
_KEEP_KEYS = frozenset({"schema_version", "kind", "tool", "started", "redacted"})


@dataclass(frozen=True)
class LocalIdentity:
    """What this machine and user call themselves (gathered by the CLI)."""

    hostnames: tuple[str, ...] = ()
    user: str | None = None
    home: str | None = None


def _canonical(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _target_addresses(document: dict[str, Any]) -> set[str]:
    lists: list[Iterable[str]] = [m["addresses"] for m in document["mx"]]
    for key in ("submission_hosts", "references", "mailbox_hosts"):
        lists += [h["addresses"] for h in document.get(key, [])]
    lists.append(p["address"] for p in document["probes"])
    lists.append(p["address"] for p in document.get("mailbox_probes", []))
    return {c for addresses in lists for a in addresses if (c := _canonical(a))}


def _target_names(document: dict[str, Any]) -> set[str]:
    names = {document["target"].lower()}
    names |= {m["exchange"].lower() for m in document["mx"]}
    for key in ("submission_hosts", "references", "mailbox_hosts"):
        names |= {h["host"].lower() for h in document.get(key, [])}
    return names


class _Placeholders:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    def get(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._seen:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._seen[key] = f"{kind}-{self._counts[kind]}"
        return self._seen[key]


def redact(document: dict[str, Any], identity: LocalIdentity) -> dict[str, Any]:
    keep_addresses = _target_addresses(document)
    target_names = _target_names(document)
    placeholders = _Placeholders()

    hostnames = sorted(
        {h.lower() for h in identity.hostnames if h} - target_names,
        key=len,
        reverse=True,
    )
    host_patterns = [
        (h, re.compile(rf"(?<![\w.-]){re.escape(h)}(?![\w-]|\.\w)", re.IGNORECASE))
        for h in hostnames
    ]

    def address(match: re.Match[str]) -> str:
        text = match.group()
        trailing = "." if text.endswith(".") and not text.endswith("..") else ""
        candidate = text[: -len(trailing)] if trailing else text
        canonical = _canonical(candidate)
        if canonical is None or canonical in keep_addresses:
            return text
        return placeholders.get("addr", canonical) + trailing

    def path(text: str) -> str:
        home, user = identity.home, identity.user
        if home and home != "/" and (text == home or text.startswith(home + "/")):
            text = "~" + text[len(home) :]
        if user and "/" in text:
            parts = text.split("/")
            text = "/".join(
                placeholders.get("user", user) if part == user else part
                for part in parts
            )
        return text

    def scrub(text: str) -> str:
        text = _IPV4.sub(address, text)
        text = _IPV6.sub(address, text)
        for name, pattern in host_patterns:
            if pattern.search(text):
                text = pattern.sub(placeholders.get("host", name), text)
        return path(text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {k: v if k in _KEEP_KEYS else walk(v) for k, v in value.items()}
        return value

    redacted: dict[str, Any] = walk(copy.deepcopy(document))
    redacted["redacted"] = True
    return redacted
