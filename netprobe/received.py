"""One ``Received:`` header value, read into a :class:`ReceivedLine`.

RFC 5321 section 4.4 gives the grammar of a time-stamp line::

    Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
    Opt-info = [Via] [With] [ID] [For] [Additional-Registered-Clauses]

Real MTAs honour it loosely: keywords come in other orders or in upper case,
TCP-info comments carry whatever each MTA fancies (``helo=``, ``HELO x``,
``Authenticated sender:``, TLS details), some omit the ``;`` or put text after
the date, and local programs write stamps with no ``from`` at all. So the
line is first cut into tokens (atoms, quoted strings, nested comments, domain
literals, angle addresses), then into keyword clauses at the top level only,
so that a keyword inside a comment (``with cipher``, ``from userid``) or
inside an atom (an id ending in ``-by``, a ``.id`` domain) is never taken for
a clause. Each clause is then read by the rules of the MTAs known to write it.

Nothing here raises on bad input: a line that cannot be read comes back as
:attr:`LineKind.UNPARSED` with its raw text and the reasons in ``problems``.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

logger = logging.getLogger(__name__)

__all__ = [
    "LineKind",
    "ReceivedLine",
    "StampDate",
    "Token",
    "TokenKind",
    "normalize_address",
    "parse_date",
    "parse_received",
    "tokenize",
]


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


class TokenKind(enum.Enum):
    ATOM = "atom"
    QUOTED = "quoted"
    COMMENT = "comment"
    LITERAL = "literal"
    ANGLE = "angle"
    SEMI = "semi"
    COMMA = "comma"


@dataclass(frozen=True)
class Token:
    """One lexical item; ``text`` is the inside of a comment, literal or angle."""

    kind: TokenKind
    text: str
    start: int
    end: int
    closed: bool = True


_OPENERS = {"(": (")", TokenKind.COMMENT), "[": ("]", TokenKind.LITERAL)}
_OPENERS["<"] = (">", TokenKind.ANGLE)
_SPECIALS = frozenset('()[]<>";,')


def tokenize(text: str) -> list[Token]:
    """Cut ``text`` into tokens in one linear pass.

    Comments, domain literals and angle addresses nest (``[[UNIX: localhost]]``,
    ``<<a@b>>``, ``(x (y))``); a quoted string honours backslash escapes
    (RFC 5322 section 3.2.4). An unterminated item runs to the end of the text
    and is marked ``closed=False`` rather than raising.
    """
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _OPENERS:
            closer, kind = _OPENERS[ch]
            j, closed = _scan_nested(text, i, ch, closer)
            inner_end = j - 1 if closed else j
            tokens.append(Token(kind, text[i + 1 : inner_end], i, j, closed))
            i = j
        elif ch == '"':
            j, value, closed = _scan_quoted(text, i)
            tokens.append(Token(TokenKind.QUOTED, value, i, j, closed))
            i = j
        elif ch == ";":
            tokens.append(Token(TokenKind.SEMI, ";", i, i + 1))
            i += 1
        elif ch == ",":
            tokens.append(Token(TokenKind.COMMA, ",", i, i + 1))
            i += 1
        elif ch in ")]>":
            # A stray closer is kept as a one-character atom so that nothing
            # of the line silently disappears.
            tokens.append(Token(TokenKind.ATOM, ch, i, i + 1))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIALS:
                j += 1
            tokens.append(Token(TokenKind.ATOM, text[i:j], i, j))
            i = j
    return tokens


def _scan_nested(text: str, start: int, opener: str, closer: str) -> tuple[int, bool]:
    """Return the index after the matching closer, and whether it was found."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and opener == "(":
            # RFC 5322 quoted-pair inside a comment.
            i += 2
            continue
        if ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return i + 1, True
        i += 1
    return n, False


def _scan_quoted(text: str, start: int) -> tuple[int, str, bool]:
    out: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        elif ch == '"':
            return i + 1, "".join(out), True
        else:
            out.append(ch)
            i += 1
    return n, "".join(out), False


def _mask_comments(text: str, tokens: list[Token]) -> str:
    """Blank out comments so that searches cannot match text inside them."""
    chars = list(text)
    for tok in tokens:
        if tok.kind is TokenKind.COMMENT:
            for k in range(tok.start, tok.end):
                chars[k] = " "
    return "".join(chars)


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_MONTH_NAMES: tuple[str, ...] = ("jan", "feb", "mar", "apr", "may", "jun")
_MONTH_NAMES += ("jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}

# RFC 5322 section 4.3 obs-zone: the only alphabetic zones with a defined
# offset. Any other name (CET, JST, MEST, ...) is ambiguous, so it is treated
# as "zone unknown", which is what the RFC asks for ("-0000").
_NAMED_ZONES = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
}

_MON = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_WDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_TIME = r"(?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:\.\d{1,9})?)?"
_ZONE = r"(?P<zone>[+-]\d{4}|[A-Za-z]{1,5}\b)"

# RFC 5322 date-time, with the obsolete forms real stamps still use: two-digit
# years, missing seconds, fractional seconds (SendGrid), named zones.
_RFC_DATE = re.compile(
    rf"(?<![\w.])(?:{_WDAY}\s*,?\s*)?(?P<day>\d{{1,2}})\s+{_MON}\s+"
    rf"(?P<year>\d{{4}}|\d{{2}})\s+{_TIME}(?:\s*{_ZONE})?",
    re.IGNORECASE,
)
# C asctime() as written by some MTAs: "Fri Feb 07 10:18:12 2003 -0800",
# "Fri Sep 14 14:36:56 EDT 2018", "Sun Nov 13 14:50:12 2005".
_ASCTIME = re.compile(
    rf"(?<![\w.]){_WDAY}\s+{_MON}\s+(?P<day>\d{{1,2}})\s+{_TIME}\s+"
    rf"(?:(?P<zone1>[A-Za-z]{{1,5}})\s+)?(?P<year>\d{{4}})"
    rf"(?:\s+(?P<zone>[+-]\d{{4}}))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StampDate:
    """A date read from a stamp.

    ``when`` is timezone-aware when the zone is known and naive when it is
    not: a date without a zone is never silently taken as UTC.
    """

    when: datetime
    zone_known: bool
    text: str
    start: int
    end: int


def parse_date(text: str) -> StampDate | None:
    """Find and read the last date-time in ``text``.

    ``email.utils.parsedate_tz`` does not fit here: it reports ``-0000`` and a
    missing zone alike (both as ``None``), although RFC 5322 section 3.3
    makes ``-0000`` a UTC instant with no local zone, and it knows neither the
    asctime form nor fractional seconds seen in real stamps.
    """
    best: re.Match[str] | None = None
    for pattern in (_RFC_DATE, _ASCTIME):
        for match in pattern.finditer(text):
            if best is None or match.start() > best.start():
                best = match
    if best is None:
        return None
    return _stamp_from_match(best)


def _stamp_from_match(match: re.Match[str]) -> StampDate | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if len(groups["year"]) == 2:
        # RFC 5322 section 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999.
        year += 2000 if year < 50 else 1900
    zone_text = groups.get("zone") or groups.get("zone1")
    try:
        naive = datetime(
            year,
            _MONTHS[groups["mon"][:3].lower()],
            int(groups["day"]),
            int(groups["hh"]),
            int(groups["mi"]),
            int(groups["ss"] or 0),
        )
    except ValueError:
        return None
    offset = _zone_offset(zone_text)
    if offset is None:
        return StampDate(naive, False, match.group(0), match.start(), match.end())
    aware = naive.replace(tzinfo=timezone(offset))
    return StampDate(aware, True, match.group(0), match.start(), match.end())


def _zone_offset(zone: str | None) -> timedelta | None:
    if not zone:
        return None
    if zone[0] in "+-":
        hours, minutes = int(zone[1:3]), int(zone[3:5])
        if hours > 23 or minutes > 59:
            return None
        sign = -1 if zone[0] == "-" else 1
        # "-0000" is a UTC instant (RFC 5322 section 3.3); the offset is 0.
        return sign * timedelta(hours=hours, minutes=minutes)
    hours_named = _NAMED_ZONES.get(zone.upper())
    if hours_named is None:
        return None
    return timedelta(hours=hours_named)


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------

_V4_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5})|\.(\d{1,5}))?$")


