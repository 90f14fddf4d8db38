"""The values that flow through the pipeline, from DNS answers to advice.

Every stage takes and returns these frozen dataclasses, so that a stage can be
tested by building its input by hand and reports can be written from them
without knowing how they were made. Names follow the vocabulary in DESIGN.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Family(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"


class Service(StrEnum):
    """What a port is for, which decides how it is spoken to.

    ``smtp`` is MTA-to-MTA delivery (port 25, STARTTLS when offered),
    ``submission`` is RFC 6409 (587, STARTTLS), ``submissions`` is RFC 8314
    implicit TLS (465).
    """

    SMTP = "smtp"
    SUBMISSION = "submission"
    SUBMISSIONS = "submissions"

    @property
    def implicit_tls(self) -> bool:
        return self is Service.SUBMISSIONS


class Security(StrEnum):
    STARTTLS = "starttls"
    IMPLICIT_TLS = "implicit_tls"
    NONE = "none"


class Role(StrEnum):
    """Why a host is probed."""

    EXCHANGE = "exchange"
    SUBMISSION = "submission"
    REFERENCE = "reference"


class Outcome(StrEnum):
    """What one probe saw (DESIGN.md, "outcome")."""

    OPEN = "open"
    REFUSED = "refused"
    FILTERED = "filtered"
    PROHIBITED = "prohibited"
    UNREACHABLE = "unreachable"
    INTERCEPTED = "intercepted"
    REJECTED = "rejected"
    NOT_SMTP = "not_smtp"
    TLS_FAILED = "tls_failed"

    @property
    def blocked(self) -> bool:
        """No SMTP conversation with the intended host was possible."""
        return self in _BLOCKED


_BLOCKED = frozenset(
    {
        Outcome.REFUSED,
        Outcome.FILTERED,
        Outcome.PROHIBITED,
        Outcome.UNREACHABLE,
        Outcome.INTERCEPTED,
    }
)


@dataclass(frozen=True)
class PortSpec:
    """A port to probe and the service it is spoken to as."""

    number: int
    service: Service

    @classmethod
    def standard(cls, number: int) -> PortSpec:
        services = {25: Service.SMTP, 587: Service.SUBMISSION, 465: Service.SUBMISSIONS}
        return cls(number, services.get(number, Service.SMTP))


DEFAULT_PORTS = (PortSpec.standard(25), PortSpec.standard(587), PortSpec.standard(465))


# --- resolve -----------------------------------------------------------------


class DnsStatus(StrEnum):
    """How a DNS question ended. Only ``ok`` carries records.

    ``nxdomain`` and ``no_answer`` are answers from the DNS about the name;
    ``servfail``, ``refused`` and ``timeout`` say the resolver could not get
    an answer, which is a fault of the path or the servers, not of the name.
    """

    OK = "ok"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no_answer"
    SERVFAIL = "servfail"
    REFUSED = "refused"
    TIMEOUT = "timeout"

    @property
    def resolver_failure(self) -> bool:
        return self in {DnsStatus.SERVFAIL, DnsStatus.REFUSED, DnsStatus.TIMEOUT}


@dataclass(frozen=True)
class DnsQuery:
    """One question asked and how it ended."""

    name: str
    rdtype: str
    status: DnsStatus
    detail: str = ""
    seconds: float = 0.0


class MailRouting(StrEnum):
    """How the domain says mail should reach it (RFC 5321 5.1, RFC 7505)."""

    MX = "mx"
    IMPLICIT_MX = "implicit_mx"
    NULL_MX = "null_mx"
    NXDOMAIN = "nxdomain"
    NO_MAIL = "no_mail"
    DNS_FAILURE = "dns_failure"


@dataclass(frozen=True)
class Host:
    """A named host with its addresses, in the order they should be tried."""

    name: str
    addresses: tuple[str, ...]
    queries: tuple[DnsQuery, ...] = ()


@dataclass(frozen=True)
class Exchange:
    """A host named by an MX record, with its preference."""

    host: Host
    preference: int


@dataclass(frozen=True)
class SubmissionHost:
    """A host a mail client could submit to, and where it came from.

    ``source`` is ``srv`` (RFC 6186 records, which also name the port),
    ``name`` (the usual smtp./mail. names that resolved) or ``exchange`` (an
    MX host, the last resort). Without an SRV port, the profile's ports apply.
    """

    host: Host
    source: str
    port: PortSpec | None = None


@dataclass(frozen=True)
class Resolution:
    domain: str
    display_name: str
    routing: MailRouting
    exchanges: tuple[Exchange, ...]
    submission_hosts: tuple[SubmissionHost, ...]
    queries: tuple[DnsQuery, ...]
    resolver: str
    seconds: float
    references: tuple[Host, ...] = ()
    # What DNS says about TLS on port 25: the MTA-STS record of the domain
    # (RFC 8461 3.1) and the exchanges that publish TLSA at _25._tcp (RFC
    # 7672 2.2). Either says STARTTLS should be there.
    mta_sts: str | None = None
    dane_exchanges: tuple[str, ...] = ()
    mailbox_hosts: tuple[MailboxHost, ...] = ()


# --- plan and probe ----------------------------------------------------------


@dataclass(frozen=True)
class ProbeSpec:
    """One (host, address, port) to probe, and why."""

    host: str
    address: str
    family: Family
    port: int
    service: Service
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class TlsInfo:
    """What the TLS handshake showed, verified or not."""

    version: str | None
    cipher: str | None
    verified: bool
    verify_error: str | None
    subject: str | None
    issuer: str | None
    names: tuple[str, ...]
    not_after: str | None


@dataclass(frozen=True)
class Observation:
    """Everything the probe saw on one connection, before interpretation.

    ``connect_error`` is the mapped errno name (``ECONNREFUSED``) or
    ``timeout``; later fields are set only as far as the conversation got.
    ``failure`` names the step that stopped it and why.
    """

    spec: ProbeSpec
    connected: bool
    connect_error: str | None = None
    connect_errno: int | None = None
    greeting: tuple[int, tuple[str, ...]] | None = None
    ehlo: tuple[int, tuple[str, ...]] | None = None
    starttls_reply: tuple[int, tuple[str, ...]] | None = None
    ehlo_after_tls: tuple[int, tuple[str, ...]] | None = None
    tls: TlsInfo | None = None
    failure_step: str | None = None
    failure: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    local_address: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """One probe's outcome, with the evidence that decided it."""

    spec: ProbeSpec
    outcome: Outcome
    detail: str
    observation: Observation
    greeting_host: str | None = None
    starttls: bool | None = None
    auth: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    packets: SynProbe | None = None
    hop: Hop | None = None
    forged: bool | None = None

    @property
    def works(self) -> bool:
        return self.outcome is Outcome.OPEN


