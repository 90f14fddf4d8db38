"""From a message's header block to the journey it made.

Every MTA stamps its ``Received:`` line on top (RFC 5321 section 4.4), so the
lines read bottom-up are the hops in the order travelled. This module puts
them in that order and works out, without any network look-up:

* the delay between consecutive stamps, flagging negative delays (clock
  skew) and delays of an exact number of half hours (a wrong zone label),
  never clamping them to zero, and never guessing a missing zone;
* whether each hop's ``from`` names the previous hop's ``by``, and when not,
  whether the break is one of the harmless kinds (re-injection on localhost,
  mailbox retrieval, internal hops, forwarding or list expansion);
* the trust boundary: walking down from the top, the stamps written inside
  the receiving organisation, the hop where the message entered it, and the
  hops below, which are the sender's claims and prove nothing;
* the submission hop, where the message entered the mail system, whether the
  sender authenticated, and what kind of network the client was on;
* the summary headers and the receiving organisation's own
  Authentication-Results and ARC sets.

The result is a tree of frozen dataclasses; nothing here prints or performs
I/O.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from netprobe.authresults import (
    ArcSet,
    AuthenticationResults,
    AuthResult,
    parse_arc_sets,
    parse_authentication_results,
)
from netprobe.client_network import ClientNetwork, classify_client, is_internal_address
from netprobe.headerblock import HeaderBlock, read_header_block
from netprobe.received import LineKind, ReceivedLine, normalize_address, parse_date
from netprobe.received import parse_received as _parse_received

logger = logging.getLogger(__name__)

__all__ = [
    "AuthSummary",
    "Boundary",
    "DelayFlag",
    "Hop",
    "Journey",
    "Link",
    "LinkStatus",
    "PathOptions",
    "Submission",
    "SummaryHeaders",
    "Trust",
    "build_journey",
    "journey_from_bytes",
    "org_domain",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class PathOptions:
    """What the caller knows that the headers do not say.

    ``trusted_networks``: addresses of the receiving organisation's own
    relays. When given, they alone (with loopback) decide the trust boundary,
    as SpamAssassin's ``trusted_networks`` does; when empty, the boundary is
    inferred from private addresses, authentication and reverse names.
    """

    trusted_networks: tuple[IPNetwork, ...] = ()


class DelayFlag(enum.StrEnum):
    OK = "ok"
    FIRST = "first"
    NO_DATE = "no date"
    ZONE_UNKNOWN = "zone unknown"
    CLOCK_SKEW = "clock skew"
    ZONE_LABEL = "zone label"


class LinkStatus(enum.StrEnum):
    MATCH = "match"
    HARMLESS = "harmless"
    BREAK = "break"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Link:
    """How a hop's ``from`` compares with the previous hop's ``by``."""

    status: LinkStatus
    reason: str
    previous: int | None = None


class Trust(enum.StrEnum):
    # Written inside the receiving organisation.
    RECEIVER = "receiver"
    # Written by the receiving organisation, about a sender outside it: the
    # sender's address here is what the receiver saw, so it can be believed.
    BOUNDARY = "boundary"
    # Written outside the receiving organisation: claimed, not proven.
    CLAIMED = "claimed"


@dataclass(frozen=True)
class Hop:
    """One Received line in travel order (``index`` 1 is the oldest)."""

    index: int
    position: int
    line: ReceivedLine
    delay: timedelta | None
    delay_flag: DelayFlag
    delay_note: str | None
    link: Link
    trust: Trust


@dataclass(frozen=True)
class Submission:
    """Where the message entered the mail system."""

    hop_index: int
    method: str
    entered_at: str | None
    when: datetime | None
    authenticated: bool | None
    auth_evidence: str | None
    auth_user: str | None
    client_helo: str | None
    client_addr: str | None
    client_rdns: str | None
    network: ClientNetwork
    desktop_client: bool
    tls: bool
    tls_version: str | None
    network_from_hop: int | None = None


@dataclass(frozen=True)
class Boundary:
    """The hop where the message entered the receiving organisation."""

    hop_index: int
    receiver: str | None
    sender_helo: str | None
    sender_addr: str | None
    sender_rdns: str | None
    configured: bool
    reason: str


@dataclass(frozen=True)
class SummaryHeaders:
    from_: str | None = None
    to: str | None = None
    subject: str | None = None
    date_text: str | None = None
    date: datetime | None = None
    date_zone_known: bool = False
    message_id: str | None = None
    return_path: str | None = None


@dataclass(frozen=True)
class AuthSummary:
    """The receiving organisation's Authentication-Results, and ARC sets."""

    authserv_id: str | None = None
    matched_receiver: bool = False
    headers: tuple[AuthenticationResults, ...] = ()
    other_ids: tuple[str, ...] = ()
    arc: tuple[ArcSet, ...] = ()

    @property
    def results(self) -> tuple[AuthResult, ...]:
        return tuple(r for h in self.headers for r in h.results)

    def by_method(self, method: str) -> tuple[AuthResult, ...]:
        return tuple(r for r in self.results if r.method == method)


