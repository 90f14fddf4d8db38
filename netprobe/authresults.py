"""Authentication-Results (RFC 8601) and ARC sets (RFC 8617), read offline.

Nothing here verifies a signature or looks anything up: it reads what the
receiving systems wrote. Which ``Authentication-Results`` field can be
believed is decided by the caller from the trust boundary of the path
(RFC 8601 section 7.1: only fields added by the receiving organisation, under
its own authserv-id, mean anything).

Limitation: ARC seals and message signatures are reported as written, not
verified; verifying them needs the signers' DNS keys (RFC 8617 section 5.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netprobe.received import Token, TokenKind, tokenize

__all__ = [
    "ArcSet",
    "AuthResult",
    "AuthenticationResults",
    "parse_arc_sets",
    "parse_authentication_results",
    "parse_tag_list",
]


@dataclass(frozen=True)
class AuthResult:
    """One ``method=result`` with its reason and properties."""

    method: str
    result: str
    reason: str | None = None
    properties: tuple[tuple[str, str], ...] = ()
    comment: str | None = None

    def prop(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.properties:
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class AuthenticationResults:
    raw: str
    authserv_id: str | None
    version: str | None = None
    results: tuple[AuthResult, ...] = ()
    problems: tuple[str, ...] = ()

    def by_method(self, method: str) -> tuple[AuthResult, ...]:
        return tuple(r for r in self.results if r.method.lower() == method)


def _segments(tokens: list[Token]) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for tok in tokens:
        if tok.kind is TokenKind.SEMI:
            out.append([])
        else:
            out[-1].append(tok)
    return [seg for seg in out if seg]


def _pairs(segment: list[Token]) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Read ``key=value`` pairs, allowing CFWS around "=" (RFC 8601 2.2).

    Returns the pairs, the bare words that were not part of a pair, and the
    comments.
    """
    pairs: list[tuple[str, str]] = []
    words: list[str] = []
    comments: list[str] = []
    pending_key: str | None = None
    want_value = False
    for tok in segment:
        if tok.kind is TokenKind.COMMENT:
            comments.append(tok.text)
            continue
        text = tok.text
        if want_value and pending_key is not None:
            pairs.append((pending_key, text.lstrip("=")))
            pending_key, want_value = None, False
            continue
        if tok.kind is TokenKind.ATOM and "=" in text:
            key, _, value = text.partition("=")
            if not key and pending_key is not None:
                key, pending_key = pending_key, None
            if value:
                pairs.append((key, value))
            else:
                pending_key, want_value = key, True
            continue
        if pending_key is not None:
            words.append(pending_key)
        pending_key = text
    if pending_key is not None:
        words.append(pending_key)
    return pairs, words, comments


def parse_authentication_results(value: str) -> AuthenticationResults:
    """Read one Authentication-Results value.

    Microsoft 365 writes the authserv-id after the first result
    (``spf=pass (...) smtp.helo=x; outlook.com; dkim=...``); the id is taken
    from the first segment that is not a result, and the oddity is recorded.
    """
    tokens = tokenize(value)
    problems: list[str] = []
    authserv_id: str | None = None
    version: str | None = None
    results: list[AuthResult] = []
    for index, segment in enumerate(_segments(tokens)):
        pairs, words, comments = _pairs(segment)
        if not pairs:
            if authserv_id is None and words:
                authserv_id = words[0]
                if len(words) > 1 and words[1].isdigit():
                    version = words[1]
                if index > 0:
                    problems.append("authserv-id is not first")
            elif words and words[0].lower() in {"none", (authserv_id or "").lower()}:
                # "none" (RFC 8601 section 2.2: no method was applied), or the
                # id written a second time, as Microsoft 365 does.
                continue
            elif words:
                problems.append("not understood: " + " ".join(words)[:60])
            continue
        method, result = pairs[0]
        method = method.split("/", 1)[0]
        reason = next((v for k, v in pairs[1:] if k.lower() == "reason"), None)
        props = tuple((k, v) for k, v in pairs[1:] if k.lower() != "reason")
        results.append(
            AuthResult(
                method=method.lower(),
                result=result.lower(),
                reason=reason,
                properties=props,
                comment=comments[0] if comments else None,
            )
        )
    if authserv_id is None:
        problems.append("no authserv-id")
    return AuthenticationResults(
        raw=value,
        authserv_id=authserv_id,
        version=version,
        results=tuple(results),
        problems=tuple(problems),
    )


