"""The Received parser on edge cases: bytes, folding, nesting, garbage."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netprobe.received import (
    LineKind,
    TokenKind,
    normalize_address,
    parse_date,
    parse_received,
    tokenize,
)

POSTFIX = (
    "from mail.example.org (mail.example.org [192.0.2.10]) "
    "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) "
    "by mx.example.net (Postfix) with ESMTPS id 4AbC123 "
    "for <rcpt@example.net>; Tue, 7 May 2019 14:01:07 -0700 (PDT)"
)


def test_tokenize_nested_comment_is_one_token() -> None:
    tokens = tokenize("(a (b (c)) d) x")
    assert [t.kind for t in tokens] == [TokenKind.COMMENT, TokenKind.ATOM]
    assert tokens[0].text == "a (b (c)) d"


def test_tokenize_nested_literal_and_angle_are_one_token_each() -> None:
    tokens = tokenize("[[UNIX: localhost]] <<a@b>>")
    assert [(t.kind, t.text) for t in tokens] == [
        (TokenKind.LITERAL, "[UNIX: localhost]"),
        (TokenKind.ANGLE, "<a@b>"),
    ]


def test_tokenize_quoted_string_with_escapes_is_unescaped() -> None:
    tokens = tokenize(r'x "a \"b\" c" y')
    assert tokens[1].kind is TokenKind.QUOTED
    assert tokens[1].text == 'a "b" c'


def test_tokenize_unterminated_comment_runs_to_end_and_is_marked() -> None:
    tokens = tokenize("from a (unclosed by b")
    assert tokens[-1].kind is TokenKind.COMMENT
    assert tokens[-1].closed is False


def test_tokenize_stray_closer_is_kept_not_dropped() -> None:
    assert [t.text for t in tokenize("a ) b")] == ["a", ")", "b"]


def test_received_postfix_line_reads_every_field() -> None:
    line = parse_received(POSTFIX)
    assert line.kind is LineKind.RELAY
    assert (line.from_helo, line.from_rdns, line.from_addr) == (
        "mail.example.org",
        "mail.example.org",
        "192.0.2.10",
    )
    assert (line.by, line.by_software, line.protocol) == (
        "mx.example.net",
        "Postfix",
        "ESMTPS",
    )
    assert (line.tls, line.tls_version, line.tls_cipher) == (
        True,
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
    )
    assert (line.queue_id, line.recipient) == ("4AbC123", "rcpt@example.net")
    assert line.date == datetime(2019, 5, 7, 21, 1, 7, tzinfo=UTC)
    assert line.zone_known
    assert line.problems == ()


def test_received_crlf_folded_value_reads_like_the_unfolded_one() -> None:
    folded = POSTFIX.replace(" (using", "\r\n\t(using").replace(" by ", "\r\n by ")
    assert parse_received(folded).by == "mx.example.net"
    assert parse_received(folded).date == parse_received(POSTFIX).date
    assert parse_received(folded).raw == folded


def test_received_with_cipher_inside_comment_is_not_a_with_clause() -> None:
    line = parse_received(POSTFIX)
    assert line.with_raw == "ESMTPS"


def test_received_postfix_pickup_from_userid_is_a_note_without_sender() -> None:
    line = parse_received(
        "by milkplus (Postfix, from userid 1000) id D3FDD10B051; "
        "Tue, 15 May 2001 17:31:22 -0400 (EDT)"
    )
    assert line.kind is LineKind.NOTE
    assert line.from_name is None
    assert line.note == "local pickup (user id 1000)"


def test_received_keywords_inside_atoms_are_not_clauses() -> None:
    line = parse_received(
        "from mail.example.id (mail.example.id [192.0.2.7]) by mx.example.id "
        "with ESMTP id 1abc-by for <x@example.id>; 1 Jan 2020 00:00:00 +0000"
    )
    assert (line.from_helo, line.by, line.queue_id) == (
        "mail.example.id",
        "mx.example.id",
        "1abc-by",
    )
    assert line.recipient == "x@example.id"


def test_received_keywords_in_upper_case_are_clauses() -> None:
    line = parse_received(
        "FROM hackers.example (smtp.example [192.0.2.1]) BY mx.example "
        "ID 434B508E.174A6 ; 11 Oct 2005 01:41:34 -0400"
    )
    assert (line.from_rdns, line.by, line.queue_id) == (
        "smtp.example",
        "mx.example",
        "434B508E.174A6",
    )


def test_received_without_semicolon_finds_the_date_and_says_so() -> None:
    line = parse_received(
        "from mda by mogmxus001.server.lan id 0LvVA5-1Y3oYj34nD-010g2Y "
        "Sat, 29 Nov 2014 00:32:10 +0100"
    )
    assert line.queue_id == "0LvVA5-1Y3oYj34nD-010g2Y"
    assert line.date == datetime(
        2014, 11, 29, 0, 32, 10, tzinfo=timezone(timedelta(hours=1))
    )
    assert "no ';' before the date" in line.problems


def test_received_text_after_the_date_is_still_read() -> None:
    line = parse_received(
        "from olgisoft.com (127.0.0.1) by 127.0.0.1 (EzMTS MTSSmtp 1.55d5) ; "
        "Thu, 20 Mar 03 10:06:43 +0100 for <asrg@ietf.org>"
    )
    assert line.recipient == "asrg@ietf.org"
    assert line.date is not None and line.date.year == 2003
    assert "text after the date" in line.problems


def test_received_garbage_is_unparsed_and_kept_raw() -> None:
    line = parse_received("apparently")
    assert line.kind is LineKind.UNPARSED
    assert not line.understood
    assert line.raw == "apparently"
    assert line.problems


@pytest.mark.parametrize("value", ["", "   ", "\r\n\t"])
def test_received_empty_value_is_unparsed(value: str) -> None:
    line = parse_received(value)
    assert line.kind is LineKind.UNPARSED
    assert line.problems == ("empty",)


def test_received_date_only_is_unparsed_but_keeps_the_date() -> None:
    line = parse_received("; Tue, 23 May 2006 13:06:35 -0400")
    assert line.kind is LineKind.UNPARSED
    assert line.date is not None


def test_received_unterminated_comment_is_flagged_not_raised() -> None:
    line = parse_received("from a.example (a.example [192.0.2.1] by b.example")
    assert "unterminated comment, literal or quoted string" in line.problems


@pytest.mark.parametrize(
    "value",
    [
        "from " + "a " * 100_000 + "by b; 1 Jan 2020 00:00:00 +0000",
        "from x " + "(" * 50_000 + " by y",
        "from x " + "[" * 50_000,
        "by y; " + "1 " * 100_000,
        '"' * 100_001,
        "from x (" + "\\" * 100_000 + ")",
    ],
    ids=["many-atoms", "deep-comment", "deep-literal", "digits", "quotes", "escapes"],
)
def test_received_very_long_line_parses_in_bounded_time(value: str) -> None:
    started = time.perf_counter()
    parse_received(value)
    assert time.perf_counter() - started < 5.0


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list('()[]<>";, \r\n\tabyfromwithid:.@0123456789+-')),
        max_size=200,
    )
)
def test_received_arbitrary_text_never_raises(value: str) -> None:
    line = parse_received(value)
    assert line.raw == value


# -- dates --------------------------------------------------------------------


def test_date_minus_zero_zone_is_a_known_utc_instant() -> None:
    stamp = parse_date("14 Nov 2003 08:05:52 -0000")
    assert stamp is not None and stamp.zone_known
    assert stamp.when == datetime(2003, 11, 14, 8, 5, 52, tzinfo=UTC)


def test_date_without_zone_is_naive_and_zone_unknown() -> None:
    stamp = parse_date("30 Apr 2003 15:06:29")
    assert stamp is not None
    assert not stamp.zone_known
    assert stamp.when.tzinfo is None


@pytest.mark.parametrize(
    ("text", "hours"),
    [("Fri, 02 Jun 2006 08:15:21 PDT", -7), ("3 Jul 2002 15:43:50 UT", 0)],
)
def test_date_rfc5322_named_zone_has_its_offset(text: str, hours: int) -> None:
    stamp = parse_date(text)
    assert stamp is not None and stamp.zone_known
    assert stamp.when.utcoffset() == timedelta(hours=hours)


def test_date_other_zone_name_is_zone_unknown() -> None:
    stamp = parse_date("Mon, 10 Feb 2003 11:01:48 CET")
    assert stamp is not None and not stamp.zone_known


def test_date_asctime_form_is_read() -> None:
    stamp = parse_date("Fri Feb 07 10:18:12 2003 -0800")
    assert stamp is not None
    assert stamp.when == datetime(2003, 2, 7, 18, 18, 12, tzinfo=UTC)


def test_date_two_digit_year_follows_rfc5322() -> None:
    early, late = parse_date("8 Mar 04 12:23:56 -0000"), parse_date("1 Jan 99 0:00 GMT")
    assert early is not None and early.when.year == 2004
    assert late is not None and late.when.year == 1999


def test_date_fractional_seconds_are_dropped_not_misread() -> None:
    stamp = parse_date("Thu, 02 Apr 2020 07:53:55.516 +0000 (UTC)")
    assert stamp is not None and stamp.when.second == 55


def test_date_impossible_day_is_no_date() -> None:
    assert parse_date("30 Feb 2020 10:00:00 +0000") is None


def test_received_comment_zone_is_ignored_in_favour_of_the_offset() -> None:
    line = parse_received("by h; Tue, 15 May 2001 23:40:33 +0000 (Eire)")
    assert line.zone_known and line.date is not None
    assert line.date.utcoffset() == timedelta(0)


# -- addresses, TLS, authentication ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IPv6:2001:db8::1", ("2001:db8::1", None)),
        ("::ffff:192.0.2.1", ("192.0.2.1", None)),
        ("fe80::1%6", ("fe80::1", None)),
        ("192.0.2.1:2525", ("192.0.2.1", 2525)),
        ("192.0.2.1.2525", (None, None)),
        ("unknown", (None, None)),
    ],
)
def test_normalize_address_written_forms_give_address_and_port(
    text: str, expected: tuple[str | None, int | None]
) -> None:
    assert normalize_address(text) == expected


def test_normalize_address_dotted_port_only_inside_literals() -> None:
    assert normalize_address("10.0.8.6.13219", dotted_port=True) == ("10.0.8.6", 13219)


def test_received_exim_cipher_comment_gives_tls() -> None:
    line = parse_received(
        "from a.example ([192.0.2.1] helo=b.example) by c.example with esmtps "
        "(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.92) id 1abcDE-000Fgh-Ij; "
        "Mon, 1 Jun 2020 10:00:00 +0000"
    )
    assert (line.tls_version, line.tls_cipher) == (
        "TLSv1.2",
        "ECDHE_RSA_AES_256_GCM_SHA384",
    )
    assert (line.from_helo, line.from_rdns) == ("b.example", "a.example")


def test_received_postfix_authenticated_sender_is_authenticated() -> None:
    line = parse_received(
        "from laptop (unknown [100.64.1.2]) (Authenticated sender: jo@example.org) "
        "by smtp.example.org (Postfix) with ESMTPSA id 1; 1 Jan 2020 00:00:00 +0000"
    )
    assert line.authenticated
    assert line.auth_user == "jo@example.org"
    assert line.from_rdns is None


def test_received_plain_smtp_is_not_authenticated() -> None:
    assert not parse_received(POSTFIX).authenticated


def test_received_sendmail_submit_local_line_is_a_note() -> None:
    line = parse_received(
        "(from www-data@localhost) by vps.example (8.15.2/8.15.2/Submit) "
        "id 29AKBWwn005317; Mon, 10 Oct 2022 20:11:32 GMT"
    )
    assert line.kind is LineKind.NOTE
    assert line.from_name == "www-data@localhost"
    assert line.from_helo is None


def test_received_fetchmail_line_is_a_retrieval() -> None:
    line = parse_received(
        "from pop.example [192.0.2.3] by localhost with POP3 (fetchmail-6.3.17) "
        "for <me@localhost> (single-drop); Thu, 15 Oct 2015 15:22:22 +0900 (JST)"
    )
    assert line.retrieval and line.protocol == "POP3"
    assert line.from_addr == "192.0.2.3"


def test_received_cyrus_unix_socket_is_a_local_socket() -> None:
    line = parse_received(
        "from mx.example ([unix socket]) by mx.example (Cyrus v2.3.14) with LMTPA; "
        "Tue, 21 Jul 2009 14:34:14 +0200"
    )
    assert line.local_socket
    assert line.protocol == "LMTPA"
    assert line.from_addr is None