@dataclass(frozen=True)
class Journey:
    hops: tuple[Hop, ...]
    headers: SummaryHeaders
    submission: Submission | None
    boundary: Boundary | None
    auth: AuthSummary
    receiving_domains: tuple[str, ...] = ()
    total_time: timedelta | None = None
    defects: tuple[str, ...] = field(default=())

    @property
    def relays(self) -> tuple[Hop, ...]:
        return tuple(h for h in self.hops if h.line.kind is LineKind.RELAY)

    @property
    def notes(self) -> tuple[Hop, ...]:
        return tuple(h for h in self.hops if h.line.kind is LineKind.NOTE)

    @property
    def unparsed(self) -> tuple[Hop, ...]:
        return tuple(h for h in self.hops if h.line.kind is LineKind.UNPARSED)


# ---------------------------------------------------------------------------
# Names and organisations
# ---------------------------------------------------------------------------

# Second-level labels under which country-code TLDs register names
# ("example.co.uk"). It only has to tell one organisation from another.
# Limitation: without the Public Suffix List, hosts under shared suffixes
# such as "github.io" or "herokuapp.com" are taken for one organisation.
_SECOND_LEVEL = frozenset(
    {"co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go", "gob"}
    | {"mil", "nic", "ltd", "plc", "sch", "gen"}
)
# Name endings that only make sense inside a network (RFC 6762 ".local",
# RFC 8375 ".home.arpa", and the usual private conventions).
_LOCAL_SUFFIXES = frozenset(
    {"local", "lan", "localdomain", "internal", "corp", "home", "intranet"}
    | {"priv", "localhost", "arpa"}
)
# One operator, several registered domains.
_ORG_ALIASES = {
    "office365.com": "outlook.com",
    "hotmail.com": "outlook.com",
    "microsoft.com": "outlook.com",
    "exchangelabs.com": "outlook.com",
    "gmail.com": "google.com",
    "googlemail.com": "google.com",
    "1e100.net": "google.com",
    "yahoodns.net": "yahoo.com",
}


def _clean(name: str | None) -> str | None:
    if not name:
        return None
    return name.strip().strip("[]").rstrip(".").lower() or None


def org_domain(host: str | None) -> str | None:
    """The registered domain of ``host``, approximately; None for addresses."""
    name = _clean(host)
    if name is None or "." not in name or normalize_address(name)[0] is not None:
        return None
    labels = name.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        domain = ".".join(labels[-3:])
    else:
        domain = ".".join(labels[-2:])
    return _ORG_ALIASES.get(domain, domain)


def _unqualified(host: str | None) -> bool:
    name = _clean(host)
    if name is None:
        return True
    if normalize_address(name)[0] is not None:
        return False
    return "." not in name or name.rsplit(".", 1)[-1] in _LOCAL_SUFFIXES


def _loopback(addr: str) -> bool:
    return ipaddress.ip_address(addr).is_loopback


def _is_localhost(name: str | None) -> bool:
    clean = _clean(name)
    return clean is not None and (
        clean == "localhost" or clean.startswith(("localhost.", "localhost-"))
    )


def _from_names(line: ReceivedLine) -> set[str]:
    names = (line.from_name, line.from_helo, line.from_rdns)
    return {c for c in (_clean(n) for n in names) if c}


