"""Certificate names: does a certificate name the host that was asked for?

OpenSSL (through ``ssl``) checks the chain; the name is checked here, by the
rules of RFC 6125 section 6.4, so that the probe can keep the certificate's
details when the name does not match. A mismatch is evidence (the connection
may have reached another machine), not a reason to lose what was seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# What ssl.SSLSocket.getpeercert() returns: tuples of (key, value) pairs.
PeerCert = Mapping[str, object]


def dns_names(cert: PeerCert) -> tuple[str, ...]:
    """The DNS names a certificate is for: its SANs, else its subject CN.

    RFC 6125 6.4.4: the CN is consulted only when there is no DNS SAN.
    """
    sans = cert.get("subjectAltName", ())
    names = [v.lower() for k, v in _pairs(sans) if k == "DNS"]
    if names:
        return tuple(names)
    return tuple(v.lower() for k, v in _subject_pairs(cert) if k == "commonName")


def subject_text(cert: PeerCert, field: str = "subject") -> str | None:
    parts = [f"{k}={v}" for k, v in _subject_pairs(cert, field)]
    return ", ".join(parts) or None


def matches(host: str, names: Iterable[str]) -> bool:
    """RFC 6125 6.4.3: exact match, or ``*`` as the whole leftmost label."""
    host = host.lower().rstrip(".")
    for listed in names:
        name = listed.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host:
            # The wildcard covers exactly one label, never a public suffix
            # alone: "*.example" must not match "a.b.example".
            _, _, parent = host.partition(".")
            if parent == name[2:] and parent.count(".") >= 1:
                return True
    return False


def _pairs(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, tuple | list):
        return []
    return [
        (str(item[0]), str(item[1]))
        for item in value
        if isinstance(item, tuple) and len(item) == 2
    ]


def _subject_pairs(cert: PeerCert, field: str = "subject") -> list[tuple[str, str]]:
    rdns = cert.get(field, ())
    if not isinstance(rdns, tuple | list):
        return []
    return [pair for rdn in rdns for pair in _pairs(rdn)]