def normalize_address(
    text: str, *, dotted_port: bool = False
) -> tuple[str | None, int | None]:
    """Read an IP address as MTAs write it; return (address, port).

    Accepts ``1.2.3.4``, ``1.2.3.4:25``, ``IPv6:2001:db8::1`` (RFC 5321
    section 4.1.3), ``fe80::1%6`` (zone index), and ``1.2.3.4.25`` when
    ``dotted_port`` is set (Exim 3 wrote the port after a dot inside the
    brackets; outside them that form is a version number). IPv4-mapped IPv6
    becomes the IPv4 address so that it can be classified and compared.
    """
    value = text.strip().strip("()").strip()
    if value[:5].lower() == "ipv6:":
        value = value[5:]
    port: int | None = None
    v4 = _V4_PORT.match(value)
    if v4 and v4.group(3) and not dotted_port:
        return None, None
    if v4:
        value = v4.group(1)
        port_text = v4.group(2) or v4.group(3)
        port = int(port_text) if port_text else None
    elif value.startswith("[") and "]:" in value:
        value, _, port_text = value[1:].partition("]:")
        port = int(port_text) if port_text.isdigit() else None
    value = value.split("%", 1)[0]
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return None, None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped), port
    return str(addr), port


# ---------------------------------------------------------------------------
# The parsed line
# ---------------------------------------------------------------------------


class LineKind(enum.StrEnum):
    """What a Received line records."""

    # A transfer: a host (``from``) handed the message to ``by``.
    RELAY = "relay"
    # A stamp with no sending host: a local submission, a pickup, a content
    # scanner or list manager re-queueing, qmail's "invoked" notes.
    NOTE = "note"
    # Nothing could be made of it; shown raw, never dropped.
    UNPARSED = "unparsed"


@dataclass(frozen=True)
class ReceivedLine:
    """One ``Received:`` header value, read.

    ``from_name`` is the word after ``from`` as written; ``from_helo`` is the
    name the client gave in HELO/EHLO/LHLO, ``from_rdns`` the reverse name the
    receiver looked up, ``from_addr`` the address the receiver saw. Any of
    them is ``None`` when the stamp does not say.
    """

    raw: str
    kind: LineKind
    from_name: str | None = None
    from_helo: str | None = None
    helo_command: str | None = None
    from_rdns: str | None = None
    from_addr: str | None = None
    from_port: int | None = None
    from_ident: str | None = None
    by: str | None = None
    by_addr: str | None = None
    by_software: str | None = None
    via: str | None = None
    with_raw: str | None = None
    protocol: str | None = None
    tls: bool = False
    tls_version: str | None = None
    tls_cipher: str | None = None
    authenticated: bool = False
    auth_evidence: str | None = None
    auth_user: str | None = None
    queue_id: str | None = None
    recipient: str | None = None
    envelope_from: str | None = None
    date: datetime | None = None
    zone_known: bool = False
    date_text: str | None = None
    retrieval: bool = False
    local_socket: bool = False
    note: str | None = None
    comments: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def understood(self) -> bool:
        return self.kind is not LineKind.UNPARSED


# ---------------------------------------------------------------------------
# Clause splitting
# ---------------------------------------------------------------------------

_KEYWORDS = frozenset({"from", "by", "via", "with", "id", "for"})

_QMAIL_NOTE = re.compile(
    r"^qmail\s+(?P<pid>\d+)\s+(?:messnum\s+\d+\s+)?invoked\s+"
    r"(?P<how>by\s+uid\s+\d+|by\s+alias|from\s+network|for\s+bounce)"
    r"(?:\s*\[(?P<net>[^\]]*)\])?",
    re.IGNORECASE,
)
_OFMIPD_NOTE = re.compile(r"^ofmipd\s+(?P<addr>\S+)$", re.IGNORECASE)


