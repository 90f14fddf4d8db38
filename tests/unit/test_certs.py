"""Certificate names against the host asked for (RFC 6125 6.4)."""

from __future__ import annotations

import pytest

from netprobe.certs import PeerCert, dns_names, matches, subject_text


@pytest.mark.parametrize(
    ("host", "names"),
    [
        ("mx1.whaler.example", ["mx1.whaler.example"]),
        ("MX1.Whaler.Example", ["mx1.whaler.example"]),
        ("mx1.whaler.example", ["MX1.WHALER.EXAMPLE"]),
        ("mx1.whaler.example.", ["mx1.whaler.example"]),
        ("mx1.whaler.example", ["mx1.whaler.example."]),
        ("mx1.whaler.example", ["smtp.whaler.example", "mx1.whaler.example"]),
        ("mx1.whaler.example", ["*.whaler.example"]),
        ("MX1.whaler.example.", ["*.WHALER.example."]),
        ("a.b.whaler.example", ["*.b.whaler.example"]),
    ],
)
def test_matches_name_listed_or_covered_by_wildcard_matches(
    host: str, names: list[str]
) -> None:
    assert matches(host, names)


@pytest.mark.parametrize(
    ("host", "names"),
    [
        ("mx1.whaler.example", []),
        ("mx1.whaler.example", ["mx2.whaler.example"]),
        ("mx1.whaler.example", ["whaler.example"]),
        ("whaler.example", ["mx1.whaler.example"]),
        # The wildcard covers exactly one label (RFC 6125 6.4.3).
        ("a.b.whaler.example", ["*.whaler.example"]),
        ("whaler.example", ["*.whaler.example"]),
        # Never a whole public suffix: "*.example" covers nothing.
        ("whaler.example", ["*.example"]),
        ("a.b.example", ["*.example"]),
        # Only "*" as the whole leftmost label is understood.
        ("mx1.whaler.example", ["mx*.whaler.example"]),
        ("mx1.whaler.example", ["mx1.*.example"]),
        ("mx1.whaler.example", ["*"]),
        ("mx1.evil.example", ["*.whaler.example"]),
        ("mx1whaler.example", ["*.whaler.example"]),
    ],
)
def test_matches_name_not_covered_does_not_match(host: str, names: list[str]) -> None:
    assert not matches(host, names)


def cert(
    *, sans: tuple[tuple[str, str], ...] | None = None, cn: str | None = None
) -> PeerCert:
    """A certificate as ssl.SSLSocket.getpeercert() returns it."""
    subject: tuple[tuple[tuple[str, str], ...], ...] = (
        (("countryName", "XX"),),
        (("organizationName", "Whaler"),),
    )
    if cn is not None:
        subject += ((("commonName", cn),),)
    value: dict[str, object] = {
        "subject": subject,
        "issuer": ((("commonName", "Whaler Test CA"),),),
    }
    if sans is not None:
        value["subjectAltName"] = sans
    return value


def test_dns_names_are_the_dns_sans_lowercased_in_order() -> None:
    peer = cert(
        sans=(
            ("DNS", "MX1.whaler.example"),
            ("IP Address", "203.0.113.10"),
            ("DNS", "*.whaler.example"),
        ),
        cn="mx1.whaler.example",
    )

    assert dns_names(peer) == ("mx1.whaler.example", "*.whaler.example")


def test_dns_names_ignore_the_cn_when_a_dns_san_exists() -> None:
    peer = cert(sans=(("DNS", "smtp.whaler.example"),), cn="mx1.whaler.example")

    assert dns_names(peer) == ("smtp.whaler.example",)
    assert not matches("mx1.whaler.example", dns_names(peer))


@pytest.mark.parametrize(
    "sans", [None, (), (("IP Address", "203.0.113.10"),)], ids=["none", "empty", "ip"]
)
def test_dns_names_fall_back_to_the_cn_without_a_dns_san(
    sans: tuple[tuple[str, str], ...] | None,
) -> None:
    peer = cert(sans=sans, cn="MX1.Whaler.Example")

    assert dns_names(peer) == ("mx1.whaler.example",)


def test_dns_names_without_san_or_cn_are_empty() -> None:
    assert dns_names(cert()) == ()
    assert dns_names({}) == ()


def test_dns_names_malformed_entries_are_skipped() -> None:
    peer: PeerCert = {
        "subjectAltName": (("DNS",), "junk", ("DNS", "mx1.whaler.example"))
    }

    assert dns_names(peer) == ("mx1.whaler.example",)


def test_subject_text_lists_every_attribute_in_order() -> None:
    peer = cert(cn="mx1.whaler.example")

    assert subject_text(peer) == (
        "countryName=XX, organizationName=Whaler, commonName=mx1.whaler.example"
    )
    assert subject_text(peer, "issuer") == "commonName=Whaler Test CA"


def test_subject_text_of_missing_field_is_none() -> None:
    assert subject_text({}) is None
    assert subject_text({"subject": "not a tuple"}) is None
