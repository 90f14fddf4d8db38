"""The journey built from whole header blocks: corpus facts and constructed ones."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest

from netprobe.client_network import NetworkKind
from netprobe.headerblock import NotAMessageError, read_header_block
from netprobe.journey import (
    DelayFlag,
    Journey,
    LinkStatus,
    PathOptions,
    Trust,
    journey_from_bytes,
    org_domain,
)
from netprobe.received import LineKind
from netprobe.render_path import describe
from tests.path.conftest import read_message


def _journey(name: str, options: PathOptions | None = None) -> Journey:
    return journey_from_bytes(read_message(name), options)


def _message(*received: str, extra: str = "") -> bytes:
    """A header block with these Received values, newest first."""
    lines = [f"Received: {value}" for value in received]
    lines += ["From: a@example.org", "Subject: test"]
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + "\r\n\r\nbody\r\n").encode()


def _hop_line(sender: str, addr: str, receiver: str, date: str, rcpt: str = "") -> str:
    rcpt_clause = f" for <{rcpt}>" if rcpt else ""
    return (
        f"from {sender} ({sender} [{addr}]) by {receiver} (Postfix) with ESMTP "
        f"id Q{abs(hash(date)) % 10**6}{rcpt_clause}; {date}"
    )


# -- order ----------------------------------------------------------------------


def test_journey_hops_are_in_travel_order_oldest_first() -> None:
    journey = _journey("sa__nice_001.eml")
    hops = journey.hops
    assert [h.index for h in hops] == [1, 2, 3, 4, 5, 6]
    assert [h.position for h in hops] == [5, 4, 3, 2, 1, 0]
    assert hops[0].line.by == "milkplus"
    assert hops[-1].line.by == "mail.netnoteinc.com"


def test_journey_unparsed_lines_are_kept_in_place_and_marked() -> None:
    journey = _journey("rspamd__messages_received1.eml")
    kinds = [h.line.kind for h in journey.hops]
    assert kinds == [
        LineKind.UNPARSED,
        LineKind.UNPARSED,
        LineKind.RELAY,
        LineKind.RELAY,
    ]
    assert [h.line.raw.strip() for h in journey.unparsed] == ["or is it", "apparently"]
    assert any("not understood" in s for s in describe(journey))


def test_journey_message_without_received_is_not_an_error() -> None:
    journey = journey_from_bytes(b"From: a@example.org\r\nSubject: hi\r\n\r\nx")
    assert journey.hops == ()
    assert journey.submission is None and journey.boundary is None
    assert "no Received: header fields" in describe(journey)[0]


def test_journey_input_without_headers_is_not_a_message() -> None:
    with pytest.raises(NotAMessageError):
        journey_from_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")


# -- submission -------------------------------------------------------------------


def test_submission_gmail_esmtpsa_from_home_pc_is_authenticated() -> None:
    sub = _journey("sa__spam_dmarc_noneko.eml").submission
    assert sub is not None
    assert sub.authenticated is True
    assert sub.entered_at == "smtp.gmail.com"
    assert sub.client_helo == "PC" and sub.desktop_client
    assert sub.client_addr == "2409:4063:231e:c527:1997:664a:34e5:7d88"
    assert (sub.tls, sub.tls_version) == (True, "TLSv1.0")


def test_submission_postfix_authenticated_sender_names_the_user() -> None:
    sub = _journey("mailparser__mail_test_1.eml").submission
    assert sub is not None and sub.authenticated
    assert sub.auth_user == "jdazey@alexandersmith.com"
    assert sub.entered_at == "omf06.b.hostedemail.com"


def test_submission_exim_esmtpa_from_residential_line() -> None:
    sub = _journey("mailparser__mail_test_4.eml").submission
    assert sub is not None and sub.authenticated
    assert sub.network.kind is NetworkKind.RESIDENTIAL
    assert sub.client_rdns == "host86-187-174-57.range86-187.btcentralplus.com"


def test_submission_plain_smtp_from_a_server_is_not_authenticated() -> None:
    sub = _journey("rspamd__messages_dmarc_good_dkim_rspamd.eml").submission
    assert sub is not None
    assert sub.authenticated is False
    assert sub.network.kind is NetworkKind.MAIL_SERVER


def test_submission_squirrelmail_webmail_is_authenticated_over_http() -> None:
    sub = _journey("sa__nice_002.eml").submission
    assert sub is not None
    assert sub.method == "webmail or HTTP API"
    assert (sub.authenticated, sub.auth_user) == (True, "jmmail")
    assert sub.client_addr == "144.137.3.98"


def test_submission_local_pickup_names_the_origin_network() -> None:
    sub = _journey("sa__nice_001.eml").submission
    assert sub is not None
    assert sub.method == "local pickup (user id 1000)"
    assert sub.authenticated is None
    assert sub.entered_at == "milkplus"
    assert sub.network_from_hop == 2
    assert sub.network.kind is NetworkKind.RESIDENTIAL


def test_submission_sendmail_web_script_skips_loopback_hops() -> None:
    sub = _journey("mailparser__mail_test_17.eml").submission
    assert sub is not None
    assert "www-data@localhost" in sub.method
    assert sub.client_addr == "152.228.133.10"
    assert sub.network_from_hop == 3


def test_submission_exchange_online_mapi_is_an_outlook_session() -> None:
    sub = _journey("rspamd__messages_arcallow.eml").submission
    assert sub is not None
    assert sub.method == "Outlook client over MAPI"
    assert sub.network.kind is NetworkKind.LINK_LOCAL


# -- delays -----------------------------------------------------------------------


def test_delay_negative_and_half_hour_deltas_are_flagged_not_clamped() -> None:
    data = _message(
        _hop_line("c.example", "192.0.2.3", "d.example", "1 Jan 2020 03:00:01 +0000"),
        _hop_line("b.example", "192.0.2.2", "c.example", "1 Jan 2020 10:00:01 +0000"),
        _hop_line("a.example", "192.0.2.1", "b.example", "1 Jan 2020 10:00:09 +0000"),
        _hop_line("o.example", "192.0.2.9", "a.example", "1 Jan 2020 10:00:04 +0000"),
    )
    hops = journey_from_bytes(data).hops
    assert [h.delay_flag for h in hops] == [
        DelayFlag.FIRST,
        DelayFlag.OK,
        DelayFlag.CLOCK_SKEW,
        DelayFlag.ZONE_LABEL,
    ]
    assert hops[1].delay == timedelta(seconds=5)
    assert hops[2].delay == timedelta(seconds=-8)
    assert hops[3].delay == timedelta(hours=-7)
    assert hops[3].delay_note is not None and "zone label" in hops[3].delay_note


def test_delay_positive_exact_hours_are_a_zone_label_suspicion() -> None:
    data = _message(
        _hop_line("b.example", "192.0.2.2", "c.example", "1 Jan 2020 19:00:00 +0900"),
        _hop_line("a.example", "192.0.2.1", "b.example", "1 Jan 2020 01:00:00 +0000"),
    )
    hops = journey_from_bytes(data).hops
    assert hops[1].delay == timedelta(hours=9)
    assert hops[1].delay_flag is DelayFlag.ZONE_LABEL


def test_delay_zone_unknown_is_never_taken_as_utc() -> None:
    data = _message(
        _hop_line("b.example", "192.0.2.2", "c.example", "1 Jan 2020 10:00:09 +0000"),
        _hop_line("a.example", "192.0.2.1", "b.example", "1 Jan 2020 10:00:05"),
        _hop_line("o.example", "192.0.2.9", "a.example", "1 Jan 2020 10:00:00 +0000"),
    )
    hops = journey_from_bytes(data).hops
    assert hops[1].line.date is not None and hops[1].line.date.tzinfo is None
    assert [h.delay_flag for h in hops[1:]] == [DelayFlag.ZONE_UNKNOWN] * 2
    assert hops[1].delay is None and hops[2].delay is None


def test_delay_corpus_spliced_header_is_clock_skew_of_two_years() -> None:
    hop = _journey("mailparser__mail_test_1.eml").hops[3]
    assert hop.delay_flag is DelayFlag.CLOCK_SKEW
    assert hop.delay is not None and hop.delay < timedelta(days=-700)


def test_summary_date_header_without_zone_is_zone_unknown() -> None:
    headers = _journey("sa__spam_dnsbl.eml").headers
    assert headers.date is not None
    assert not headers.date_zone_known


# -- chain ------------------------------------------------------------------------


def test_chain_localhost_reinjection_is_harmless() -> None:
    hop = _journey("mailparser__mail_test_10.eml").hops[2]
    assert hop.line.from_helo == "localhost"
    assert hop.link.status is LinkStatus.HARMLESS
    assert "same host" in hop.link.reason


def test_chain_fetchmail_retrieval_is_harmless() -> None:
    hop = _journey("sa__nice_cjk_gb2312.2.eml").hops[8]
    assert hop.line.retrieval
    assert hop.link.status is LinkStatus.HARMLESS


def test_chain_exchange_online_internal_hops_are_recognised() -> None:
    hops = _journey("rspamd__messages_arcallow.eml").hops
    assert hops[2].link.status is LinkStatus.MATCH
    assert "another internal name" in hops[2].link.reason
    assert hops[3].link.status is LinkStatus.HARMLESS
    assert hops[3].link.reason == "internal hop within outlook.com"


def test_chain_recipient_change_is_forwarding_or_list_expansion() -> None:
    data = _message(
        _hop_line(
            "list.example",
            "192.0.2.20",
            "mx.dest.example",
            "1 Jan 2020 10:00:09 +0000",
            rcpt="me@dest.example",
        ),
        _hop_line(
            "a.example",
            "192.0.2.1",
            "in.lists.example",
            "1 Jan 2020 10:00:05 +0000",
            rcpt="list@lists.example",
        ),
    )
    link = journey_from_bytes(data).hops[1].link
    assert link.status is LinkStatus.HARMLESS
    assert "forwarding or list expansion" in link.reason


def test_chain_unexplained_break_is_reported_worth_a_look() -> None:
    journey = _journey("mailparser__mail_test_1.eml")
    hop = journey.hops[1]
    assert hop.link.status is LinkStatus.BREAK
    assert hop.link.previous == 1
    assert any("Worth a look" in s for s in describe(journey))


# -- trust boundary ---------------------------------------------------------------


def test_boundary_ietf_list_mail_enters_at_mail_ietf_org() -> None:
    journey = _journey("rspamd__messages_ham.eml")
    assert journey.boundary is not None
    assert journey.boundary.sender_addr == "4.31.198.44"
    assert journey.boundary.sender_helo == "mail.ietf.org"


def test_boundary_authenticated_internal_hop_is_passed_through() -> None:
    # rspamd expects EXTERNAL_RELAY_AUTHENTICATED: 192.0.2.1 mail.example.org.
    journey = _journey("rspamd__messages_received5.eml")
    assert journey.boundary is not None
    assert journey.boundary.sender_addr == "192.0.2.1"
    assert [h.trust for h in journey.hops] == [
        Trust.BOUNDARY,
        Trust.RECEIVER,
        Trust.RECEIVER,
    ]


def test_boundary_microsoft_to_gmail_marks_microsoft_hops_claimed() -> None:
    journey = _journey("rspamd__messages_arcallow.eml")
    assert journey.boundary is not None
    assert journey.boundary.receiver == "mx.google.com"
    assert journey.boundary.sender_addr == "40.92.74.29"
    assert [h.trust for h in journey.hops] == [
        Trust.CLAIMED,
        Trust.CLAIMED,
        Trust.CLAIMED,
        Trust.BOUNDARY,
        Trust.RECEIVER,
    ]


def test_boundary_configured_networks_replace_the_inference() -> None:
    # SpamAssassin's t/dnsbl.t: trusted 10/8 and 150.51.53.1, so the first
    # untrusted relay is 212.17.35.14.
    nets = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("150.51.53.1/32"))
    configured = _journey("sa__spam_dnsbl.eml", PathOptions(trusted_networks=nets))
    assert configured.boundary is not None
    assert configured.boundary.sender_addr == "212.17.35.14"
    assert configured.boundary.configured
    inferred = _journey("sa__spam_dnsbl.eml")
    assert inferred.boundary is not None
    assert inferred.boundary.sender_addr == "150.51.53.1"


def test_boundary_chain_break_stops_the_trust() -> None:
    journey = _journey("sa__nice_spf3.eml")
    assert journey.boundary is not None
    assert "does not connect" in journey.boundary.reason
    below = [h.trust for h in journey.hops[: journey.boundary.hop_index - 1]]
    assert set(below) == {Trust.CLAIMED}


# -- authentication ---------------------------------------------------------------


def test_auth_results_from_the_receivers_authserv_id() -> None:
    auth = _journey("rspamd__messages_arcallow.eml").auth
    assert auth.authserv_id == "mx.google.com" and auth.matched_receiver
    assert [r.result for r in auth.by_method("dmarc")] == ["pass"]
    assert [(s.instance, s.seal_domain, s.chain_validation) for s in auth.arc] == [
        (1, "microsoft.com", "none"),
        (2, "google.com", "pass"),
    ]


def test_auth_results_of_the_sender_are_not_the_receivers() -> None:
    auth = _journey("rspamd__messages_dmarc_good_dkim_rspamd.eml").auth
    assert auth.authserv_id == "mx.google.com"
    assert auth.other_ids == ("mail.highsecure.ru",)


def test_auth_results_naming_no_receiving_host_are_flagged() -> None:
    journey = _journey("rspamd__messages_dmarc_no_dkim_valid_spf.eml")
    assert journey.auth.authserv_id == "mail.highsecure.ru"
    assert not journey.auth.matched_receiver
    assert any("not vouched for" in s for s in describe(journey))


def test_auth_arc_duplicate_instances_are_reported() -> None:
    arc = _journey("rspamd__messages_arcbad.eml").auth.arc
    assert arc and "more than one seal" in arc[0].problems


def test_summary_headers_are_rfc2047_decoded() -> None:
    headers = _journey("sa__nice_unicode1.eml").headers
    assert headers.subject == "Domače omrežje"
    assert headers.from_ is not None and "Gioffré" in headers.from_


# -- helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "org"),
    [
        ("mx.google.com", "google.com"),
        ("smtp.gmail.com", "google.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("CY4PR0601CA0051.outlook.office365.com", "outlook.com"),
        ("192.0.2.1", None),
        ("localhost", None),
    ],
)
def test_org_domain_groups_hosts_by_registered_domain(
    host: str, org: str | None
) -> None:
    assert org_domain(host) == org


def test_header_block_keeps_raw_received_undecoded() -> None:
    block = read_header_block(_message("from a by b; 1 Jan 2020 00:00:00 +0000"))
    assert block.received == ("from a by b; 1 Jan 2020 00:00:00 +0000",)
