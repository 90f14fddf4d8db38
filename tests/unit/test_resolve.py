"""The pure helpers of resolve: MX order (RFC 5321 5.1), null MX (RFC 7505)
and the --resolver option's address syntax."""

from __future__ import annotations

import random

import pytest

from netprobe.errors import UsageError
from netprobe.resolve import is_null_mx, order_exchanges, parse_nameserver

# --- order_exchanges ---------------------------------------------------------


def test_order_exchanges_lowest_preference_comes_first() -> None:
    records = [
        (30, "mx3.whaler.example"),
        (10, "mx1.whaler.example"),
        (20, "mx2.whaler.example"),
    ]

    ordered = order_exchanges(records, random.Random(0))

    assert ordered == [
        (10, "mx1.whaler.example"),
        (20, "mx2.whaler.example"),
        (30, "mx3.whaler.example"),
    ]


def test_order_exchanges_same_seed_gives_same_order() -> None:
    records = [(10, f"mx{i}.whaler.example") for i in range(6)]

    first = order_exchanges(records, random.Random(42))
    second = order_exchanges(records, random.Random(42))

    assert first == second
    assert sorted(first) == sorted(records)


def test_order_exchanges_equal_preferences_are_shuffled_across_seeds() -> None:
    records = [
        (10, "a.whaler.example"),
        (10, "b.whaler.example"),
        (20, "c.whaler.example"),
    ]

    orders = {
        tuple(name for _, name in order_exchanges(records, random.Random(seed)))
        for seed in range(50)
    }

    assert orders == {
        ("a.whaler.example", "b.whaler.example", "c.whaler.example"),
        ("b.whaler.example", "a.whaler.example", "c.whaler.example"),
    }


def test_order_exchanges_shuffle_never_crosses_preferences() -> None:
    records = [
        (20, "c.whaler.example"),
        (10, "a.whaler.example"),
        (10, "b.whaler.example"),
    ]
    records += [(20, "d.whaler.example")]

    for seed in range(50):
        preferences = [p for p, _ in order_exchanges(records, random.Random(seed))]
        assert preferences == [10, 10, 20, 20]


def test_order_exchanges_duplicate_record_is_kept_once() -> None:
    records = [
        (10, "mx1.whaler.example"),
        (10, "mx1.whaler.example"),
        (20, "mx2.whaler.example"),
    ]

    ordered = order_exchanges(records, random.Random(0))

    assert ordered == [(10, "mx1.whaler.example"), (20, "mx2.whaler.example")]


def test_order_exchanges_name_at_two_preferences_is_kept_at_the_lowest() -> None:
    # An MTA tries each host once (RFC 5321 5.1); a second entry further
    # down the list is the same host, not a fallback.
    records = [
        (20, "mx1.whaler.example"),
        (10, "mx1.whaler.example"),
        (15, "mx2.whaler.example"),
    ]

    ordered = order_exchanges(records, random.Random(0))

    assert ordered == [(10, "mx1.whaler.example"), (15, "mx2.whaler.example")]


def test_order_exchanges_no_records_gives_empty_list() -> None:
    assert order_exchanges([], random.Random(0)) == []


# --- is_null_mx --------------------------------------------------------------


def test_is_null_mx_single_root_record_of_preference_zero_is_null() -> None:
    assert is_null_mx([(0, "")])


@pytest.mark.parametrize(
    "records",
    [
        [],
        [(10, "")],
        [(0, "mx1.whaler.example")],
        [(0, ""), (10, "mx1.whaler.example")],
        [(0, ""), (0, "")],
    ],
)
def test_is_null_mx_anything_else_is_not_null(records: list[tuple[int, str]]) -> None:
    assert not is_null_mx(records)


# --- parse_nameserver --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        (" 192.0.2.53 ", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        ("192.0.2.53:1", ("192.0.2.53", 1)),
        ("192.0.2.53:65535", ("192.0.2.53", 65535)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("::1", ("::1", 53)),
        ("[2001:db8::53]", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
    ],
)
def test_parse_nameserver_address_and_optional_port(
    text: str, expected: tuple[str, int]
) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "resolver.whaler.example",
        "resolver.whaler.example:53",
        "192.0.2",
        "192.0.2.256",
        "192.0.2.53:",
        "192.0.2.53:0",
        "192.0.2.53:65536",
        "192.0.2.53:dns",
        "192.0.2.53:-1",
        "192.0.2.53:53:53",
        "[2001:db8::53]:",
        "[2001:db8::53]:0",
        "[resolver.whaler.example]:53",
    ],
)
def test_parse_nameserver_invalid_text_raises_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_nameserver(text)

    assert repr(text) in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "text", ["[2001:db8::53]5353", "[2001:db8::53]junk", "[2001:db8::53"]
)
def test_parse_nameserver_malformed_brackets_raise_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_nameserver(text)

    assert repr(text) in str(caught.value)