def parse_tag_list(value: str) -> dict[str, str]:
    """Read a DKIM-style tag list (RFC 6376 section 3.2), as ARC uses."""
    tags: dict[str, str] = {}
    for part in value.split(";"):
        name, sep, tag_value = part.partition("=")
        if not sep:
            continue
        tags[name.strip().lower()] = re.sub(r"\s+", "", tag_value)
    return tags


@dataclass(frozen=True)
class ArcSet:
    """One ARC set (RFC 8617 section 4.1), as written; not verified."""

    instance: int
    seal_domain: str | None
    seal_selector: str | None
    chain_validation: str | None
    signature_domain: str | None
    results: AuthenticationResults | None
    problems: tuple[str, ...] = ()


_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;?", re.IGNORECASE)


def _instance(value: str) -> int | None:
    match = _INSTANCE.match(value)
    return int(match.group(1)) if match else None


def parse_arc_sets(
    seals: tuple[str, ...],
    signatures: tuple[str, ...],
    results: tuple[str, ...],
) -> tuple[ArcSet, ...]:
    """Group ARC header fields into sets by their ``i=`` instance."""
    by_instance: dict[int, dict[str, str]] = {}
    problems: dict[int, list[str]] = {}
    for kind, values in (("seal", seals), ("ams", signatures), ("aar", results)):
        for raw in values:
            instance = _instance(raw) if kind == "aar" else None
            if kind != "aar":
                tag = parse_tag_list(raw).get("i", "")
                instance = int(tag) if tag.isdigit() else None
            if instance is None:
                continue
            entry = by_instance.setdefault(instance, {})
            if kind in entry:
                problems.setdefault(instance, []).append(f"more than one {kind}")
            entry[kind] = raw
    sets: list[ArcSet] = []
    for instance in sorted(by_instance):
        entry = by_instance[instance]
        notes = problems.get(instance, [])
        seal = parse_tag_list(entry["seal"]) if "seal" in entry else {}
        ams = parse_tag_list(entry["ams"]) if "ams" in entry else {}
        for kind, label in (("seal", "ARC-Seal"), ("ams", "ARC-Message-Signature")):
            if kind not in entry:
                notes.append(f"no {label}")
        if "aar" not in entry:
            notes.append("no ARC-Authentication-Results")
        aar = (
            parse_authentication_results(_INSTANCE.sub("", entry["aar"], count=1))
            if "aar" in entry
            else None
        )
        cv = seal.get("cv")
        # RFC 8617 section 5.1.1: i=1 must say cv=none, later sets cv=pass.
        if cv is not None and instance == 1 and cv != "none":
            notes.append(f"cv={cv} on the first set (must be none)")
        elif cv is not None and instance > 1 and cv != "pass":
            notes.append(f"cv={cv}: the sealer found the chain broken")
        sets.append(
            ArcSet(
                instance=instance,
                seal_domain=seal.get("d"),
                seal_selector=seal.get("s"),
                chain_validation=cv,
                signature_domain=ams.get("d"),
                results=aar,
                problems=tuple(notes),
            )
        )
    expected = list(range(1, len(sets) + 1))
    if [s.instance for s in sets] != expected and sets:
        first = sets[0]
        sets[0] = ArcSet(
            **{**first.__dict__, "problems": (*first.problems, "instances not 1..N")}
        )
    return tuple(sets)