def _qmail_note(pid: str, how: str) -> str:
    # qmail-queue's own stamp says which program called it (qmail FAQ 5.x).
    words = " ".join(how.lower().split())
    if words.startswith("by uid"):
        return f"local submission through qmail-inject ({words[3:]}, qmail {pid})"
    if words == "from network":
        return f"qmail-smtpd accepted it from the network (qmail {pid})"
    if words == "by alias":
        return f"qmail forwarded it for an alias (qmail {pid})"
    return f"qmail generated a bounce (qmail {pid})"


@dataclass
class _Clauses:
    """Top-level clauses in the order met; repeated keywords are kept apart."""

    first: dict[str, list[Token]] = field(default_factory=dict)
    repeated: list[tuple[str, list[Token]]] = field(default_factory=list)
    before: list[Token] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _split_clauses(tokens: list[Token]) -> _Clauses:
    clauses = _Clauses()
    current: list[Token] | None = None
    for tok in tokens:
        if tok.kind is TokenKind.COMMENT:
            clauses.comments.append(tok.text)
        word = tok.text.lower() if tok.kind is TokenKind.ATOM else ""
        if word in _KEYWORDS:
            current = []
            if word in clauses.first:
                clauses.repeated.append((word, current))
            else:
                clauses.first[word] = current
        elif current is None:
            clauses.before.append(tok)
        else:
            current.append(tok)
    return clauses


# ---------------------------------------------------------------------------
# Protocols, TLS, authentication
# ---------------------------------------------------------------------------

# RFC 3848 and RFC 6531 protocol names, plus what MTAs write in their place.
_PROTOCOLS = {
    "smtp": "SMTP",
    "esmtp": "ESMTP",
    "esmtpa": "ESMTPA",
    "esmtps": "ESMTPS",
    "esmtpsa": "ESMTPSA",
    "smtps": "SMTPS",
    "lmtp": "LMTP",
    "lmtpa": "LMTPA",
    "lmtps": "LMTPS",
    "lmtpsa": "LMTPSA",
    "utf8smtp": "UTF8SMTP",
    "utf8smtpa": "UTF8SMTPA",
    "utf8smtps": "UTF8SMTPS",
    "utf8smtpsa": "UTF8SMTPSA",
    "utf8lmtp": "UTF8LMTP",
    "utf8lmtps": "UTF8LMTPS",
    "http": "HTTP",
    "https": "HTTPS",
    "httpu": "HTTP",
    "httprest": "HTTP",
    "imap": "IMAP",
    "pop3": "POP3",
    "qmqp": "QMQP",
    "mapi": "MAPI",
    "local": "local",
    # Exim's names for what it accepted from a local process or over
    # batched SMTP (spec.txt, "received_protocol").
    "local-smtp": "SMTP",
    "local-esmtp": "ESMTP",
    "local-esmtps": "ESMTPS",
    "local-esmtpa": "ESMTPA",
    "local-esmtpsa": "ESMTPSA",
    "local-bsmtp": "SMTP",
    "bsmtp": "SMTP",
    # Exim configurations that name authenticated SMTP "asmtp".
    "asmtp": "ESMTPA",
    # CommuniGate Pro writes STARTTLS sessions as ESMTP-TLS.
    "esmtp-tls": "ESMTPS",
    "smtp-tls": "SMTPS",
}
_AUTH_PROTOCOLS = frozenset(
    {"ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "UTF8SMTPA", "UTF8SMTPSA"}
)
_TLS_PROTOCOLS = frozenset(
    {"ESMTPS", "ESMTPSA", "SMTPS", "LMTPS", "LMTPSA", "UTF8SMTPS", "UTF8SMTPSA"}
    | {"UTF8LMTPS", "HTTPS"}
)
_SESSION_PROTOCOLS = {
    "HTTP": "webmail or HTTP API session",
    "HTTPS": "webmail or HTTP API session",
    "MAPI": "MAPI session (Outlook client on Exchange)",
}


def _normalize_protocol(with_raw: str) -> str | None:
    words = with_raw.replace("/", " ").split()
    if not words:
        return None
    first = words[0].lower()
    if first in _PROTOCOLS:
        return _PROTOCOLS[first]
    # "Microsoft SMTPSVC(6.0...)", "MailEnable ESMTP", "[XMail 1.20 ESMTP
    # Server]", "IBM ESMTP SMTP Gateway: ...": the first protocol word wins.
    for word in words[1:]:
        key = word.lower().split("(", 1)[0].strip(":!,")
        if key.startswith("smtpsvc"):
            return "SMTP"
        if key in _PROTOCOLS and key not in {"local", "http", "https"}:
            return _PROTOCOLS[key]
    return None


_TLS_VERSION = re.compile(
    r"^(?:TLS|SSL)?[-_ ]?v?(?P<major>\d)?(?:[._](?P<minor>\d))?$", re.IGNORECASE
)


def _normalize_tls_version(text: str) -> str | None:
    value = text.strip().strip(",;")
    if value.upper().startswith("SSLV3"):
        return "SSLv3"
    # "TLSv1/SSLv3" is what OpenSSL before 1.0.1 reported for TLS 1.0.
    value = value.split("/", 1)[0]
    match = _TLS_VERSION.match(value.replace("TLS-", "TLS").replace("tls-", "TLS"))
    if not match or not value.upper().startswith("TLS"):
        return None
    minor = match.group("minor") or "0"
    if (match.group("major") or "1") != "1":
        return None
    return f"TLSv1.{minor}"


# Each pattern is tried over the whole line (comments included), most
# specific first. Groups: version (optional), cipher (optional).
_TLS_PATTERNS = (
    # Postfix smtpd_tls_received_header: "(using TLSv1.3 with cipher X ...)".
    re.compile(
        r"using\s+(?P<version>SSLv3|TLSv1(?:\.\d)?)\s+with\s+cipher\s+"
        r"(?P<cipher>[A-Za-z0-9_\-]+)",
        re.IGNORECASE,
    ),
    # sendmail, Google and Exchange: "(version=TLS1_2, cipher=X ...)".
    re.compile(
        r"version=(?P<version>[A-Za-z0-9_./]+?)[,\s)]+(?:[^()]*?\s)?"
        r"cipher=(?P<cipher>[A-Za-z0-9_\-]+)",
        re.IGNORECASE,
    ),
    # CommuniGate and others: "TLS: TLS1.3, 128bits, ECDHE_RSA_..." and
    # "SSL: TLSv1/SSLv3,128bits,RC4-MD5".
    re.compile(
        r"\b(?:TLS|SSL):\s*(?P<version>[A-Za-z0-9./_]+)\s*,\s*\d+\s*bits\s*,\s*"
        r"(?P<cipher>[A-Za-z0-9_\-]+)",
        re.IGNORECASE,
    ),
    # Exim: "(TLSv1:DES-CBC3-SHA:168)", "tls_cipher TLS-1.0:RSA_AES_...:32",
    # "(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)".
    re.compile(
        r"(?<![\w.])(?P<version>TLS-?v?1(?:[._]\d)?|SSLv3|TLSv1(?:\.\d)?)"
        r":(?P<cipher>[A-Za-z][A-Za-z0-9_\-]*)(?::\d+)?",
    ),
    # Exim 4.92+: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384".
    re.compile(
        r"\((?P<version>TLS1\.\d)\)\s+tls\s+(?P<cipher>[A-Za-z0-9_\-]+)",
        re.IGNORECASE,
    ),
    # Cisco and others: "with ESMTP/TLS/DHE-RSA-AES256-GCM-SHA384".
    re.compile(r"\b[A-Z]*SMTP/TLS/(?P<cipher>[A-Za-z0-9_\-]+)", re.IGNORECASE),
    # MessageLabs and qpsmtpd: "with AES128-SHA encrypted SMTP".
    re.compile(r"(?P<cipher>[A-Za-z0-9][A-Za-z0-9_\-]+)\s+encrypted\b"),
    # Exim "(TLS1.3)" alone, or "version=TLS1" with no cipher.
    re.compile(r"version=(?P<version>TLS[A-Za-z0-9_./]*)", re.IGNORECASE),
)


def _find_tls(text: str) -> tuple[bool, str | None, str | None]:
    for pattern in _TLS_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        groups = match.groupdict()
        version = groups.get("version")
        cipher = groups.get("cipher")
        if cipher and cipher.upper() == "OTHER":
            # Old Gmail wrote "cipher=OTHER": TLS, cipher not stated.
            cipher = None
        return True, _normalize_tls_version(version) if version else None, cipher
    if re.search(r"Google Transport Security", text):
        return True, None, None
    return False, None, None


_AUTH_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Postfix smtpd_sasl_authenticated_header.
    (re.compile(r"Authenticated sender:\s*(?P<user>[^\s()]+)", re.I), "Postfix"),
    # sendmail: "(authenticated bits=0)", "(authenticated (0 bits))".
    (re.compile(r"\bauthenticated\s+(?:bits=\d+|\(\d+\s+bits\))", re.I), "sendmail"),
    # Critical Path / Mirapoint: "(authenticated as user)".
    (re.compile(r"\bauthenticated\s+as\s+(?P<user>[^\s()]+)", re.I), "MTA"),
    # CommuniGate, IMail and others: "(AUTH: LOGIN user, ...)".
    (re.compile(r"\bAUTH:\s*(?P<mech>[A-Z0-9_-]+)\s+(?P<user>[^\s,()]+)"), "AUTH"),
    # Webmail front ends: "(SquirrelMail authenticated user jm)".
    (
        re.compile(r"\b(?P<app>\w+)\s+authenticated\s+user\s+(?P<user>[^\s()]+)"),
        "webmail",
    ),
)


