"""The Received parser against the two annotated sets in the corpus.

Each annotation is followed where it is unambiguous. Where it is not
sensible, the case lists what this parser gives instead and why; those
disagreements are the report's list, kept here so that they stay true.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from netprobe.received import LineKind, ReceivedLine, parse_received
from tests.path.conftest import corpus_dir, corpus_params, load_annotated

STALWART: list[dict[str, Any]] = load_annotated("stalwart_received.json") or []
SA_DATA: dict[str, Any] = load_annotated("sa_rcvd_parser.json") or {"cases": []}
SA_CASES: list[dict[str, Any]] = SA_DATA["cases"]

_ASCTIME = "asctime date misread by stalwart (year 19xx, month > 12)"
_TWO_DIGIT = "two-digit year: RFC 5322 section 4.3 makes 03 2003, not 1903"
_SLASH = "stalwart cuts the value at '/'; the line has the whole value"

# index -> field -> (what this parser gives, why it differs from stalwart)
STALWART_DISAGREEMENTS: dict[int, dict[str, tuple[Any, str]]] = {
    6: {"ident": ("uXDGrn@SYT0/k", _SLASH)},
    13: {"date": (((2003, 2, 7, 10, 18, 12), -480), _ASCTIME)},
    28: {"id": ("EE/20-30863-33CE1054", _SLASH + " (SpamAssassin keeps it)")},
    29: {"id": ("8B/57-16227-3764EB44", _SLASH + " (SpamAssassin keeps it)")},
    30: {"id": ("52/92-02454-89FBA054", _SLASH + " (SpamAssassin keeps it)")},
    39: {"ident": ("W9VcNxE2vKxgWHD05PJbLzIHSxcmZQ/O", _SLASH)},
    43: {
        "from_iprev": (
            "helene8.i.pinwand.net",
            "Exim 3 wrote 'host_name (helo_name) [ip]'; SpamAssassin agrees",
        )
    },
    67: {"date": (((2003, 2, 12, 14, 22, 21), -480), "PST is -0800 (RFC 5322)")},
    69: {
        "date": (
            ((2003, 2, 20, 16, 13, 20), -420),
            "the date follows the id with no ';'; stalwart drops it",
        )
    },
    89: {"date": (((2003, 3, 26, 20, 43, 24), -360), _TWO_DIGIT)},
    90: {"date": (((2004, 2, 27, 14, 16, 56), -480), _TWO_DIGIT)},
    116: {
        "ident": ("?dXqpg3b0hiH9faI2OxLT94P/YKDD3rQ1?", _SLASH),
        "date": (((2003, 4, 30, 15, 6, 29), None), "no zone: unknown, not UTC"),
    },
    117: {"date": (((2005, 11, 13, 14, 50, 12), None), _ASCTIME)},
    118: {"date": (((2005, 11, 13, 15, 38, 52), None), _ASCTIME)},
    123: {"by": ("alpha", "'by alpha by uid 7791': the first BY is the host")},
    125: {"from": ("Unknown/Local", _SLASH)},
    128: {"date": (((2003, 3, 20, 10, 6, 43), 60), _TWO_DIGIT)},
    144: {"date": (((2020, 4, 2, 7, 53, 55), 0), "stalwart drops the seconds")},
    151: {"date": (((2018, 9, 14, 14, 36, 56), -240), _ASCTIME)},
    163: {"date": (((2006, 6, 2, 8, 15, 21), -420), "PDT is -0700 (RFC 5322)")},
    165: {"from": (None, "qmail's 'invoked from network' is a note, not a host")},
    171: {"from": (None, "'(Postfix, from userid 1002)' is a comment")},
}

# index -> field -> (what this parser gives, why it differs from SpamAssassin)
SA_DISAGREEMENTS: dict[int, dict[str, tuple[Any, str]]] = {
    45: {
        "helo": (
            "[127.0.0.1]",
            "ecelerity 'from [127.0.0.1] ([127.0.0.1:50024])': the literal is "
            "in the HELO position; SpamAssassin drops it",
        )
    },
}


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _date_of(line: ReceivedLine) -> tuple[tuple[int, ...], int | None] | None:
    if line.date is None:
        return None
    d = line.date
    offset = d.utcoffset() if line.zone_known else None
    minutes = int(offset.total_seconds() // 60) if offset is not None else None
    return (d.year, d.month, d.day, d.hour, d.minute, d.second), minutes


def _stalwart_fields(line: ReceivedLine) -> dict[str, Any]:
    return {
        "from": line.from_name.strip("[]") if line.from_name else None,
        "from_ip": _ip(line.from_addr),
        "from_iprev": (line.from_rdns or "").rstrip(".").lower() or None,
        "by": line.by,
        "with": (line.protocol or "").lower() or None,
        "via": line.via,
        "id": line.queue_id,
        "for_": line.recipient,
        "helo": (line.from_helo or "").strip("[]") or None,
        "helo_cmd": (line.helo_command or "").lower() or None,
        "tls_version": line.tls_version,
        "tls_cipher": line.tls_cipher,
        "date": _date_of(line),
    }


def _stalwart_expected(expected: dict[str, Any]) -> dict[str, Any]:
    """Stalwart's annotation in the shape of :func:`_stalwart_fields`."""
    out: dict[str, Any] = {}
    for key, value in expected.items():
        if key in {"from", "by", "helo"}:
            out[key] = value.get("Name") or value.get("IpAddr")
        elif key == "from_ip":
            out[key] = _ip(value)
        elif key == "from_iprev":
            out[key] = value.rstrip(".").lower()
        elif key in {"with", "helo_cmd"}:
            out[key] = value.lower()
        elif key == "tls_version":
            out[key] = value.replace("_", ".")
        elif key == "date" and value is None:
            out[key] = None
        elif key == "date":
            sign = -1 if value["tz_before_gmt"] else 1
            offset = sign * (value["tz_hour"] * 60 + value["tz_minute"])
            fields = ("year", "month", "day", "hour", "minute", "second")
            out[key] = (tuple(value[f] for f in fields), offset)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("index", corpus_params(list(range(len(STALWART))), "stalwart"))