# ---------------------------------------------------------------------------
# Delays
# ---------------------------------------------------------------------------

_HALF_HOUR = 1800


def describe_span(seconds: float, plus: str = "") -> str:
    """A duration in words: ``4 min 48 s``; ``plus`` marks a positive one."""
    sign = "-" if seconds < 0 else plus
    rest = int(abs(seconds))
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if minutes:
        return f"{sign}{minutes} min {secs:02d} s"
    return f"{sign}{secs} s"


def _delay(
    line: ReceivedLine, previous: ReceivedLine | None
) -> tuple[timedelta | None, DelayFlag, str | None]:
    if line.date is None:
        return None, DelayFlag.NO_DATE, "no date in this stamp"
    if previous is None or previous.date is None:
        return None, DelayFlag.FIRST, None
    if not line.zone_known or not previous.zone_known:
        # A date without a zone is local time somewhere; comparing it with
        # anything would be a guess (RFC 5322 section 3.3).
        which = "this stamp" if not line.zone_known else "the previous stamp"
        return None, DelayFlag.ZONE_UNKNOWN, f"zone unknown in {which}"
    delta = line.date - previous.date
    seconds = delta.total_seconds()
    span = describe_span(seconds)
    whole_half_hours = abs(seconds) >= _HALF_HOUR and abs(seconds) % _HALF_HOUR == 0
    if whole_half_hours:
        note = (
            f"{span}, an exact number of half hours: one of the two stamps "
            "most likely carries a wrong zone label"
        )
        return delta, DelayFlag.ZONE_LABEL, note
    if seconds < 0:
        note = f"{span}: earlier than the previous stamp, so the clocks disagree"
        if abs(seconds) > 86400:
            note += " (or this stamp was copied from another message)"
        return delta, DelayFlag.CLOCK_SKEW, note
    return delta, DelayFlag.OK, None


# ---------------------------------------------------------------------------
# Chain consistency
# ---------------------------------------------------------------------------


def _link(previous: Hop | None, line: ReceivedLine) -> Link:
    if line.kind is LineKind.UNPARSED:
        return Link(LinkStatus.NOT_CHECKED, "line not understood")
    if line.kind is LineKind.NOTE:
        return Link(LinkStatus.NOT_CHECKED, "no sending host in this stamp")
    if previous is None:
        return Link(LinkStatus.NOT_CHECKED, "first stamp")
    before = previous.line
    by = _clean(before.by)
    names = _from_names(line)
    index = previous.index
    if by is not None and by in names:
        return Link(LinkStatus.MATCH, f"names {before.by}", index)
    by_addresses = {normalize_address(before.by or "")[0], before.by_addr} - {None}
    loopback = line.from_addr is not None and _loopback(line.from_addr)
    if not loopback and line.from_addr in by_addresses:
        return Link(LinkStatus.MATCH, f"address of {before.by}", index)
    by_org = org_domain(by)
    if by is not None and by_org is not None:
        host = by.split(".", 1)[0]
        for name in names:
            if name.split(".", 1)[0] == host and org_domain(name) == by_org:
                reason = f"same host under another internal name ({before.by})"
                return Link(LinkStatus.MATCH, reason, index)
    return _explain_break(previous, line, names, by_org)