# --- packet evidence ---------------------------------------------------------


class Answer(StrEnum):
    """What came back for one SYN sent from a raw socket."""

    SYN_ACK = "syn_ack"
    RESET = "reset"
    UNREACHABLE = "unreachable"
    TIME_EXCEEDED = "time_exceeded"
    NONE = "none"


@dataclass(frozen=True)
class PacketReply:
    """The reply a SYN drew, as it arrived.

    ``source`` is the sender written in the packet: a router's own address
    for ICMP, but the server's address for a SYN-ACK or RST even when a
    middlebox forged it, which is why ``ttl`` is kept. ``seconds`` runs from
    the SYN to the reply; ICMP fields are set for ICMP replies only.
    """

    answer: Answer
    source: str | None = None
    ttl: int | None = None
    seconds: float | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None


@dataclass(frozen=True)
class SynProbe:
    """One SYN (resent once if unanswered) to an address and port.

    ``ttl`` is the TTL or hop limit the SYN was sent with: 64 for a plain
    probe, the hop number being asked in a traceroute.
    """

    address: str
    family: Family
    port: int
    ttl: int
    reply: PacketReply
    sent: int = 1


@dataclass(frozen=True)
class Trace:
    """A TCP traceroute: one SYN probe per TTL, from 1 upwards."""

    address: str
    family: Family
    port: int
    hops: tuple[SynProbe, ...]


@dataclass(frozen=True)
class Hop:
    """A machine on the path, where known.

    ``distance`` counts hops as traceroute does: 1 is the first router, and
    a machine at distance n is reached by a TTL of n. A reply's distance is
    ``initial TTL - received TTL + 1``, so that a router's reply and its
    place in a traceroute give the same number.
    """

    address: str | None
    name: str | None
    distance: int | None


