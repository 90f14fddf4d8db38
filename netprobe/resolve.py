"""Resolve: from a domain to its exchanges and submission hosts.

dnspython does the DNS; this module asks the questions a mail client and an
MTA would ask, concurrently, and keeps every answer's status, so that "the
domain does not exist" (NXDOMAIN) is never confused with "your resolver did
not answer" (SERVFAIL, REFUSED, timeout).

The order of exchanges follows RFC 5321 section 5.1: ascending preference,
random order among equal preferences (seedable for tests). Null MX is RFC
7505; SRV records for submission are RFC 6186 and RFC 8314. What DNS says
about TLS on port 25 is asked alongside: the domain's MTA-STS record (RFC
8461 3.1) and each exchange's TLSA records (RFC 7672 2.2), so that a path
that strips STARTTLS can be told from a server that never offered it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdata
import dns.rdatatype
import dns.resolver
import dns.reversename
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.ANY.TXT import TXT
from dns.rdtypes.IN.SRV import SRV

from netprobe.domain import DomainName
from netprobe.errors import UsageError
from netprobe.model import (
    DnsQuery,
    DnsStatus,
    Exchange,
    Host,
    MailboxHost,
    MailboxPort,
    MailboxService,
    MailRouting,
    PortSpec,
    Resolution,
    Service,
    SubmissionHost,
)

log = logging.getLogger(__name__)

# RFC 6186 section 3.1 / RFC 8314 section 5.1.
_SRV_SERVICES = (
    ("_submissions._tcp", Service.SUBMISSIONS),
    ("_submission._tcp", Service.SUBMISSION),
)
# RFC 6186 3.2 / 3.3 and RFC 8314 5.1: implicit TLS first.
_MAILBOX_SRV = (
    ("_imaps._tcp", MailboxService.IMAPS),
    ("_imap._tcp", MailboxService.IMAP),
    ("_pop3s._tcp", MailboxService.POP3S),
    ("_pop3._tcp", MailboxService.POP3),
)


@dataclass(frozen=True)
class ResolveConfig:
    nameserver: str | None = None
    timeout: float = 2.0
    lifetime: float = 5.0
    seed: int | None = None
    submission_names: tuple[str, ...] = ("smtp", "mail")
    references: tuple[str, ...] = ()
    # The receiving side: SRV records and the usual names of the mail host.
    receiving: bool = False
    mailbox_names: tuple[str, ...] = ("imap", "pop", "mail")


@dataclass(frozen=True)
class _Answer:
    query: DnsQuery
    records: tuple[dns.rdata.Rdata, ...] = ()


def parse_nameserver(text: str) -> tuple[str, int]:
    """``ADDRESS``, ``ADDRESS:PORT`` or ``[IPV6]:PORT`` -> (address, port)."""
    import ipaddress

    address, port = text.strip(), 53
    if address.startswith("["):
        inside, bracket, rest = address[1:].partition("]")
        if not bracket or rest[:1] not in ("", ":"):
            raise UsageError(f"--resolver {text!r}: write [IPV6]:PORT")
        address = inside
        if rest:
            port = _port(text, rest[1:])
    elif address.count(":") == 1:
        address, _, port_text = address.partition(":")
        port = _port(text, port_text)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise UsageError(
            f"--resolver {text!r}: give an IP address, optionally with :PORT"
        ) from None
    return address, port


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"--resolver {text!r}: the port must be 1-65535")
    return int(port_text)


class Resolver:
    """Asks DNS questions and records each one's outcome as a value."""

    def __init__(self, config: ResolveConfig) -> None:
        self._config = config
        if config.nameserver is None:
            try:
                self._resolver = dns.asyncresolver.Resolver(configure=True)
            except dns.resolver.NoResolverConfiguration:
                # No /etc/resolv.conf or no nameserver in it: every query
                # will fail as a resolver failure, which is the right finding.
                self._resolver = dns.asyncresolver.Resolver(configure=False)
                self._resolver.nameservers = []
        else:
            address, port = parse_nameserver(config.nameserver)
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = [address]
            self._resolver.port = port
        self._resolver.timeout = config.timeout
        self._resolver.lifetime = config.lifetime
        # A lying or broken resolver can answer SERVFAIL; asking it again
        # within the lifetime is what a stub resolver does anyway.
        self._resolver.retry_servfail = False

    @property
    def description(self) -> str:
        servers = [str(s) for s in self._resolver.nameservers]
        port = self._resolver.port
        text = ", ".join(servers) or "none configured"
        return text if port == 53 else f"{text} (port {port})"

    async def ask(self, name: str, rdtype: str) -> _Answer:
        started = time.monotonic()
        log.debug("resolve.query name=%s type=%s", name, rdtype)
        if not self._resolver.nameservers:
            return _Answer(
                DnsQuery(name, rdtype, DnsStatus.TIMEOUT, "no DNS resolver is set up")
            )
        status, detail, records = DnsStatus.OK, "", ()
        try:
            answer = await self._resolver.resolve(name, rdtype, search=False)
            records = tuple(answer)
        except dns.resolver.NXDOMAIN:
            status = DnsStatus.NXDOMAIN
        except dns.resolver.NoAnswer:
            status = DnsStatus.NO_ANSWER
        except dns.resolver.NoNameservers as exc:
            status, detail = _nameserver_failure(exc)
        except dns.exception.Timeout:
            status, detail = DnsStatus.TIMEOUT, "no answer in time"
        except dns.exception.DNSException as exc:
            # YXDOMAIN, malformed answers, a name too long once a label is
            # added: the resolver gave nothing usable.
            status, detail = DnsStatus.SERVFAIL, f"{type(exc).__name__}: {exc}"
        seconds = time.monotonic() - started
        log.debug("resolve.answer name=%s type=%s status=%s", name, rdtype, status)
        return _Answer(DnsQuery(name, rdtype, status, detail, seconds), records)

    async def addresses(self, name: str) -> Host:
        """AAAA and A of ``name``, IPv6 first as RFC 8305 prefers."""
        answers = await asyncio.gather(self.ask(name, "AAAA"), self.ask(name, "A"))
        found = tuple(r.to_text() for a in answers for r in a.records)
        return Host(name, tuple(dict.fromkeys(found)), tuple(a.query for a in answers))

    async def reverse_name(self, address: str) -> str | None:
        answer = await self.ask(dns.reversename.from_address(address).to_text(), "PTR")
        return answer.records[0].to_text().rstrip(".") if answer.records else None