# ---------------------------------------------------------------------------
# Clause readers
# ---------------------------------------------------------------------------


@dataclass
class _FromInfo:
    name: str | None = None
    helo: str | None = None
    helo_command: str | None = None
    rdns: str | None = None
    addr: str | None = None
    port: int | None = None
    ident: str | None = None
    auth_user: str | None = None
    auth_evidence: str | None = None
    local_socket: bool = False
    # How the address was written: "rdns" ("(name [ip])"), "bare" ("(ip)"),
    # "bracket" ("([ip])"), "outside" ("name [ip]"), "name" (the name is it).
    addr_style: str | None = None
    exim3_helo: str | None = None
    helo_explicit: bool = False
    glued: bool = False
    verified: bool = False
    extra: list[str] = field(default_factory=list)


_SASL_MECHANISMS = frozenset(
    {"plain", "login", "cram-md5", "digest-md5", "xoauth2", "oauthbearer"}
)
# Words some MTAs write in the reverse-name slot when there is none.
_NO_RDNS = frozenset({"unknown", "softdnserr", "unverified", "verified"})
_HOSTNAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_.])?$")
_HELO_WORDS = {"helo": "HELO", "ehlo": "EHLO", "lhlo": "LHLO"}


def _looks_like_host(text: str) -> bool:
    return bool(_HOSTNAME.match(text)) and any(c.isalpha() for c in text)


def _read_from(tokens: list[Token]) -> _FromInfo:
    info = _FromInfo()
    rest = tokens
    if rest and rest[0].kind in (TokenKind.ATOM, TokenKind.LITERAL, TokenKind.ANGLE):
        first = rest[0]
        rest = rest[1:]
        if first.kind is TokenKind.LITERAL:
            addr, port = normalize_address(first.text, dotted_port=True)
            info.name = f"[{first.text}]"
            if addr:
                info.addr, info.port, info.addr_style = addr, port, "name"
        elif first.kind is TokenKind.ANGLE:
            info.name = f"<{first.text}>"
        else:
            info.name = first.text.rstrip(",")
            addr, port = normalize_address(info.name)
            if addr:
                info.addr, info.port, info.addr_style = addr, port, "name"
    claiming = False
    if rest and tokens[0].end == rest[0].start and rest[0].kind is TokenKind.COMMENT:
        # TIS smap and Juniper smtpd glue the address to the reverse name:
        # "from host.example(192.0.2.1)"; the HELO, if any, comes later.
        info.glued = True
    for idx, tok in enumerate(rest):
        if tok.kind is TokenKind.COMMENT:
            _read_tcp_info(tok.text, info)
        elif tok.kind is TokenKind.LITERAL:
            addr, port = normalize_address(tok.text, dotted_port=True)
            if addr and (info.addr is None or info.addr_style == "name"):
                info.addr, info.port, info.addr_style = addr, port, "outside"
            elif tok.text.lower() in {"local", "unix socket"}:
                info.local_socket = True
        elif tok.kind is TokenKind.ATOM:
            word = tok.text
            if word.startswith(":") and word[1:].isdigit():
                info.port = int(word[1:])
            elif info.extra[-2:] == ["as", "user"]:
                # Webmail: 'from 192.0.2.1 ([192.0.2.1]) as user jm@localhost'.
                info.auth_user = word
                info.auth_evidence = "webmail login " + word
                info.extra.append(word)
            elif word.lower() == "be" and idx >= 2 and _claiming(rest, idx):
                claiming = True
            else:
                info.extra.append(word)
        elif tok.kind is TokenKind.QUOTED and claiming:
            # TIS/Juniper smtpd: 'from host(ip), claiming to be "helo"'.
            info.helo, info.helo_command = tok.text, "HELO"
            claiming = False
    return info


