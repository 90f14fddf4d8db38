"""SMTP replies and EHLO keywords parsed from bytes (RFC 5321 4.2, 4.1.1.1).

Every fixture is fed whole, one byte at a time and split at every offset:
where the network cuts the bytes must never change what is parsed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netprobe.smtp import (
    MAX_LINE_OCTETS,
    MAX_REPLY_LINES,
    Extensions,
    Reply,
    ReplyError,
    ReplyReader,
    masked_starttls,
    parse_replies,
)

GREETING = b"220 mail.whaler.example ESMTP Postfix\r\n"
EHLO = (
    b"250-mail.whaler.example\r\n"
    b"250-PIPELINING\r\n"
    b"250-SIZE 52428800\r\n"
    b"250-STARTTLS\r\n"
    b"250-AUTH PLAIN LOGIN\r\n"
    b"250 8BITMIME\r\n"
)
EHLO_LINES = (
    "mail.whaler.example",
    "PIPELINING",
    "SIZE 52428800",
    "STARTTLS",
    "AUTH PLAIN LOGIN",
    "8BITMIME",
)

Feed = Callable[[ReplyReader, bytes], list[Reply]]


def feed_whole(reader: ReplyReader, data: bytes) -> list[Reply]:
    return reader.feed(data)


def feed_bytewise(reader: ReplyReader, data: bytes) -> list[Reply]:
    replies: list[Reply] = []
    for i in range(len(data)):
        replies += reader.feed(data[i : i + 1])
    return replies


FEEDS = pytest.mark.parametrize(
    "feed", [feed_whole, feed_bytewise], ids=["whole", "bytewise"]
)


def feed_split(data: bytes, offset: int) -> list[Reply]:
    reader = ReplyReader()
    return reader.feed(data[:offset]) + reader.feed(data[offset:])


# --- ReplyReader: well-formed replies ----------------------------------------


@FEEDS
def test_reader_single_line_greeting_yields_code_and_text(feed: Feed) -> None:
    reader = ReplyReader()

    replies = feed(reader, GREETING)

    assert replies == [Reply(220, ("mail.whaler.example ESMTP Postfix",))]
    assert not reader.pending


@FEEDS
def test_reader_multiline_ehlo_yields_one_reply_with_every_line(feed: Feed) -> None:
    reader = ReplyReader()

    replies = feed(reader, EHLO)

    assert replies == [Reply(250, EHLO_LINES)]
    assert not reader.pending


@FEEDS
def test_reader_bare_lf_line_ends_parse_like_crlf(feed: Feed) -> None:
    bare = (GREETING + EHLO).replace(b"\r\n", b"\n")

    replies = feed(ReplyReader(), bare)

    assert replies == parse_replies(GREETING + EHLO)
    assert [r.code for r in replies] == [220, 250]


def test_reader_mixed_crlf_and_bare_lf_in_one_reply_yields_clean_lines() -> None:
    replies = parse_replies(b"250-mail.whaler.example\n250-STARTTLS\r\n250 SIZE\n")

    assert replies == [Reply(250, ("mail.whaler.example", "STARTTLS", "SIZE"))]


@FEEDS
def test_reader_two_replies_in_one_stream_yields_both_in_order(feed: Feed) -> None:
    replies = feed(ReplyReader(), GREETING + EHLO)

    assert [r.code for r in replies] == [220, 250]
    assert replies[1].lines == EHLO_LINES


@pytest.mark.parametrize(
    "data", [GREETING + EHLO, (GREETING + EHLO).replace(b"\r", b"")]
)
def test_reader_split_at_every_offset_yields_same_replies(data: bytes) -> None:
    expected = parse_replies(data)

    for offset in range(len(data) + 1):
        assert feed_split(data, offset) == expected, f"split at {offset}"


@FEEDS
def test_reader_trailing_partial_line_is_kept_pending(feed: Feed) -> None:
    reader = ReplyReader()

    replies = feed(reader, GREETING + b"250-mail.wha")

    assert replies == [Reply(220, ("mail.whaler.example ESMTP Postfix",))]
    assert reader.pending
    assert feed(reader, b"ler.example\r\n250 STARTTLS\r\n") == [
        Reply(250, ("mail.whaler.example", "STARTTLS"))
    ]
    assert not reader.pending


def test_reader_unfinished_multiline_reply_is_pending_and_yields_nothing() -> None:
    reader = ReplyReader()

    assert reader.feed(b"250-mail.whaler.example\r\n250-PIPELINING\r\n") == []
    assert reader.pending


def test_reader_line_missing_only_its_lf_is_pending() -> None:
    reader = ReplyReader()

    assert reader.feed(b"220 mail.whaler.example\r") == []
    assert reader.pending
    assert reader.feed(b"\n") == [Reply(220, ("mail.whaler.example",))]


def test_reader_fresh_reader_is_not_pending() -> None:
    assert not ReplyReader().pending


@FEEDS
def test_reader_code_without_text_yields_one_empty_line(feed: Feed) -> None:
    # RFC 5321 4.2: the text after the code is optional.
    replies = feed(ReplyReader(), b"220\r\n")

    assert replies == [Reply(220, ("",))]
    assert replies[0].first_word() is None


def test_reader_continuation_line_without_text_is_kept() -> None:
    assert parse_replies(b"250-\r\n250 OK\r\n") == [Reply(250, ("", "OK"))]


def test_reader_non_ascii_text_is_decoded_with_replacement() -> None:
    (reply,) = parse_replies(b"220 mail.whaler.example \xff\xfe ready\r\n")

    assert reply.lines == ("mail.whaler.example \ufffd\ufffd ready",)


def test_reader_exactly_max_reply_lines_is_accepted() -> None:
    data = b"250-x\r\n" * (MAX_REPLY_LINES - 1) + b"250 end\r\n"

    (reply,) = parse_replies(data)

    assert len(reply.lines) == MAX_REPLY_LINES


@pytest.mark.parametrize(
    "line_end",
    [b"\r\n", b"\n"],
    ids=["crlf", "lf"],
)
def test_reader_line_of_exactly_max_octets_is_accepted_at_any_split(
    line_end: bytes,
) -> None:
    line = b"250 " + b"x" * (MAX_LINE_OCTETS - 4)
    data = line + line_end
    expected = [Reply(250, ("x" * (MAX_LINE_OCTETS - 4),))]

    assert len(line) == MAX_LINE_OCTETS
    assert feed_bytewise(ReplyReader(), data) == expected
    for offset in range(len(data) + 1):
        assert feed_split(data, offset) == expected, f"split at {offset}"


# --- ReplyReader: what no honest server sends --------------------------------


@FEEDS
def test_reader_code_changing_inside_reply_raises(feed: Feed) -> None:
    with pytest.raises(ReplyError) as caught:
        feed(ReplyReader(), b"250-mail.whaler.example\r\n550 no\r\n")

    assert caught.value.reason == "reply code changed inside a reply"
    assert caught.value.sample == b"550 no"


@pytest.mark.parametrize(
    "data",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 400 Bad Request\r\n",
        b"+OK POP3 ready\r\n",
        b"* OK IMAP4rev1 ready\r\n",
        b"hello\r\n",
        b"\r\n",
        b"22 too short\r\n",
        b"220x no separator\r\n",
        b"2200 four digits\r\n",
        b"120 first digit too low\r\n",
        b"600 first digit too high\r\n",
        b" 220 leading space\r\n",
    ],
)
@FEEDS
def test_reader_bytes_that_are_no_reply_raise(feed: Feed, data: bytes) -> None:
    with pytest.raises(ReplyError) as caught:
        feed(ReplyReader(), data)

    assert caught.value.reason == "not an SMTP reply line"


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 400",
        b"SSH-2.0-OpenSSH_9.6",
        b"\x16\x03\x01\x00",  # a TLS record where a greeting should be
        b"2x",
        b"220x",
    ],
)
@FEEDS
def test_reader_prefix_that_cannot_start_a_reply_raises_before_newline(
    feed: Feed, data: bytes
) -> None:
    # The module promises to tell "not a reply" apart from "slow": a banner
    # without a newline must not look like a greeting still on its way.
    with pytest.raises(ReplyError) as caught:
        feed(ReplyReader(), data)

    assert caught.value.reason == "not an SMTP reply line"


@pytest.mark.parametrize("data", [b"2", b"22", b"220", b"220-", b"220 ", b"220\r"])
def test_reader_prefix_of_a_valid_reply_is_pending(data: bytes) -> None:
    reader = ReplyReader()

    assert reader.feed(data) == []
    assert reader.pending


def test_reader_endless_line_raises_once_past_the_limit() -> None:
    reader = ReplyReader()
    reader.feed(b"220 " + b"x" * (MAX_LINE_OCTETS - 4))
    assert reader.pending

    with pytest.raises(ReplyError) as caught:
        reader.feed(b"x")

    assert caught.value.reason == "line too long"
    assert len(caught.value.sample) <= 80


def test_reader_endless_line_fed_bytewise_never_buffers_past_the_limit() -> None:
    stream = b"220 " + b"x" * (10 * MAX_LINE_OCTETS)
    reader = ReplyReader()
    fed = 0

    with pytest.raises(ReplyError, match="line too long"):
        for fed in range(1, len(stream) + 1):
            reader.feed(stream[fed - 1 : fed])

    assert fed == MAX_LINE_OCTETS + 1


@FEEDS
def test_reader_complete_line_over_the_limit_raises(feed: Feed) -> None:
    with pytest.raises(ReplyError, match="line too long"):
        feed(ReplyReader(), b"250 " + b"x" * MAX_LINE_OCTETS + b"\r\n")


def test_reader_more_than_max_reply_lines_raises() -> None:
    reader = ReplyReader()
    reader.feed(b"250-x\r\n" * MAX_REPLY_LINES)

    with pytest.raises(ReplyError) as caught:
        reader.feed(b"250-x\r\n")

    assert caught.value.reason == "too many reply lines"


def test_reader_too_many_lines_raise_even_without_a_final_line() -> None:
    with pytest.raises(ReplyError, match="too many reply lines"):
        feed_bytewise(ReplyReader(), b"250-x\r\n" * (MAX_REPLY_LINES + 1))


def test_reply_error_sample_is_cut_to_80_bytes() -> None:
    with pytest.raises(ReplyError) as caught:
        parse_replies(b"x" * 500 + b"\r\n")

    assert caught.value.sample == b"x" * 80


# --- Reply -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_line", "word"),
    [
        ("mail.whaler.example ESMTP Postfix", "mail.whaler.example"),
        ("MAIL.Whaler.Example ESMTP", "mail.whaler.example"),
        ("mail.whaler.example, hello", "mail.whaler.example"),
        ("mail.whaler.example", "mail.whaler.example"),
        ("   mail.whaler.example   ESMTP", "mail.whaler.example"),
        ("", None),
        ("   ", None),
    ],
)
def test_reply_first_word_of_greeting_is_the_lowercased_host(
    first_line: str, word: str | None
) -> None:
    assert Reply(220, (first_line,)).first_word() == word


def test_reply_first_word_comes_from_the_first_line_only() -> None:
    reply = Reply(220, ("mail.whaler.example ESMTP", "second.line.example"))

    assert reply.first_word() == "mail.whaler.example"


def test_reply_first_word_of_reply_without_lines_is_none() -> None:
    assert Reply(220, ()).first_word() is None


@pytest.mark.parametrize(
    ("code", "positive"),
    [(220, True), (250, True), (354, True), (421, False), (554, False)],
)
def test_reply_positive_is_2xx_and_3xx(code: int, positive: bool) -> None:
    assert Reply(code, ("x",)).positive is positive


def test_reply_text_joins_lines() -> None:
    assert Reply(554, ("5.7.1 go away", "really")).text == "5.7.1 go away / really"


# --- Extensions (EHLO keywords) ----------------------------------------------


def ehlo_reply(*keywords: str) -> Reply:
    return Reply(250, ("mail.whaler.example Hello", *keywords))


def test_extensions_from_ehlo_bytes_lists_every_keyword_but_the_greeting() -> None:
    (reply,) = parse_replies(EHLO)

    extensions = Extensions.from_reply(reply)

    assert extensions.names() == ["8BITMIME", "AUTH", "PIPELINING", "SIZE", "STARTTLS"]
    assert extensions.starttls
    assert extensions.auth_mechanisms == ("PLAIN", "LOGIN")


def test_extensions_keywords_are_uppercased() -> None:
    extensions = Extensions.from_reply(ehlo_reply("starttls", "Pipelining"))

    assert extensions.names() == ["PIPELINING", "STARTTLS"]
    assert extensions.starttls


def test_extensions_size_keeps_its_parameter() -> None:
    extensions = Extensions.from_reply(ehlo_reply("SIZE 52428800"))

    assert extensions.keywords["SIZE"] == ("52428800",)


def test_extensions_keyword_without_parameters_has_empty_tuple() -> None:
    assert Extensions.from_reply(ehlo_reply("8BITMIME")).keywords == {"8BITMIME": ()}


def test_extensions_legacy_auth_equals_form_is_folded_into_auth() -> None:
    extensions = Extensions.from_reply(ehlo_reply("AUTH=LOGIN PLAIN"))

    assert extensions.names() == ["AUTH"]
    assert extensions.auth_mechanisms == ("LOGIN", "PLAIN")


def test_extensions_auth_mechanisms_are_deduplicated_in_first_seen_order() -> None:
    extensions = Extensions.from_reply(
        ehlo_reply("AUTH PLAIN LOGIN CRAM-MD5", "AUTH=LOGIN", "auth plain xoauth2")
    )

    assert extensions.auth_mechanisms == ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")


def test_extensions_no_auth_keyword_has_no_mechanisms() -> None:
    extensions = Extensions.from_reply(ehlo_reply("STARTTLS"))

    assert extensions.auth_mechanisms == ()


def test_extensions_without_starttls_says_so() -> None:
    assert not Extensions.from_reply(ehlo_reply("PIPELINING", "AUTH PLAIN")).starttls


def test_extensions_single_line_ehlo_reply_has_no_keywords() -> None:
    extensions = Extensions.from_reply(Reply(250, ("mail.whaler.example",)))

    assert extensions.keywords == {}
    assert not extensions.starttls


def test_extensions_blank_lines_are_ignored() -> None:
    assert Extensions.from_reply(ehlo_reply("", "   ", "DSN")).names() == ["DSN"]


def test_extensions_equals_sign_in_a_parameter_is_kept() -> None:
    # RFC 9422 LIMITS: the parameters are NAME=VALUE pairs; only the legacy
    # "AUTH=" keyword form has its "=" taken as a separator.
    extensions = Extensions.from_reply(ehlo_reply("LIMITS RCPTMAX=100 MAILMAX=1000"))

    assert extensions.keywords["LIMITS"] == ("RCPTMAX=100", "MAILMAX=1000")


# --- masked STARTTLS ---------------------------------------------------------


# Cisco ASA "inspect esmtp" writes XXXXXXXA over STARTTLS.
@pytest.mark.parametrize(
    "word", ["XXXXXXXX", "xxxxxxxx", "********", "XX**XX**", "XXXXXXXA"]
)
def test_masked_starttls_eight_x_or_star_is_detected(word: str) -> None:
    assert masked_starttls(ehlo_reply("PIPELINING", word, "8BITMIME"))


@pytest.mark.parametrize(
    "word",
    ["STARTTLS", "XXXXXXX", "XXXXXXXXX", "********X", "XXXX", "X-X-X-X-"],
)
def test_masked_starttls_other_words_are_not_a_mask(word: str) -> None:
    assert not masked_starttls(ehlo_reply("PIPELINING", word))


def test_masked_starttls_mask_followed_by_text_is_detected() -> None:
    assert masked_starttls(ehlo_reply("XXXXXXXX ignored"))


def test_masked_starttls_greeting_line_is_not_a_keyword() -> None:
    assert not masked_starttls(Reply(250, ("XXXXXXXX", "PIPELINING")))


def test_masked_starttls_plain_ehlo_bytes_with_mask_is_detected() -> None:
    data = EHLO.replace(b"STARTTLS", b"XXXXXXXX")

    (reply,) = parse_replies(data)

    assert masked_starttls(reply)
    assert not Extensions.from_reply(reply).starttls
