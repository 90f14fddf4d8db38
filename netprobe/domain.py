"""Turning what the user typed into a domain name DNS can be asked about.

Internationalised names are accepted in either form (RFC 5890): the Unicode
form is kept for display, the A-label (``xn--``) form is what is queried.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from netprobe.errors import InvalidDomainError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# RFC 1035 2.3.4: 255 octets on the wire, which is 253 characters in text.
_MAX_NAME = 253


@dataclass(frozen=True)
class DomainName:
    ascii: str
    display: str


def parse_domain(text: str) -> DomainName:
    """Validate ``text`` as a mail domain; raise ``InvalidDomainError``."""
    name = text.strip()
    # One trailing dot is the root (an absolute name); two are an empty label.
    name = name.removesuffix(".")
    if not name:
        raise InvalidDomainError(text, "it is empty")
    if "@" in name:
        raise InvalidDomainError(text, "give the domain, not an address")
    if _is_address(name):
        raise InvalidDomainError(text, "an IP address is not a mail domain")
    try:
        # UTS 46 mapping as browsers and MUAs do: case folding, full-width
        # dots. The stdlib "idna" codec is IDNA 2003 and would accept names
        # that registries no longer issue, but it needs no extra dependency.
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise InvalidDomainError(text, f"IDNA conversion failed ({exc})") from None
    if len(ascii_name) > _MAX_NAME:
        raise InvalidDomainError(text, f"longer than {_MAX_NAME} characters")
    labels = ascii_name.split(".")
    if "" in labels:
        raise InvalidDomainError(text, "it has an empty label (two dots in a row)")
    if len(labels) < 2:
        raise InvalidDomainError(text, "it needs at least two labels, e.g. example.com")
    for label in labels:
        if not _LABEL.match(label):
            raise InvalidDomainError(text, f"label {label!r} is not a valid host label")
    if labels[-1].isdigit():
        raise InvalidDomainError(text, "the top-level label is all digits")
    try:
        display = ascii_name.encode("ascii").decode("idna")
    except UnicodeError:
        display = ascii_name
    return DomainName(ascii_name, display)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True