def _claiming(tokens: list[Token], idx: int) -> bool:
    words = [t.text.lower() for t in tokens[idx - 2 : idx + 1]]
    return words == ["claiming", "to", "be"]


def _read_tcp_info(text: str, info: _FromInfo) -> None:
    """Read one comment of the From-domain's TCP-info (RFC 5321 4.4)."""
    tokens = tokenize(text)
    words_before_literal: list[str] = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        low = tok.text.lower() if tok.kind is TokenKind.ATOM else ""
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if low in _HELO_WORDS:
            # qmail/qpsmtpd/CommuniGate: "(HELO name)", "(HELO )".
            info.helo_command = _HELO_WORDS[low]
            if nxt is not None and nxt.kind in (TokenKind.ATOM, TokenKind.LITERAL):
                info.helo = nxt.text if nxt.kind is TokenKind.ATOM else f"[{nxt.text}]"
                k += 1
            else:
                info.helo = ""
        elif low.startswith(("helo=", "ident=")):
            key, _, value = tok.text.partition("=")
            if not value and nxt is not None and nxt.kind is TokenKind.LITERAL:
                value = f"[{nxt.text}]"
                k += 1
            if key.lower() == "helo":
                info.helo, info.helo_command = value, "HELO"
            else:
                info.ident = value.strip("[]")
        elif low == "account" and nxt is not None and nxt.kind is TokenKind.ATOM:
            # CommuniGate Pro: "(account user@example.org HELO host)".
            info.auth_user = nxt.text
            info.auth_evidence = "CommuniGate account " + nxt.text
            k += 1
        elif (
            low == "with"
            and nxt is not None
            and nxt.text.lower() in _SASL_MECHANISMS
            and info.ident is not None
        ):
            # qmail with SMTP AUTH patches: "(user@1.2.3.4 with login)".
            info.auth_evidence = f"SMTP AUTH {nxt.text.upper()}"
            k += 1
        elif tok.kind is TokenKind.LITERAL:
            _take_literal(tok.text, words_before_literal, info)
            words_before_literal = []
        elif tok.kind is TokenKind.ANGLE:
            words_before_literal.append(tok.text)
        elif tok.kind is TokenKind.ATOM:
            _take_tcp_atom(tok.text, nxt, info, words_before_literal)
        elif tok.kind is TokenKind.COMMENT and tok.text.lower() == "may be forged":
            info.extra.append("rDNS may be forged")
        if low == "verified":
            # CommuniGate Pro: "([192.0.2.1] verified)": the name in front was
            # checked against the address.
            info.verified = True
        k += 1
    if words_before_literal and info.addr is None:
        _take_plain_words(words_before_literal, info)


def _take_literal(text: str, words: list[str], info: _FromInfo) -> None:
    addr, port = normalize_address(text, dotted_port=True)
    if addr is None:
        if text.lower() in {"local", "unix socket"} or text.upper().startswith("[UNIX"):
            # OpenSMTPD "(name [local])", Cyrus "([unix socket])": a local
            # socket, with the name in front still the reverse name.
            info.local_socket = True
            if len(words) == 1 and _looks_like_host(words[0]):
                info.rdns = words[0]
        return
    if info.addr is None or info.addr_style in {"name", "outside"}:
        info.addr, info.port = addr, port if port is not None else info.port
        info.addr_style = "bracket"
    host_words = [w for w in words if w.lower() not in {"verified", "unverified"}]
    if host_words:
        candidate = host_words[-1]
        if "@" in candidate:
            user, _, candidate = candidate.rpartition("@")
            info.ident = _strip_ident(user) or info.ident
        candidate = candidate.strip()
        if candidate.lower() in _NO_RDNS or candidate == "":
            info.addr_style = "rdns"
        elif _looks_like_host(candidate):
            info.rdns, info.addr_style = candidate, "rdns"


def _strip_ident(user: str) -> str | None:
    # sendmail "(IDENT:nobody@localhost [127.0.0.1])".
    value = user[6:] if user.upper().startswith("IDENT:") else user
    return value.rstrip("@") or None


def _take_tcp_atom(
    text: str, nxt: Token | None, info: _FromInfo, words: list[str]
) -> None:
    if text.endswith("@") and nxt is not None and nxt.kind is TokenKind.LITERAL:
        # "(kgbxn@[211.244.147.115])": ident then a literal.
        info.ident = _strip_ident(text[:-1])
        return
    addr, port = normalize_address(text)
    if addr is not None:
        if info.addr is None or info.addr_style in {"name", "outside"}:
            info.addr, info.port, info.addr_style = addr, port, "bare"
        return
    if "@" in text:
        user, _, host = text.rpartition("@")
        addr, port = normalize_address(host)
        if addr is not None:
            # qmail: "(user@1.2.3.4)" is the ident or SMTP AUTH user.
            info.ident = _strip_ident(user)
            if info.addr is None or info.addr_style in {"name", "outside"}:
                info.addr, info.port, info.addr_style = addr, port, "bare"
            return
    words.append(text)


