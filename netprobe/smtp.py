"""SMTP replies and EHLO keywords, parsed from bytes with no I/O.

The probe feeds whatever bytes arrive into a :class:`ReplyReader`; the reader
hands back whole replies and refuses input that no honest server sends. The
limits come from RFC 5321 section 4.5.3.1: a reply line is at most 512 octets
including CRLF. A server that sends longer lines, endless continuation lines
or bytes that are not a reply at all is told apart from a slow one here, so
that the probe can stop reading and say what it saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# RFC 5321 4.5.3.1.5: 512 octets per reply line, CRLF included. Some servers
# exceed it slightly in EHLO keyword lists; allow a margin before calling the
# peer hostile, since the goal is a diagnosis, not conformance testing.
MAX_LINE_OCTETS = 1000
# EHLO replies of real servers carry 5-20 lines; 100 leaves room for odd ones
# while keeping a server that streams continuation lines from growing memory.
MAX_REPLY_LINES = 100

_REPLY_LINE = re.compile(rb"^([2-5][0-9][0-9])([ -])(.*)$")
# What the start of a reply line can be before its LF has arrived: a prefix
# of a code, then a separator and text, or only the CR of a bare "220".
# Anything else will never become a reply, however long one waits.
_REPLY_START = re.compile(rb"(?:[2-5](?:[0-9](?:[0-9](?:[ -].*|\r*))?)?)?", re.DOTALL)


class ReplyError(ValueError):
    """The bytes received are not an SMTP reply; ``reason`` says why."""

    def __init__(self, reason: str, sample: bytes) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sample = sample[:80]


@dataclass(frozen=True)
class Reply:
    """One complete SMTP reply: a three-digit code and its text lines."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " / ".join(self.lines)

    @property
    def positive(self) -> bool:
        return 200 <= self.code < 400

    def first_word(self) -> str | None:
        """The first word of the first line: the host name in a greeting.

        RFC 5321 4.2: ``220 <domain> <text>``. The domain is what the server
        calls itself, the clue that tells which machine really answered.
        """
        words = self.lines[0].split() if self.lines else []
        return words[0].rstrip(",").lower() if words else None


class ReplyReader:
    """Accumulates bytes and yields complete replies.

    ``feed`` returns the replies completed by the new bytes; bytes after the
    last complete reply stay buffered. Lines may end in CRLF or a bare LF
    (some servers send the latter; it is not worth failing a probe over).
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._code: bytes | None = None
        self._lines: list[str] = []

    @property
    def pending(self) -> bool:
        """True while a reply has started but not finished."""
        return bool(self._buffer) or self._code is not None

    def feed(self, data: bytes) -> list[Reply]:
        self._buffer += data
        replies: list[Reply] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                # The CR of a CRLF may arrive before its LF; it is not part
                # of the line, so where the bytes were split cannot decide
                # whether a line fits.
                if len(self._buffer.removesuffix(b"\r")) > MAX_LINE_OCTETS:
                    raise ReplyError("line too long", self._buffer)
                if not _REPLY_START.fullmatch(self._buffer):
                    raise ReplyError("not an SMTP reply line", self._buffer)
                return replies
            line = self._buffer[:end].rstrip(b"\r")
            self._buffer = self._buffer[end + 1 :]
            if len(line) > MAX_LINE_OCTETS:
                raise ReplyError("line too long", line)
            reply = self._take_line(line)
            if reply is not None:
                replies.append(reply)

    def _take_line(self, line: bytes) -> Reply | None:
        match = _REPLY_LINE.match(line)
        # RFC 5321 4.2: a reply of "220" with no text is legal.
        if match is None and re.fullmatch(rb"[2-5][0-9][0-9]", line):
            match = _REPLY_LINE.match(line + b" ")
        if match is None:
            raise ReplyError("not an SMTP reply line", line)
        code, separator, text = match.groups()
        if self._code is not None and code != self._code:
            raise ReplyError("reply code changed inside a reply", line)
        self._code = code
        self._lines.append(text.decode("utf-8", "replace"))
        if len(self._lines) > MAX_REPLY_LINES:
            raise ReplyError("too many reply lines", line)
        if separator == b"-":
            return None
        reply = Reply(int(code), tuple(self._lines))
        self._code = None
        self._lines = []
        return reply


def parse_replies(data: bytes) -> list[Reply]:
    """Parse every complete reply in ``data``; for fixtures and tests."""
    return ReplyReader().feed(data)


@dataclass(frozen=True)
class Extensions:
    """The service extensions an EHLO reply advertises (RFC 5321 4.1.1.1).

    Keywords are upper-cased; parameters keep their order. ``AUTH`` lists
    SASL mechanisms (RFC 4954); some older servers also send ``AUTH=LOGIN``,
    which is folded into the same keyword.
    """

    keywords: dict[str, tuple[str, ...]]

    @classmethod
    def from_reply(cls, reply: Reply) -> Extensions:
        keywords: dict[str, tuple[str, ...]] = {}
        # The first line is the server's name and greeting, not a keyword.
        for line in reply.lines[1:]:
            words = line.split()
            if not words:
                continue
            # Only an "=" in the keyword itself is the legacy separator; in
            # a parameter it is data (RFC 9422 LIMITS: RCPTMAX=100).
            keyword, _, first = words[0].partition("=")
            keyword = keyword.upper()
            rest = [first, *words[1:]] if first else words[1:]
            params = tuple(w.upper() if keyword == "AUTH" else w for w in rest)
            keywords[keyword] = keywords.get(keyword, ()) + params
        return cls(keywords)

    @property
    def starttls(self) -> bool:
        return "STARTTLS" in self.keywords

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.keywords.get("AUTH", ())))

    def names(self) -> list[str]:
        return sorted(self.keywords)


def masked_starttls(reply: Reply) -> bool:
    """True when an EHLO line looks like STARTTLS overwritten by a middlebox.

    Some firewalls (Cisco PIX/ASA "fixup smtp" is the known one) replace the
    keyword with ``X``s or asterisks of the same length, so the client never
    upgrades; the ASA's ESMTP inspection writes ``XXXXXXXA``. A line of eight
    such characters is that, not a real extension.
    """
    for line in reply.lines[1:]:
        word = line.strip().split(" ", 1)[0].upper()
        if len(word) == len("STARTTLS") and (
            set(word) <= {"X", "*"} or word == "XXXXXXXA"
        ):
            return True
    return False