def _nameserver_failure(exc: dns.resolver.NoNameservers) -> tuple[DnsStatus, str]:
    errors: Sequence[tuple[object, ...]] = exc.kwargs.get("errors", ())
    texts = [str(e[3]) for e in errors if len(e) > 3]
    if texts and all(t == "REFUSED" for t in texts):
        return DnsStatus.REFUSED, "the resolver refused to answer"
    if texts and all(t == "SERVFAIL" for t in texts):
        return DnsStatus.SERVFAIL, "the resolver answered SERVFAIL"
    return DnsStatus.SERVFAIL, "; ".join(dict.fromkeys(texts)) or str(exc)


def order_exchanges(
    records: Sequence[tuple[int, str]], rng: random.Random
) -> list[tuple[int, str]]:
    """RFC 5321 5.1: lowest preference first, shuffled within a preference."""
    by_preference: dict[int, list[str]] = {}
    for preference, name in records:
        by_preference.setdefault(preference, []).append(name)
    ordered: list[tuple[int, str]] = []
    seen: set[str] = set()
    for preference in sorted(by_preference):
        # A host listed again at a higher preference is the same host, not a
        # fallback: keep it only where it comes first.
        names = [n for n in dict.fromkeys(by_preference[preference]) if n not in seen]
        seen.update(names)
        rng.shuffle(names)
        ordered.extend((preference, name) for name in names)
    return ordered


