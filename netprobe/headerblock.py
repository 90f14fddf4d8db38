"""A message's header section, read with the stdlib ``email`` package.

Only the header block matters for the path of a message, so the body is never
parsed. Each field is kept twice: ``raw`` is the source text unfolded
(RFC 5322 section 2.2.3) and decoded from bytes as UTF-8 (RFC 6532 allows it
in headers; invalid bytes become U+FFFD), which is what a ``Received:`` line
must be read from; ``value`` is the display form with RFC 2047 encoded words
decoded, for Subject, From and the like.
"""

from __future__ import annotations

import email.errors
import logging
import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from netprobe.errors import UsageError

logger = logging.getLogger(__name__)

__all__ = ["HeaderBlock", "HeaderField", "NotAMessageError", "read_header_block"]


class NotAMessageError(UsageError):
    """The input has no header fields, so it is not an e-mail message."""


@dataclass(frozen=True)
class HeaderField:
    name: str
    value: str
    raw: str


@dataclass(frozen=True)
class HeaderBlock:
    """The header fields of one message, in the order they appear."""

    fields: tuple[HeaderField, ...]
    defects: tuple[str, ...] = ()

    def get_all(self, name: str) -> tuple[HeaderField, ...]:
        wanted = name.lower()
        return tuple(f for f in self.fields if f.name.lower() == wanted)

    def first(self, name: str) -> str | None:
        found = self.get_all(name)
        return found[0].value if found else None

    def first_raw(self, name: str) -> str | None:
        found = self.get_all(name)
        return found[0].raw.strip() if found else None

    @property
    def received(self) -> tuple[str, ...]:
        """Received values, newest first (the order in the message)."""
        return tuple(f.raw for f in self.get_all("Received"))


_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")


def _unfold(raw: str) -> str:
    text = raw.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    return _FOLD.sub("", text).rstrip("\r\n")


def read_header_block(data: bytes) -> HeaderBlock:
    """Read the header section of ``data`` (a whole message or headers only).

    An mbox ``From `` line in front is skipped, as the ``email`` package does.
    Raises :class:`NotAMessageError` when no header field can be found.
    """
    message = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
    defects = [type(d).__name__ for d in message.defects]
    fields: list[HeaderField] = []
    for name, raw in message.raw_items():
        unfolded = _unfold(str(raw))
        value, problem = _display_value(name, unfolded)
        if problem is not None:
            defects.append(f"{name}: {problem}")
        fields.append(HeaderField(name=name, value=value, raw=unfolded))
    if not fields:
        raise NotAMessageError("no header fields found")
    logger.debug("headerblock.read fields=%d defects=%d", len(fields), len(defects))
    return HeaderBlock(fields=tuple(fields), defects=tuple(defects))


def _display_value(name: str, unfolded: str) -> tuple[str, str | None]:
    """Decode RFC 2047 words for display; fall back to the raw text."""
    try:
        header = policy.default.header_factory(name, unfolded)
    except (ValueError, IndexError, TypeError, email.errors.HeaderParseError) as exc:
        # The stdlib header parser still has corner cases that raise on
        # malformed input; the raw text is the honest fallback.
        return unfolded.strip(), f"not decoded ({type(exc).__name__})"
    return str(header).strip(), None