@dataclass(frozen=True)
class PacketEvidence:
    """What the packet stage gathered, or the one line saying why not."""

    status: str
    gathered: bool = False
    probes: tuple[SynProbe, ...] = ()
    traces: tuple[Trace, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


# --- the receiving side ------------------------------------------------------


class MailboxService(StrEnum):
    """How a mail client fetches mail from its own provider.

    IMAP (RFC 9051) and POP3 (RFC 1939), each either upgraded with STARTTLS
    (143, 110; RFC 2595) or spoken inside implicit TLS (993, 995; RFC 8314).
    """

    IMAP = "imap"
    IMAPS = "imaps"
    POP3 = "pop3"
    POP3S = "pop3s"

    @property
    def implicit_tls(self) -> bool:
        return self in (MailboxService.IMAPS, MailboxService.POP3S)

    @property
    def protocol(self) -> str:
        """``imap`` or ``pop3``: the conversation, whatever the TLS mode."""
        return "imap" if self in (MailboxService.IMAP, MailboxService.IMAPS) else "pop3"


@dataclass(frozen=True)
class MailboxPort:
    """A receiving-side port and the service it is spoken to as."""

    number: int
    service: MailboxService

    @classmethod
    def standard(cls, number: int) -> MailboxPort | None:
        services = {
            143: MailboxService.IMAP,
            993: MailboxService.IMAPS,
            110: MailboxService.POP3,
            995: MailboxService.POP3S,
        }
        service = services.get(number)
        return cls(number, service) if service else None


# RFC 8314 4.1 asks clients to prefer implicit TLS; IMAP before POP3 because
# it keeps mail on the server, which is what most providers advise.
DEFAULT_MAILBOX_PORTS = (
    MailboxPort(993, MailboxService.IMAPS),
    MailboxPort(143, MailboxService.IMAP),
    MailboxPort(995, MailboxService.POP3S),
    MailboxPort(110, MailboxService.POP3),
)


@dataclass(frozen=True)
class MailboxHost:
    """A host a mail client could fetch mail from, and where it came from.

    ``source`` is ``srv`` (RFC 6186 ``_imaps._tcp`` and friends, which also
    name the port) or ``name`` (the usual imap./pop./mail. names).
    """

    host: Host
    source: str
    port: MailboxPort | None = None


@dataclass(frozen=True)
class MailboxSpec:
    """One receiving-side (host, address, port) to probe."""

    host: str
    address: str
    family: Family
    port: int
    service: MailboxService


@dataclass(frozen=True)
class MailboxObservation:
    """What a receiving-side probe saw, before interpretation.

    ``greeting`` is the server's first line (``* OK ...`` or ``+OK ...``);
    ``capabilities`` are those announced before TLS, ``capabilities_after_tls``
    those after STARTTLS or inside implicit TLS.
    """

    spec: MailboxSpec
    connected: bool
    connect_error: str | None = None
    connect_errno: int | None = None
    greeting: str | None = None
    capabilities: tuple[str, ...] | None = None
    starttls_reply: str | None = None
    capabilities_after_tls: tuple[str, ...] | None = None
    tls: TlsInfo | None = None
    failure_step: str | None = None
    failure: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    local_address: str | None = None


@dataclass(frozen=True)
class MailboxResult:
    """One receiving-side probe's outcome, in the same words as SMTP's.

    ``not_smtp`` here means the port does not speak the protocol expected
    (IMAP or POP3); ``rejected`` is a ``* BYE`` or ``-ERR`` greeting.
    """

    spec: MailboxSpec
    outcome: Outcome
    detail: str
    observation: MailboxObservation
    starttls: bool | None = None
    capabilities: tuple[str, ...] = ()

    @property
    def works(self) -> bool:
        return self.outcome is Outcome.OPEN


# --- diagnose and advise -----------------------------------------------------


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    """A conclusion over many outcomes, with its evidence and confidence."""

    code: str
    severity: Severity
    summary: str
    confidence: Confidence
    evidence: tuple[str, ...] = ()
    how: str | None = None
    families: tuple[Family, ...] = ()
    hosts: tuple[str, ...] = ()
    hop: Hop | None = None
    forged: bool | None = None


@dataclass(frozen=True)
class Advice:
    """A setting a user can type into a mail client, or try next."""

    rank: int
    host: str | None
    port: int | None
    security: Security | None
    login: bool | None
    purpose: str
    reason: str
    # Set for incoming-server advice only ("imap" or "pop3"); advice for
    # sending mail is always SMTP.
    protocol: str | None = None


class Status(StrEnum):
    """The overall answer, which also decides the exit code."""

    OK = "ok"
    DEGRADED = "degraded"
    BLOCKED = "blocked"
    NO_MAIL = "no_mail"


@dataclass(frozen=True)
class Verdict:
    status: Status
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class CheckReport:
    """A whole check: the input, every stage's output, and the timings."""

    target: str
    display_target: str
    started: str
    seconds: float
    resolution: Resolution
    results: tuple[ProbeResult, ...]
    findings: tuple[Finding, ...]
    advice: tuple[Advice, ...]
    verdict: Verdict
    tool_version: str
    probe_seconds: float = 0.0
    settings: dict[str, object] = field(default_factory=dict)
    packets: PacketEvidence = field(
        default_factory=lambda: PacketEvidence("not gathered: not run")
    )
    mailbox_results: tuple[MailboxResult, ...] = ()
    expectations: tuple[ExpectationResult, ...] = ()
    # What this run could not do and why, e.g. a part that needs a library
    # or a privilege this machine lacks; reports say so instead of hiding it.
    skipped: tuple[str, ...] = ()


# --- expectations ------------------------------------------------------------


@dataclass(frozen=True)
class ExpectationResult:
    """Whether one of a profile's expectations held, and what was seen.

    ``expect`` is the expectation as the profile wrote it (its keys and
    values), so that a report shows it without knowing the profile.
    """

    name: str
    expect: dict[str, object]
    holds: bool
    seen: str