def test_received_stalwart_case_matches_annotation(index: int) -> None:
    corpus_dir()
    case = STALWART[index]
    line = parse_received(case["header"])
    mine = _stalwart_fields(line)
    expected = _stalwart_expected(case["expected"] or {})
    overrides = STALWART_DISAGREEMENTS.get(index, {})

    for key, value in expected.items():
        if key in overrides:
            continue
        if key == "from" and isinstance(value, str) and _ip(value) is not None:
            assert _ip(mine["from"]) == _ip(value), key
        elif key == "by" and mine["by"] and _ip(value) is not None:
            assert _ip(mine["by"]) == _ip(value), key
        elif key == "ident":
            # Stalwart's "ident" is the ident, the AUTH user or the envelope
            # sender, whichever the MTA wrote; any of them may match.
            candidates = {
                line.from_ident,
                line.auth_user,
                line.envelope_from,
                f"{line.from_ident}@{line.from_addr}",
                f"{line.from_ident}@{line.from_rdns}",
            }
            assert value in candidates, key
        else:
            assert mine[key] == value, key
    for key, (ours, _reason) in overrides.items():
        if key == "ident":
            assert ours in {line.from_ident, line.auth_user}
        elif key == "from":
            assert mine["from"] == (ours.strip("[]") if ours else None)
        else:
            assert mine[key] == ours, key


@pytest.mark.parametrize("index", corpus_params(list(range(len(SA_CASES))), "sa"))
def test_received_spamassassin_case_matches_annotation(index: int) -> None:
    corpus_dir()
    case = SA_CASES[index]
    line = parse_received(case["header"])
    if case["skip"]:
        # SpamAssassin ignores these on purpose (local notes, fetchmail,
        # scanners); here they must still be read, not dropped.
        assert line.understood
        return
    expected = case["expected"]
    helo = line.from_helo or ""
    if helo.startswith("[") and helo.endswith("]"):
        # SpamAssassin writes an address-literal HELO as !1.2.3.4!.
        inner = helo[1:-1]
        helo = "!" + (inner[5:] if inner.lower().startswith("ipv6:") else inner) + "!"
    mine = {
        "ip": _ip(line.from_addr),
        "rdns": (line.from_rdns or "").lower(),
        "helo": helo,
        "by": line.by or "",
        "ident": line.from_ident or "",
        "envfrom": line.envelope_from or "",
        "id": line.queue_id or "",
        "auth": line.authenticated,
    }
    wanted = {
        "ip": _ip(expected["ip"]),
        "rdns": expected["rdns"].lower(),
        "helo": expected["helo"],
        "by": expected["by"],
        "ident": expected["ident"],
        "envfrom": expected["envfrom"],
        "id": expected["id"],
        "auth": bool(expected["auth"]),
    }
    overrides = SA_DISAGREEMENTS.get(index, {})
    for key, value in wanted.items():
        if key in overrides:
            assert line.from_helo == overrides[key][0]
            continue
        assert mine[key] == value, key
    assert line.kind is LineKind.RELAY


def test_received_spamassassin_local_notes_are_notes() -> None:
    corpus_dir()
    notes = [c["header"] for c in SA_CASES if c["skip"] and "invoked" in c["header"]]
    notes += [c["header"] for c in SA_CASES if "pickup service" in c["header"]]
    assert notes
    for header in notes:
        assert parse_received(header).kind is LineKind.NOTE, header