def _take_plain_words(words: list[str], info: _FromInfo) -> None:
    """A comment with a name and no address: "(localhost)", "(bala@localhost)"."""
    if len(words) != 1:
        return
    word = words[0]
    if "@" in word:
        user, _, host = word.rpartition("@")
        info.ident = _strip_ident(user)
        if _looks_like_host(host) and info.rdns is None:
            info.rdns = host
    elif (
        _looks_like_host(word)
        and word.lower() not in _NO_RDNS
        and info.exim3_helo is None
    ):
        info.exim3_helo = word


_EXIM_COMMENT = re.compile(r"\bExim\b", re.IGNORECASE)
_EXIM_ID = re.compile(r"^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}$")


def _resolve_from_names(
    info: _FromInfo, http: bool, microsoft: bool, exim: bool
) -> None:
    """Decide which of the written names is the HELO and which the rDNS.

    Each MTA puts them differently: with an explicit HELO (qmail ``(HELO x)``,
    Exim ``helo=x``, CommuniGate ``HELO x``) the leading name is the reverse
    name; with "name (rdns [ip])" (Postfix, sendmail) it is the HELO; TIS smap
    glues "rdns(ip)"; Exim 3 wrote "rdns (helo) [ip]". Where the form is
    ambiguous this follows SpamAssassin's Received.pm, the most widely
    tested reading.
    """
    name = info.name
    plausible = name is not None and _plausible_rdns(name)
    if http:
        # There is no HELO in HTTP; the name in front is the webmail's view
        # of the client at best.
        info.helo = None
        return
    if info.helo is not None:
        info.helo_explicit = True
        if info.rdns is None and name is not None:
            if info.addr_style == "bare" and name.lower() not in _NO_RDNS:
                # qmail writes the remote host (its PTR name, or the address
                # when there is none) before "(HELO x) (ip)".
                info.rdns = None if name.startswith("[") else name
            elif plausible:
                info.rdns = name
        if info.helo == "":
            info.helo = None
        return
    if info.addr_style == "name":
        # "from [192.0.2.1]" alone: the client greeted with an address
        # literal; a bare "from 192.0.2.1" is only the address.
        info.helo = name if name and name.startswith("[") else None
        return
    if name is None or name.startswith("<") or name.lower() == "unknown":
        return
    info.helo = name
    if info.glued:
        info.helo = None
        info.rdns = info.rdns or (name if plausible else None)
    elif info.exim3_helo is not None and info.addr_style == "outside":
        # Exim 3 sender_fullhost: "host_name (helo_name) [ip]".
        info.rdns, info.helo = name, info.exim3_helo
    elif info.exim3_helo is not None and info.addr is None:
        # sendmail and others with no address to show: "helo (rdns)".
        info.rdns = info.rdns or info.exim3_helo
    elif info.addr_style == "bare" and not microsoft and info.port is None:
        # qmail and Critical Path write "remotehost (ip)" and leave the HELO
        # out when it equals the remote host name, so the name is both.
        # Exchange writes "helo (ip)"; XMail "helo (ip:port)".
        info.rdns = info.rdns or (name if plausible else None)
    elif (
        info.addr_style == "bracket"
        and info.rdns is None
        and plausible
        and (info.verified or (exim and info.port is None))
    ):
        # Exim leaves out helo= when the HELO matched the verified host
        # name; CommuniGate says "verified". Exim 3 with "[ip.port]" did not
        # look the name up.
        info.rdns = name


def _plausible_rdns(name: str) -> bool:
    """A reverse name is a host name, and in practice qualified."""
    low = name.lower()
    if low in _NO_RDNS or name.startswith(("[", "<")):
        return False
    if normalize_address(name)[0] is not None:
        return False
    return _looks_like_host(name) and ("." in name or low == "localhost")


def _read_by(tokens: list[Token]) -> tuple[str | None, str | None, str | None]:
    """Return (name, address, software) of a By-domain."""
    name: str | None = None
    addr: str | None = None
    software: str | None = None
    rest = tokens
    if rest and rest[0].kind in (TokenKind.ATOM, TokenKind.LITERAL, TokenKind.ANGLE):
        first = rest[0]
        rest = rest[1:]
        if first.kind is TokenKind.LITERAL:
            addr, _ = normalize_address(first.text)
            name = first.text if addr is None else addr
        elif first.kind is TokenKind.ANGLE:
            name = first.text
        else:
            name = first.text.rstrip(",")
            addr, _ = normalize_address(name)
    for tok in rest:
        if tok.kind is not TokenKind.COMMENT:
            continue
        inner = tokenize(tok.text)
        literal_addrs = [
            normalize_address(t.text)[0] for t in inner if t.kind is TokenKind.LITERAL
        ]
        bare = normalize_address(tok.text)[0]
        found = bare or next((a for a in literal_addrs if a), None)
        if found is not None and addr is None:
            addr = found
        elif found is None and software is None and tok.text.strip():
            software = tok.text.strip()
    return name, addr, software


def _words(tokens: list[Token]) -> str:
    parts: list[str] = []
    for tok in tokens:
        if tok.kind is TokenKind.ATOM:
            parts.append(tok.text)
        elif tok.kind is TokenKind.LITERAL:
            parts.append(f"[{tok.text}]")
        elif tok.kind is TokenKind.ANGLE:
            parts.append(f"<{tok.text}>")
        elif tok.kind is TokenKind.QUOTED:
            parts.append(f'"{tok.text}"')
    return " ".join(parts).strip(" ,")


def _first_value(tokens: list[Token]) -> str | None:
    for tok in tokens:
        if tok.kind is TokenKind.ANGLE:
            return _strip_angles(tok.text) or None
        if tok.kind in (TokenKind.ATOM, TokenKind.QUOTED):
            value = tok.text.strip(",;")
            return value or None
        if tok.kind is TokenKind.LITERAL:
            return f"[{tok.text}]"
    return None


def _strip_angles(text: str) -> str:
    value = text.strip()
    while value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value


_ENVELOPE_FROM = re.compile(
    r"envelope-(?:from|sender)\s*<?(?P<addr>[^\s<>(),]*)>?", re.IGNORECASE
)