def _explain_break(
    previous: Hop, line: ReceivedLine, names: set[str], by_org: str | None
) -> Link:
    before = previous.line
    index = previous.index
    if line.retrieval:
        reason = "mailbox retrieval (POP3/IMAP): names the server it polled"
        return Link(LinkStatus.HARMLESS, reason, index)
    local_name = any(_is_localhost(n) for n in names)
    if (
        (line.from_addr and _loopback(line.from_addr))
        or (local_name and line.from_addr is None)
        or line.local_socket
    ):
        reason = "re-injection on the same host (content filter or local agent)"
        return Link(LinkStatus.HARMLESS, reason, index)
    if before.by is None:
        return Link(LinkStatus.HARMLESS, "the previous stamp names no host", index)
    if normalize_address(before.by)[0] is not None:
        # Google's internal hops are stamped "by 2002:a05:...": an address,
        # so there is no name to compare.
        reason = f"the previous host recorded only its address ({before.by})"
        return Link(LinkStatus.HARMLESS, reason, index)
    if _unqualified(before.by):
        reason = f"the previous host recorded only a local name ({before.by})"
        return Link(LinkStatus.HARMLESS, reason, index)
    if by_org is not None and by_org in {org_domain(n) for n in names}:
        return Link(LinkStatus.HARMLESS, f"internal hop within {by_org}", index)
    if is_internal_address(line.from_addr):
        reason = f"internal hop (private address {line.from_addr})"
        return Link(LinkStatus.HARMLESS, reason, index)
    if before.recipient and line.recipient and before.recipient != line.recipient:
        reason = (
            f"envelope recipient changed ({before.recipient} -> {line.recipient}): "
            "forwarding or list expansion"
        )
        return Link(LinkStatus.HARMLESS, reason, index)
    if not names and line.from_addr is None:
        return Link(LinkStatus.NOT_CHECKED, "no sending host recorded", index)
    said = line.from_rdns or line.from_helo or line.from_name or line.from_addr
    reason = f"says it came from {said}, but the previous stamp is by {before.by}"
    return Link(LinkStatus.BREAK, reason, index)


# ---------------------------------------------------------------------------
# Trust boundary
# ---------------------------------------------------------------------------


