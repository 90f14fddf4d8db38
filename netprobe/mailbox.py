"""The receiving side's protocols, sans-IO: IMAP and POP3 greetings,
capabilities and status lines, parsed from bytes.

Only what a probe that never logs in needs: the greeting (RFC 9051 7.1.1
``* OK``/``* PREAUTH``/``* BYE``; RFC 1939 ``+OK``/``-ERR``), the
capability list (IMAP ``CAPABILITY``, RFC 9051 6.1.1, also sent as a
response code in the greeting; POP3 ``CAPA``, RFC 2449), and the reply to
STARTTLS / STLS (RFC 2595). Reads are bounded as in ``smtp``: a server that
sends endless lines or bytes that are not the protocol is told apart from a
slow one, and the probe says what it saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# RFC 9051 does not cap line length (literals aside); real greetings and
# capability lists stay well under 1000 octets. 8 KiB leaves room for the
# longest capability lists seen (Dovecot's, about 400 octets) many times over.
MAX_LINE_OCTETS = 8192
# POP3 CAPA answers with one capability per line: 10-20 in practice.
MAX_LINES = 100

_IMAP_STATUS = ("OK", "NO", "BAD", "BYE", "PREAUTH")
_IMAP_TAG = re.compile(r"^([A-Za-z0-9.]+|\*|\+)(?: (.*))?$")


class ProtocolError(ValueError):
    """The bytes received are not the protocol expected; ``reason`` says why."""

    def __init__(self, reason: str, sample: bytes | str) -> None:
        super().__init__(reason)
        self.reason = reason
        raw = sample.encode("utf-8", "replace") if isinstance(sample, str) else sample
        self.sample = raw[:80]


class LineReader:
    """Accumulates bytes and yields complete lines, without their CRLF.

    A bare LF also ends a line; bytes after the last line end stay buffered.
    """

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        lines = []
        while (end := self._buffer.find(b"\n")) >= 0:
            line = self._buffer[:end].rstrip(b"\r")
            self._buffer = self._buffer[end + 1 :]
            if len(line) > MAX_LINE_OCTETS:
                raise ProtocolError("line too long", line)
            lines.append(line.decode("utf-8", "replace"))
        if len(self._buffer) > MAX_LINE_OCTETS:
            raise ProtocolError("line too long", self._buffer)
        return lines


# --- IMAP --------------------------------------------------------------------


@dataclass(frozen=True)
class ImapResponse:
    """One IMAP response line.

    ``tag`` is ``*`` for untagged responses, ``+`` for a continuation, else
    the command's tag. ``status`` is OK/NO/BAD/BYE/PREAUTH for status
    responses, ``None`` for data such as ``* CAPABILITY ...``; ``code`` is
    the bracketed response code (``CAPABILITY IMAP4rev1 STARTTLS``).
    """

    tag: str
    status: str | None
    code: str | None
    text: str

    def capabilities(self) -> tuple[str, ...] | None:
        """The capabilities this line announces, if it announces any."""
        if self.code and self.code.upper().startswith("CAPABILITY "):
            return _atoms(self.code[len("CAPABILITY ") :])
        if self.status is None and self.text.upper().startswith("CAPABILITY"):
            return _atoms(self.text[len("CAPABILITY") :])
        return None


def _atoms(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(word.upper() for word in text.split()))


def parse_imap(line: str) -> ImapResponse:
    match = _IMAP_TAG.match(line)
    if match is None:
        raise ProtocolError("not an IMAP response", line)
    tag, rest = match.group(1), match.group(2) or ""
    word, _, after = rest.partition(" ")
    status = word.upper() if word.upper() in _IMAP_STATUS else None
    if tag not in ("*", "+") and status is None:
        # A tagged line must carry a status (RFC 9051 7.1); anything else,
        # e.g. "220 smtp.example ESMTP", is another protocol.
        raise ProtocolError("not an IMAP response", line)
    text = after if status else rest
    code = None
    if status and text.startswith("["):
        inside, bracket, tail = text[1:].partition("]")
        if bracket:
            code, text = inside, tail.strip()
    return ImapResponse(tag, status, code, text)


def parse_imap_greeting(line: str) -> ImapResponse:
    """RFC 9051 7.1: the greeting is an untagged OK, PREAUTH or BYE."""
    response = parse_imap(line)
    if response.tag != "*" or response.status not in ("OK", "PREAUTH", "BYE"):
        raise ProtocolError("not an IMAP greeting", line)
    return response


# --- POP3 --------------------------------------------------------------------


@dataclass(frozen=True)
class Pop3Status:
    """A POP3 status line: ``+OK text`` or ``-ERR text`` (RFC 1939 3)."""

    ok: bool
    text: str


def parse_pop3(line: str) -> Pop3Status:
    word, _, text = line.partition(" ")
    if word.upper() == "+OK":
        return Pop3Status(True, text)
    if word.upper() == "-ERR":
        return Pop3Status(False, text)
    raise ProtocolError("not a POP3 status line", line)


class Pop3MultiLine:
    """Collects a multi-line POP3 response body until its "." line.

    RFC 1939 3: lines starting with "." are byte-stuffed; the terminator is
    a line of a single ".". ``feed`` returns the body once complete.
    """

    def __init__(self) -> None:
        self._lines: list[str] = []

    def feed(self, line: str) -> list[str] | None:
        if line == ".":
            return self._lines
        self._lines.append(line[1:] if line.startswith("..") else line)
        if len(self._lines) > MAX_LINES:
            raise ProtocolError("too many lines in a multi-line response", line)
        return None


def pop3_capabilities(body: list[str]) -> tuple[str, ...]:
    """CAPA's body as capability names, upper-cased (``STLS``, ``SASL``, ...).

    The first word of each line is the capability; ``SASL PLAIN LOGIN``
    keeps its mechanisms as ``SASL=PLAIN`` words, as IMAP writes ``AUTH=``.
    """
    found: list[str] = []
    for line in body:
        words = line.upper().split()
        if not words:
            continue
        found.append(words[0])
        if words[0] == "SASL":
            found += [f"SASL={m}" for m in words[1:]]
    return tuple(dict.fromkeys(found))