# ---------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------

_FOLD = re.compile(r"\r\n|\r|\n")


def parse_received(value: str) -> ReceivedLine:
    """Read one ``Received:`` header value (without the field name).

    Folding line breaks may still be present; they are removed as RFC 5322
    section 2.2.3 describes.
    """
    text = _FOLD.sub("", value).strip()
    if not text:
        return ReceivedLine(raw=value, kind=LineKind.UNPARSED, problems=("empty",))
    problems: list[str] = []
    tokens = tokenize(text)
    if any(not t.closed for t in tokens):
        problems.append("unterminated comment, literal or quoted string")

    clause_tokens, stamp, tail = _split_date(text, tokens, problems)
    note: str | None = None
    note_addr: str | None = None
    note_rdns: str | None = None
    if clause_tokens and clause_tokens[0].kind is TokenKind.COMMENT:
        lead = clause_tokens[0].text.strip()
        qmail = _QMAIL_NOTE.match(lead)
        ofmipd = _OFMIPD_NOTE.match(lead)
        if qmail:
            note = _qmail_note(qmail.group("pid"), qmail.group("how"))
            if qmail.group("net"):
                net_addr, _, net_name = qmail.group("net").partition("/")
                note_addr = normalize_address(net_addr)[0]
                note_rdns = net_name or None
        elif ofmipd:
            note = "ofmipd (qmail's mini-MSA) accepted it"
            note_addr = normalize_address(ofmipd.group("addr"))[0]
        elif lead.lower().startswith("from "):
            # sendmail "(from user@localhost) by host (8.x/Submit)" and
            # NAVGW "(from host [ip]) by ...": the From-domain sits in a
            # leading comment.
            clause_tokens = tokenize(lead) + clause_tokens[1:]
    clauses = _split_clauses(clause_tokens + tail)
    if tail and any(t.kind is not TokenKind.COMMENT for t in tail):
        problems.append("text after the date")
    stray = [t for t in clauses.before if t.kind is not TokenKind.COMMENT]
    if stray and note is None:
        problems.append("text before the first keyword: " + _words(stray)[:80])

    line = _build_line(value, text, clauses, stamp, problems)
    if note is not None:
        line = _with_note(line, note, note_addr, note_rdns)
    logger.debug("received.parse kind=%s by=%s", line.kind, line.by)
    return line


def _split_date(
    text: str, tokens: list[Token], problems: list[str]
) -> tuple[list[Token], StampDate | None, list[Token]]:
    """Split the tokens into clauses, the date, and anything after the date."""
    masked = _mask_comments(text, tokens)
    semis = [t for t in tokens if t.kind is TokenKind.SEMI]
    if semis:
        semi = semis[-1]
        stamp = parse_date(masked[semi.end :])
        if stamp is not None:
            start, end = semi.end + stamp.start, semi.end + stamp.end
            stamp = StampDate(stamp.when, stamp.zone_known, stamp.text, start, end)
            before = [t for t in tokens if t.end <= semi.start]
            between = [t for t in tokens if semi.end <= t.start and t.end <= start]
            after = [t for t in tokens if t.start >= end]
            if any(t.kind is not TokenKind.COMMENT for t in between):
                problems.append("text between ';' and the date")
            return [t for t in before if t.kind is not TokenKind.SEMI], stamp, after
        tail_text = text[semi.end :].strip()
        if tail_text:
            problems.append("date not understood: " + tail_text[:60])
        else:
            problems.append("no date")
        before = [t for t in tokens if t.end <= semi.start]
        return [t for t in before if t.kind is not TokenKind.SEMI], None, []
    # RFC 5321 requires ";" before the date; GMX, some Exchange versions and
    # others leave it out. Take the last date in the line, outside comments.
    stamp = parse_date(masked)
    if stamp is None:
        problems.append("no date")
        return tokens, None, []
    problems.append("no ';' before the date")
    before = [t for t in tokens if t.end <= stamp.start]
    after = [t for t in tokens if t.start >= stamp.end]
    return before, stamp, after


def _build_line(
    raw: str,
    text: str,
    clauses: _Clauses,
    stamp: StampDate | None,
    problems: list[str],
) -> ReceivedLine:
    first = clauses.first
    with_tokens = first.get("with", [])
    with_raw = _words(with_tokens) or None
    protocol = _normalize_protocol(with_raw) if with_raw else None
    by_name, by_addr, by_software = _read_by(first.get("by", []))
    exim = any(_EXIM_COMMENT.search(c) for c in clauses.comments)
    queue_id = _first_value(first.get("id", []))
    recipient = _first_value(first.get("for", []))
    via = _words(first.get("via", [])) or None

    info = _read_from(first["from"]) if "from" in first else _FromInfo()
    if via is None and any(c.strip().lower() == "via http" for c in clauses.comments):
        # web.de: "by host (via HTTP)".
        via = "HTTP"
    http = protocol in {"HTTP", "HTTPS"} or bool(
        via and via.split()[0].upper() == "HTTP"
    )
    microsoft = bool(with_raw and "microsoft smtp server" in with_raw.lower())
    exim = exim or bool(queue_id and _EXIM_ID.match(queue_id))
    _resolve_from_names(info, http, microsoft, exim)

    envelope_from: str | None = None
    extra_notes: list[str] = []
    for word, toks in clauses.repeated:
        value = _first_value(toks)
        if word == "from" and toks and toks[0].kind is TokenKind.ANGLE:
            # XMail and IBM gateways: "for <rcpt> from <sender>".
            envelope_from = value
        elif word == "for" and recipient is None:
            recipient = value
        elif word == "id" and queue_id is None:
            queue_id = value
        else:
            extra_notes.append(f"{word} {_words(toks)}".strip())
    for comment in clauses.comments:
        match = _ENVELOPE_FROM.search(comment)
        if match and envelope_from is None:
            envelope_from = match.group("addr") or None

    tls, tls_version, tls_cipher = _find_tls(text)
    if protocol in _TLS_PROTOCOLS:
        tls = True

    facts = _Facts(info, first, by_name, by_software, with_raw, protocol, via)
    authenticated, evidence, user = _find_auth(facts, clauses.comments)
    date = stamp.when if stamp else None
    kind, note = _classify(facts)
    if kind is LineKind.NOTE and not info.helo_explicit:
        # A local user or program named after FROM gave no HELO.
        info.helo = None
    retrieval = protocol in {"IMAP", "POP3"} or bool(
        with_raw and "fetchmail" in with_raw.lower()
    )
    if kind is LineKind.UNPARSED and not problems:
        problems.append("no FROM, BY or WITH clause")
    return ReceivedLine(
        raw=raw,
        kind=kind,
        from_name=info.name,
        from_helo=info.helo,
        helo_command=info.helo_command,
        from_rdns=info.rdns,
        from_addr=info.addr,
        from_port=info.port,
        from_ident=info.ident,
        by=by_name,
        by_addr=by_addr,
        by_software=by_software,
        via=via,
        with_raw=with_raw,
        protocol=protocol,
        tls=tls,
        tls_version=tls_version,
        tls_cipher=tls_cipher,
        authenticated=authenticated,
        auth_evidence=evidence,
        auth_user=user,
        queue_id=queue_id,
        recipient=recipient,
        envelope_from=envelope_from,
        date=date,
        zone_known=stamp.zone_known if stamp else False,
        date_text=stamp.text if stamp else None,
        retrieval=retrieval,
        local_socket=info.local_socket,
        note=note,
        comments=tuple(clauses.comments) + tuple(extra_notes),
        problems=tuple(problems),
    )