def is_null_mx(records: Sequence[tuple[int, str]]) -> bool:
    """RFC 7505 3: a single MX of preference 0 whose exchange is the root."""
    return len(records) == 1 and records[0] == (0, "")


async def resolve(domain: DomainName, config: ResolveConfig) -> Resolution:
    started = time.monotonic()
    resolver = Resolver(config)
    name = domain.ascii

    # Every first-round question is independent: ask them all at once.
    guesses = [f"{label}.{name}" for label in config.submission_names]
    mx_answer, srv_answers, guess_hosts, references, sts = await asyncio.gather(
        resolver.ask(name, "MX"),
        asyncio.gather(*(resolver.ask(f"{s}.{name}", "SRV") for s, _ in _SRV_SERVICES)),
        asyncio.gather(*(resolver.addresses(g) for g in guesses)),
        asyncio.gather(*(resolver.addresses(r) for r in config.references)),
        resolver.ask(f"_mta-sts.{name}", "TXT"),
    )
    queries: list[DnsQuery] = [mx_answer.query]
    queries += [a.query for a in srv_answers]

    routing, exchanges = await _exchanges(resolver, name, mx_answer, config, queries)
    submission, tlsa = await asyncio.gather(
        _submission_hosts(resolver, srv_answers, guess_hosts, exchanges),
        asyncio.gather(
            *(resolver.ask(f"_25._tcp.{e.host.name}", "TLSA") for e in exchanges)
        ),
    )
    for host in (*guess_hosts, *references):
        queries += host.queries
    queries += [sts.query, *(a.query for a in tlsa)]
    mailbox: list[MailboxHost] = []
    if config.receiving and routing not in (MailRouting.NXDOMAIN, MailRouting.NULL_MX):
        mailbox = await _mailbox_hosts(resolver, name, config, guess_hosts, queries)

    return Resolution(
        domain=name,
        display_name=domain.display,
        routing=routing,
        exchanges=tuple(exchanges),
        submission_hosts=tuple(submission),
        references=tuple(references),
        mailbox_hosts=tuple(mailbox),
        queries=tuple(queries),
        resolver=resolver.description,
        seconds=time.monotonic() - started,
        mta_sts=_mta_sts(sts),
        # Limitation: RFC 7672 trusts TLSA records only when DNSSEC validates
        # them; here their presence is read as the domain's intent, which is
        # all that telling a stripped STARTTLS apart needs.
        dane_exchanges=tuple(
            e.host.name
            for e, answer in zip(exchanges, tlsa, strict=True)
            if answer.records
        ),
    )


def _mta_sts(answer: _Answer) -> str | None:
    """The domain's MTA-STS record: RFC 8461 3.1, a TXT record at
    ``_mta-sts.<domain>`` that starts with ``v=STSv1``."""
    for record in answer.records:
        if isinstance(record, TXT):
            text = b"".join(record.strings).decode("ascii", "replace").strip()
            if text.startswith("v=STSv1"):
                return text
    return None


async def _exchanges(
    resolver: Resolver,
    name: str,
    mx_answer: _Answer,
    config: ResolveConfig,
    queries: list[DnsQuery],
) -> tuple[MailRouting, list[Exchange]]:
    status = mx_answer.query.status
    if status is DnsStatus.NXDOMAIN:
        return MailRouting.NXDOMAIN, []
    if status.resolver_failure:
        return MailRouting.DNS_FAILURE, []

    if status is DnsStatus.NO_ANSWER:
        # RFC 5321 5.1: no MX, so the domain itself is the implicit exchange.
        host = await resolver.addresses(name)
        queries.extend(host.queries)
        if host.addresses:
            return MailRouting.IMPLICIT_MX, [Exchange(host, 0)]
        if any(q.status.resolver_failure for q in host.queries):
            return MailRouting.DNS_FAILURE, []
        return MailRouting.NO_MAIL, []

    # The root name stands for "no exchange" (RFC 7505); keep it as "".
    records = [
        (r.preference, "" if r.exchange == dns.name.root else r.exchange.to_text())
        for r in mx_answer.records
        if isinstance(r, MX)
    ]
    records = [(p, n.rstrip(".").lower()) for p, n in records]
    if is_null_mx(records):
        return MailRouting.NULL_MX, []
    # A "." among other MX records is a misconfiguration (RFC 7505 3); the
    # real exchanges still work, so drop it rather than give up.
    records = [(p, n) for p, n in records if n]
    ordered = order_exchanges(records, random.Random(config.seed))
    hosts = await asyncio.gather(*(resolver.addresses(n) for _, n in ordered))
    for host in hosts:
        queries.extend(host.queries)
    exchanges = [
        Exchange(host, preference)
        for (preference, _), host in zip(ordered, hosts, strict=True)
    ]
    return MailRouting.MX, exchanges


