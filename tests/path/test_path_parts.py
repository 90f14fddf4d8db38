"""Authentication-Results, ARC sets and client networks on their own."""

from __future__ import annotations

import pytest

from netprobe.authresults import (
    parse_arc_sets,
    parse_authentication_results,
    parse_tag_list,
)
from netprobe.client_network import NetworkKind, classify_client, is_internal_address


def test_authresults_rfc8601_example_reads_every_result() -> None:
    results = parse_authentication_results(
        "example.com 1; spf=pass smtp.mailfrom=example.net "
        "(sender is authorized); dkim=pass (good signature) header.d=example.net "
        "header.i=@example.net; dmarc=fail header.from=example.net"
    )
    assert (results.authserv_id, results.version) == ("example.com", "1")
    assert [(r.method, r.result) for r in results.results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "fail"),
    ]
    assert results.results[1].prop("header.d") == "example.net"
    assert results.results[1].comment == "good signature"
    assert results.problems == ()


def test_authresults_reason_with_spaces_around_equals_is_read() -> None:
    results = parse_authentication_results(
        'host 2; spf=fail reason (BAH) = "just some (<>.%&! reason" '
        "smtp.mailfrom=dogma.example"
    )
    spf = results.results[0]
    assert spf.reason == "just some (<>.%&! reason"
    assert spf.prop("smtp.mailfrom") == "dogma.example"


def test_authresults_microsoft_order_finds_the_authserv_id() -> None:
    results = parse_authentication_results(
        "spf=pass (sender IP is 192.0.2.1) smtp.helo=a.example; outlook.com; "
        "dkim=none (message not signed) header.d=none;outlook.com; "
        "dmarc=pass action=none header.from=outlook.com;"
    )
    assert results.authserv_id == "outlook.com"
    assert [r.method for r in results.results] == ["spf", "dkim", "dmarc"]
    assert results.problems == ("authserv-id is not first",)


def test_authresults_none_means_no_method_applied() -> None:
    results = parse_authentication_results("mx.example.org; none")
    assert results.authserv_id == "mx.example.org"
    assert results.results == () and results.problems == ()


def test_authresults_empty_value_says_no_authserv_id() -> None:
    assert parse_authentication_results("").problems == ("no authserv-id",)


def test_tag_list_strips_folding_whitespace_in_values() -> None:
    tags = parse_tag_list("i=1; a=rsa-sha256; d=example.org; b=abc\r\n def;")
    assert tags == {"i": "1", "a": "rsa-sha256", "d": "example.org", "b": "abcdef"}


def test_arc_sets_group_by_instance_and_check_cv() -> None:
    sets = parse_arc_sets(
        ("i=2; cv=fail; d=b.example; s=s2; b=x", "i=1; cv=none; d=a.example; s=s1"),
        ("i=1; d=a.example; s=s1; b=y",),
        ("i=1; a.example; spf=pass smtp.mailfrom=x@a.example",),
    )
    assert [(s.instance, s.seal_domain, s.chain_validation) for s in sets] == [
        (1, "a.example", "none"),
        (2, "b.example", "fail"),
    ]
    assert sets[0].results is not None
    assert sets[0].results.authserv_id == "a.example"
    assert "no ARC-Message-Signature" in sets[1].problems
    assert "cv=fail: the sealer found the chain broken" in sets[1].problems


@pytest.mark.parametrize(
    ("addr", "rdns", "kind"),
    [
        ("127.0.0.1", None, NetworkKind.LOOPBACK),
        ("10.1.2.3", None, NetworkKind.PRIVATE),
        ("fd00::1", None, NetworkKind.PRIVATE),
        ("100.64.0.7", None, NetworkKind.CGNAT),
        ("fe80::1", None, NetworkKind.LINK_LOCAL),
        ("174.252.72.79", "79.sub-174-252-72.myvzw.com", NetworkKind.MOBILE),
        ("198.51.100.7", "guest-wifi.grandhotel.example", NetworkKind.HOTEL),
        ("82.83.139.45", "dsl-082-083-139-045.arcor-ip.net", NetworkKind.RESIDENTIAL),
        ("106.185.32.236", "li738-236.members.linode.com", NetworkKind.HOSTING),
        ("192.0.2.1", "mail.example.org", NetworkKind.MAIL_SERVER),
        ("192.0.2.1", None, NetworkKind.PUBLIC),
        (None, None, NetworkKind.UNKNOWN),
    ],
)
def test_client_network_address_or_name_gives_kind(
    addr: str | None, rdns: str | None, kind: NetworkKind
) -> None:
    assert classify_client(addr, rdns).kind is kind


def test_client_network_documentation_ranges_stand_for_public_addresses() -> None:
    # Python calls 192.0.2.0/24 private; the test network uses it as public.
    assert not is_internal_address("192.0.2.10")
    assert not is_internal_address("2001:db8::1")
    assert is_internal_address("172.16.5.4")


def test_client_network_helo_hint_is_marked_as_a_claim() -> None:
    network = classify_client("192.0.2.1", None, "vps-1.vps.ovh.net")
    assert network.kind is NetworkKind.HOSTING
    assert "as the client claims" in network.reason


def test_client_network_words_match_whole_labels_only() -> None:
    # "dialog" must not read as "dial", nor "outlook" as "out".
    assert classify_client("192.0.2.1", "dialog.example.com").kind is NetworkKind.PUBLIC
    assert (
        classify_client("192.0.2.1", "outlook.example.com").kind is NetworkKind.PUBLIC
    )