@dataclass(frozen=True)
class _Facts:
    """What the clause readers found, for the decisions taken on all of it."""

    info: _FromInfo
    first: dict[str, list[Token]]
    by_name: str | None
    by_software: str | None
    with_raw: str | None
    protocol: str | None
    via: str | None


def _find_auth(
    facts: _Facts, comments: list[str]
) -> tuple[bool, str | None, str | None]:
    """Say whether the client authenticated, and on what evidence."""
    info, protocol, via = facts.info, facts.protocol, facts.via
    by_name, by_software = facts.by_name, facts.by_software
    if info.auth_evidence is not None:
        return True, info.auth_evidence, info.auth_user or info.ident
    for comment in comments:
        for pattern, source in _AUTH_PATTERNS:
            match = pattern.search(comment)
            if match is None:
                continue
            groups = match.groupdict()
            user = groups.get("user")
            if source == "AUTH":
                return True, f"SMTP AUTH {groups['mech']}", user
            if source == "webmail":
                return True, f"{groups['app']} authenticated user", user
            return True, match.group(0).strip(), user
        if comment.strip().lower() == "authenticated":
            return True, "authenticated", None
    if protocol in _AUTH_PROTOCOLS:
        # RFC 3848: the "A" suffix means the client authenticated (AUTH).
        return True, f"protocol {protocol} (RFC 3848)", None
    if protocol in _SESSION_PROTOCOLS:
        return True, _SESSION_PROTOCOLS[protocol], None
    if via and via.split()[0].upper() == "HTTP":
        return True, _SESSION_PROTOCOLS["HTTP"], None
    if (
        by_name
        and by_name.lower() == "mail.gmx.net"
        and by_software
        and re.fullmatch(r"mp\d+", by_software)
    ):
        # GMX's submission hosts (mail.gmx.net, "mpNNN") only accept logged-in
        # clients; SpamAssassin's Received.pm reads them the same way.
        return True, "GMX submission server (login required)", None
    return False, None, None


_LOCAL_WITH = re.compile(
    r"^(?:local(?:-\w+)?|spam-scanned|scanned-ok|[\w-]*-spam-scanned|"
    r"qmail-scanner[\w.-]*|spamassassin|dsn|spool)\b",
    re.IGNORECASE,
)


def _classify(facts: _Facts) -> tuple[LineKind, str | None]:
    """Tell a relay from a note (a stamp with no sending host)."""
    info, first, with_raw = facts.info, facts.first, facts.with_raw
    software = facts.by_software
    has_from = "from" in first and (
        info.name is not None or info.addr is not None or info.rdns is not None
    )
    if not has_from:
        if facts.by_name is None and not {"with", "id"} & first.keys():
            return LineKind.UNPARSED, None
        if software and "from userid" in software.lower():
            uid = software.lower().rsplit("userid", 1)[-1].strip()
            return LineKind.NOTE, f"local pickup (user id {uid})"
        return LineKind.NOTE, "stamp with no sending host (local or internal)"
    extra = " ".join(info.extra).lower()
    if info.name and info.name.lower() == "mail" and extra.startswith("pickup"):
        return LineKind.NOTE, "pickup directory (Microsoft SMTPSVC)"
    if with_raw and _LOCAL_WITH.match(with_raw):
        user = info.name or "?"
        if with_raw.lower().startswith("qmail-scanner"):
            return LineKind.NOTE, "qmail-scanner content scan"
        if with_raw.lower().startswith("local"):
            return LineKind.NOTE, f"local submission by {user}"
        return LineKind.NOTE, f"re-injected locally ({with_raw.split()[0]})"
    if info.addr is None and info.name and "@" in info.name and info.rdns is None:
        if software and software.lower().endswith("/submit"):
            return LineKind.NOTE, f"local submission by {info.name} (sendmail)"
        return LineKind.NOTE, f"local submission by {info.name}"
    if software and software.lower().endswith("/submit") and info.addr is None:
        return LineKind.NOTE, "local submission (sendmail)"
    if facts.protocol == "local":
        return LineKind.NOTE, f"local submission by {info.name}"
    return LineKind.RELAY, None


def _with_note(
    line: ReceivedLine, note: str, addr: str | None, rdns: str | None
) -> ReceivedLine:
    problems = tuple(
        p
        for p in line.problems
        if not p.startswith(("text before", "no FROM, BY or WITH"))
    )
    return replace(
        line,
        kind=LineKind.NOTE,
        note=note,
        from_addr=line.from_addr or addr,
        from_rdns=line.from_rdns or rdns,
        problems=problems,
    )