async def _submission_hosts(
    resolver: Resolver,
    srv_answers: Sequence[_Answer],
    guess_hosts: Sequence[Host],
    exchanges: Sequence[Exchange],
) -> list[SubmissionHost]:
    found: list[SubmissionHost] = []

    targets: list[tuple[str, PortSpec]] = []
    for (_, service), answer in zip(_SRV_SERVICES, srv_answers, strict=True):
        # RFC 2782: lowest priority first, heavier weight first among equals.
        srv = [r for r in answer.records if isinstance(r, SRV)]
        for r in sorted(srv, key=lambda r: (r.priority, -r.weight)):
            target = r.target.to_text(omit_final_dot=True).lower()
            # RFC 6186 3.4: a target of "." says the service is not offered.
            if target in ("", "@", "."):
                continue
            targets.append((target, PortSpec(r.port, service)))
    srv_hosts = await asyncio.gather(*(resolver.addresses(t) for t, _ in targets))
    for host, (_, port) in zip(srv_hosts, targets, strict=True):
        if host.addresses:
            found.append(SubmissionHost(host, "srv", port))

    found += [SubmissionHost(h, "name") for h in guess_hosts if h.addresses]
    found += [SubmissionHost(e.host, "exchange") for e in exchanges if e.host.addresses]
    return found


async def _mailbox_hosts(
    resolver: Resolver,
    name: str,
    config: ResolveConfig,
    known: Sequence[Host],
    queries: list[DnsQuery],
) -> list[MailboxHost]:
    """Where a mail client fetches mail: RFC 6186 SRV records first, each
    naming its port, then the usual names that resolve. ``known`` are hosts
    already looked up (mail. for submission), not asked about twice."""
    resolved = {h.name: h for h in known}
    wanted = [f"{n}.{name}" for n in config.mailbox_names]
    srv_answers, new_hosts = await asyncio.gather(
        asyncio.gather(*(resolver.ask(f"{s}.{name}", "SRV") for s, _ in _MAILBOX_SRV)),
        asyncio.gather(*(resolver.addresses(n) for n in wanted if n not in resolved)),
    )
    for host in new_hosts:
        resolved[host.name] = host
        queries += host.queries
    named = [resolved[n] for n in wanted]
    queries += [a.query for a in srv_answers]
    targets: list[tuple[str, MailboxPort]] = []
    for (_, service), answer in zip(_MAILBOX_SRV, srv_answers, strict=True):
        srv = [r for r in answer.records if isinstance(r, SRV)]
        for r in sorted(srv, key=lambda r: (r.priority, -r.weight)):
            target = r.target.to_text(omit_final_dot=True).lower()
            # RFC 6186 3.4: a target of "." says the service is not offered.
            if target not in ("", "@", "."):
                targets.append((target, MailboxPort(r.port, service)))
    srv_hosts = await asyncio.gather(*(resolver.addresses(t) for t, _ in targets))
    found = [
        MailboxHost(host, "srv", port)
        for host, (_, port) in zip(srv_hosts, targets, strict=True)
        if host.addresses
    ]
    for host in srv_hosts:
        queries += host.queries
    found += [MailboxHost(h, "name") for h in named if h.addresses]
    return found
