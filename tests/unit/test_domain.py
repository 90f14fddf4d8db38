"""What the user typed, turned into a domain DNS can be asked about."""

from __future__ import annotations

import pytest

from netprobe.domain import DomainName, parse_domain
from netprobe.errors import InvalidDomainError, UsageError

LONGEST_LABEL = "a" * 63
# Four labels, three dots: exactly the 253 characters RFC 1035 allows.
LONGEST_NAME = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])


@pytest.mark.parametrize(
    ("text", "ascii", "display"),
    [
        ("whaler.example", "whaler.example", "whaler.example"),
        ("whaler.example.", "whaler.example", "whaler.example"),
        ("WHALER.Example", "whaler.example", "whaler.example"),
        ("  whaler.example \n", "whaler.example", "whaler.example"),
        ("mx-1.whaler.example", "mx-1.whaler.example", "mx-1.whaler.example"),
        ("123.example", "123.example", "123.example"),
        ("bücher.example", "xn--bcher-kva.example", "bücher.example"),
        ("BÜCHER.Example", "xn--bcher-kva.example", "bücher.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"),
        ("bücher\u3002example", "xn--bcher-kva.example", "bücher.example"),
        (f"{LONGEST_LABEL}.example", f"{LONGEST_LABEL}.example", None),
        (LONGEST_NAME, LONGEST_NAME, None),
        (LONGEST_NAME + ".", LONGEST_NAME, None),
    ],
)
def test_parse_domain_valid_name_gives_ascii_and_display_forms(
    text: str, ascii: str, display: str | None
) -> None:
    assert parse_domain(text) == DomainName(ascii, display or ascii)


def test_parse_domain_undecodable_a_label_is_displayed_as_ascii() -> None:
    # "xn--zz" is not valid Punycode; the name still works for DNS.
    assert parse_domain("xn--zz.example") == DomainName(
        "xn--zz.example", "xn--zz.example"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        (".", "it is empty"),
        ("localhost", "at least two labels"),
        ("192.0.2.1", "IP address"),
        ("192.0.2.1.", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("2001:db8::1", "IP address"),
        ("user@whaler.example", "not an address"),
        ("@whaler.example", "not an address"),
        (f"{'a' * 64}.example", "IDNA"),
        ("mx..whaler.example", "IDNA"),
        (LONGEST_NAME + "d", "longer than 253"),
        ("_submission._tcp.whaler.example", "'_submission'"),
        ("-mx.whaler.example", "'-mx'"),
        ("mx-.whaler.example", "'mx-'"),
        ("mail server.whaler.example", "'mail server'"),
        ("[whaler.example]", "'[whaler'"),
        ("whaler.123", "all digits"),
        ("999.0.2.1", "all digits"),
    ],
)
def test_parse_domain_invalid_text_raises_with_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidDomainError) as caught:
        parse_domain(text)

    assert reason in caught.value.reason
    assert caught.value.name == text
    assert reason in str(caught.value)


def test_parse_domain_invalid_name_is_a_usage_error_with_exit_code_2() -> None:
    with pytest.raises(UsageError) as caught:
        parse_domain("localhost")

    assert caught.value.exit_code == 2


def test_parse_domain_two_trailing_dots_is_an_empty_label() -> None:
    with pytest.raises(InvalidDomainError, match="empty label"):
        parse_domain("whaler.example..")