def _in_networks(addr: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    if addr is None:
        return False
    ip = ipaddress.ip_address(addr)
    return ip.is_loopback or any(ip in net for net in networks)


def _sender_inside(
    line: ReceivedLine, org_domains: set[str], options: PathOptions
) -> tuple[bool, str]:
    """Is the host that handed this hop over inside the receiving side?

    Limitation: without ``trusted_networks`` this is inferred, so an
    organisation whose internal relays use public addresses under unrelated
    reverse names is cut at the first such relay.
    """
    if line.kind is LineKind.NOTE:
        return True, "a stamp with no sending host"
    if options.trusted_networks:
        if line.from_addr is None:
            inside = any(_is_localhost(n) for n in _from_names(line))
            return inside, "no address; only localhost is trusted without one"
        inside = _in_networks(line.from_addr, options.trusted_networks)
        return (
            inside,
            f"{line.from_addr} {'in' if inside else 'not in'} trusted networks",
        )
    if line.from_addr is not None and is_internal_address(line.from_addr):
        return True, f"internal address {line.from_addr}"
    if line.retrieval:
        return True, "mailbox retrieval from the user's own provider"
    if line.authenticated:
        # SpamAssassin's inference: an authenticated client of a trusted
        # host is one of the organisation's own users.
        return True, f"authenticated ({line.auth_evidence})"
    rdns_org = org_domain(line.from_rdns)
    if rdns_org is not None and rdns_org in org_domains:
        # The reverse name was looked up by the trusted receiver, so unlike
        # the HELO name it is not the sender's claim.
        return True, f"reverse name {line.from_rdns} within {rdns_org}"
    if line.from_addr is None:
        names = _from_names(line)
        if any(_is_localhost(n) or "." not in n for n in names):
            return True, "a local name and no address"
        if {org_domain(n) for n in names} & org_domains:
            return True, "a name within the organisation and no address"
    if line.from_addr is not None:
        return False, f"{line.from_addr} is a public address outside it"
    return False, "no address, and a name outside it"


def _trust(
    hops: list[Hop], options: PathOptions
) -> tuple[dict[int, Trust], Boundary | None, set[str]]:
    trust: dict[int, Trust] = {}
    org_domains: set[str] = set()
    boundary: Boundary | None = None
    for hop in reversed(hops):
        line = hop.line
        if boundary is not None:
            trust[hop.index] = Trust.CLAIMED
            continue
        if line.kind is LineKind.UNPARSED:
            trust[hop.index] = Trust.RECEIVER
            continue
        domain = org_domain(line.by)
        if domain is not None:
            org_domains.add(domain)
        inside, reason = _sender_inside(line, org_domains, options)
        if inside and hop.link.status is LinkStatus.BREAK:
            # The sender is one of ours, but the stamp below was not written
            # by it: nothing older can be vouched for.
            inside, reason = False, "the stamp below does not connect to this one"
        if inside:
            trust[hop.index] = Trust.RECEIVER
            if line.retrieval:
                # The polled server belongs to the recipient's provider.
                for name in _from_names(line):
                    domain = org_domain(name)
                    if domain is not None:
                        org_domains.add(domain)
            continue
        trust[hop.index] = Trust.BOUNDARY
        boundary = Boundary(
            hop_index=hop.index,
            receiver=line.by,
            sender_helo=line.from_helo,
            sender_addr=line.from_addr,
            sender_rdns=line.from_rdns,
            configured=bool(options.trusted_networks),
            reason=reason,
        )
    return trust, boundary, org_domains


# ---------------------------------------------------------------------------
# Submission
# ---------------------------------------------------------------------------


def _desktop_helo(helo: str | None) -> bool:
    # A mail client greets with the machine's bare name ("PC", "User",
    # "DPLAPTOP"); servers greet with a qualified name or address literal.
    if not helo or helo.startswith("[") or _is_localhost(helo):
        return False
    return "." not in helo and normalize_address(helo)[0] is None


def _method(line: ReceivedLine) -> str:
    if line.kind is LineKind.NOTE:
        return line.note or "local submission"
    if line.protocol in {"HTTP", "HTTPS"} or (line.via or "").upper() == "HTTP":
        return "webmail or HTTP API"
    if line.protocol == "MAPI":
        return "Outlook client over MAPI"
    if line.retrieval:
        return "mailbox retrieval"
    if line.authenticated:
        return f"authenticated {line.protocol or 'SMTP'} submission"
    return f"{line.protocol or 'SMTP'} without recorded authentication"


def _submission(hops: list[Hop]) -> Submission | None:
    understood = [h for h in hops if h.line.understood]
    if not understood:
        return None
    entry = understood[0]
    line = entry.line
    client: ReceivedLine = line
    from_hop: int | None = None
    local_entry = line.from_addr is None or _loopback(line.from_addr)
    if line.kind is LineKind.NOTE or local_entry:
        # A local submission (a note, or SMTP on loopback): the network that
        # matters is the one the origin host used to hand the message on.
        # Relays on loopback (content filters, sendmail's MSP) stay on the
        # origin host, so the first hop with another address is taken.
        onward = next(
            (
                h
                for h in understood[1:]
                if h.line.kind is LineKind.RELAY
                and h.line.from_addr is not None
                and not _loopback(h.line.from_addr)
            ),
            None,
        )
        if onward is not None:
            client, from_hop = onward.line, onward.index
    authenticated: bool | None = line.authenticated
    if line.kind is LineKind.NOTE:
        authenticated = None
    entered_at = line.by
    if entered_at is None and from_hop is not None:
        entered_at = client.from_rdns or client.from_helo or client.from_addr
    return Submission(
        hop_index=entry.index,
        method=_method(line),
        entered_at=entered_at,
        when=line.date,
        authenticated=authenticated,
        auth_evidence=line.auth_evidence,
        auth_user=line.auth_user,
        client_helo=client.from_helo,
        client_addr=client.from_addr,
        client_rdns=client.from_rdns,
        network=classify_client(client.from_addr, client.from_rdns, client.from_helo),
        desktop_client=_desktop_helo(client.from_helo),
        tls=line.tls,
        tls_version=line.tls_version,
        network_from_hop=from_hop,
    )


# ---------------------------------------------------------------------------
# Summary headers and authentication
# ---------------------------------------------------------------------------


def _summary_headers(block: HeaderBlock) -> SummaryHeaders:
    def joined(name: str) -> str | None:
        values = [f.value for f in block.get_all(name) if f.value]
        return ", ".join(values) if values else None

    # The raw text, not the decoded value: the email package rewrites a Date
    # without a zone as "-0000", which would turn "zone unknown" into UTC.
    date_text = block.first_raw("Date")
    stamp = parse_date(date_text) if date_text else None
    return SummaryHeaders(
        from_=joined("From"),
        to=joined("To"),
        subject=block.first("Subject"),
        date_text=date_text,
        date=stamp.when if stamp else None,
        date_zone_known=stamp.zone_known if stamp else False,
        message_id=block.first("Message-ID"),
        return_path=block.first("Return-Path"),
    )


def _auth_summary(
    block: HeaderBlock, hops: list[Hop], trust: dict[int, Trust]
) -> AuthSummary:
    parsed = [
        parse_authentication_results(f.raw)
        for f in block.get_all("Authentication-Results")
    ]
    arc = parse_arc_sets(
        tuple(f.raw for f in block.get_all("ARC-Seal")),
        tuple(f.raw for f in block.get_all("ARC-Message-Signature")),
        tuple(f.raw for f in block.get_all("ARC-Authentication-Results")),
    )
    if not parsed:
        return AuthSummary(arc=arc)
    receivers: set[str] = set()
    for hop in hops:
        if trust.get(hop.index) in {Trust.RECEIVER, Trust.BOUNDARY}:
            for name in (hop.line.by, hop.line.by_addr):
                clean = _clean(name)
                if clean:
                    receivers.add(clean)
    receiver_orgs = {org_domain(n) for n in receivers} - {None}
    chosen: AuthenticationResults | None = None
    for header in parsed:
        ident = _clean(header.authserv_id)
        if ident and (ident in receivers or org_domain(ident) in receiver_orgs):
            chosen = header
            break
    matched = chosen is not None
    if chosen is None:
        # RFC 8601 section 5: the receiving host adds its field on top, so
        # the topmost one is its, unless the receiver failed to remove a
        # forged copy; said as such.
        chosen = parsed[0]
    ident = (chosen.authserv_id or "").lower()
    own = tuple(h for h in parsed if (h.authserv_id or "").lower() == ident)
    others = tuple(
        dict.fromkeys(
            h.authserv_id
            for h in parsed
            if h.authserv_id and h.authserv_id.lower() != ident
        )
    )
    return AuthSummary(
        authserv_id=chosen.authserv_id,
        matched_receiver=matched,
        headers=own,
        other_ids=others,
        arc=arc,
    )


# ---------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------


def build_journey(block: HeaderBlock, options: PathOptions | None = None) -> Journey:
    """Reconstruct the journey recorded in ``block``."""
    options = options or PathOptions()
    values = block.received
    lines = [_parse_received(v) for v in values]
    count = len(lines)

    # Travel order is the reverse of the stacking order.
    draft: list[Hop] = []
    last_dated: ReceivedLine | None = None
    last_with_by: Hop | None = None
    for travel, position in enumerate(range(count - 1, -1, -1), start=1):
        line = lines[position]
        if line.understood:
            delay, flag, note = _delay(line, last_dated)
        else:
            delay, flag, note = None, DelayFlag.NO_DATE, "line not understood"
        link = _link(last_with_by, line)
        hop = Hop(travel, position, line, delay, flag, note, link, Trust.RECEIVER)
        draft.append(hop)
        if line.understood and line.date is not None:
            last_dated = line
        if line.understood and (line.by is not None or line.kind is LineKind.RELAY):
            last_with_by = hop

    trust, boundary, org_domains = _trust(draft, options)
    hops = [
        Hop(
            h.index,
            h.position,
            h.line,
            h.delay,
            h.delay_flag,
            h.delay_note,
            h.link,
            trust[h.index],
        )
        for h in draft
    ]
    dated = [h.line.date for h in hops if h.line.date and h.line.zone_known]
    total = dated[-1] - dated[0] if len(dated) >= 2 else None
    journey = Journey(
        hops=tuple(hops),
        headers=_summary_headers(block),
        submission=_submission(hops),
        boundary=boundary,
        auth=_auth_summary(block, hops, trust),
        receiving_domains=tuple(sorted(org_domains)),
        total_time=total,
        defects=block.defects,
    )
    logger.debug(
        "journey.built hops=%d boundary=%s", len(hops), boundary and boundary.hop_index
    )
    return journey


def journey_from_bytes(data: bytes, options: PathOptions | None = None) -> Journey:
    """Read a message (or its headers) and reconstruct its journey.

    Raises :class:`netprobe.headerblock.NotAMessageError` when ``data`` has no
    header fields.
    """
    return build_journey(read_header_block(data), options)
