"""netprobe check, run on the hotel laptop of the test network.

Real Postfix, real dnsmasq, a real nftables policy on the ISP's router:
these tests are what the README's claims rest on. Each runs the installed
command as a user would, in np-hotel, and reads its JSON report.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab import Lab, Mode
from tests.lab.lab_checks import Report, check, codes, finding, outcomes

pytestmark = pytest.mark.network


def best_advice(report: Report) -> tuple[str, int, str, bool]:
    first = report["advice"][0]
    return first["host"], first["port"], first["security"], first["login"]


SUBMISSION = ("mail.whaler.example", 465, "implicit_tls", True)


def test_check_open_network_is_ok(lab_reset: Lab) -> None:
    code, report = check(lab_reset, "whaler.example")

    assert code == 0
    assert report["verdict"]["status"] == "ok"
    assert [m["exchange"] for m in report["mx"]] == [
        "mail.whaler.example",
        "backup.whaler.example",
    ]
    assert set(outcomes(report, 25).values()) == {"open"}
    assert {p["family"] for p in report["probes"]} == {"ipv4", "ipv6"}
    assert best_advice(report) == SUBMISSION
    assert codes(report) == set()


@pytest.mark.parametrize(
    ("mode", "how"),
    [
        (Mode.DROP, "filtered"),
        (Mode.RESET, "reset"),
        (Mode.PROHIBITED, "prohibited"),
        (Mode.REDIRECT, "intercepted"),
    ],
)
def test_check_blocked_port25_says_how_and_advises_submission(
    lab_reset: Lab, mode: Mode, how: str
) -> None:
    lab_reset.set_mode(mode)

    code, report = check(lab_reset, "whaler.example")

    assert code == 1
    assert report["verdict"]["status"] == "degraded"
    blocked = finding(report, "port25_blocked")
    assert blocked["how"] == how
    assert blocked["families"] == ["ipv4", "ipv6"]
    assert blocked["confidence"] == "high"
    assert "exchange_down" not in codes(report)
    assert best_advice(report) == SUBMISSION
    assert set(outcomes(report, 587).values()) <= {"open", "refused"}


def test_check_redirect_names_the_isp_relay(lab_reset: Lab) -> None:
    lab_reset.set_mode(Mode.REDIRECT)

    _, report = check(lab_reset, "whaler.example")

    intercepted = finding(report, "intercepted")
    assert intercepted["hosts"] == ["mail.isp.example"]
    assert set(outcomes(report, 25).values()) == {"intercepted"}
    relay = [a for a in report["advice"] if a["purpose"] == "relay"]
    assert relay and relay[0]["host"] == "mail.isp.example"
    assert "tls_problem" not in codes(report)


@pytest.mark.parametrize(("family", "other"), [("ipv4", "ipv6"), ("ipv6", "ipv4")])
def test_check_block_of_one_family_is_said_plainly(
    lab_reset: Lab, family: str, other: str
) -> None:
    lab_reset.set_mode(Mode.DROP, family=family)

    code, report = check(lab_reset, "whaler.example")

    blocked = finding(report, "port25_blocked")
    assert blocked["families"] == [family]
    word = "IPv4" if family == "ipv4" else "IPv6"
    assert f"over {word} only" in blocked["summary"]
    assert any(f"over {word} only" in s for s in report["verdict"]["sentences"])
    open_25 = [
        p for p in report["probes"] if p["port"] == 25 and p["outcome"] == "open"
    ]
    assert {p["family"] for p in open_25} == {other}
    assert code == 1


@pytest.mark.parametrize(("flag", "family"), [("-4", "ipv4"), ("-6", "ipv6")])
def test_check_family_flag_probes_one_family(
    lab_net: Lab, flag: str, family: str
) -> None:
    _, report = check(lab_net, "whaler.example", flag)

    assert {p["family"] for p in report["probes"]} == {family}


def test_check_primary_exchange_off_is_not_a_network_block(lab_reset: Lab) -> None:
    lab_reset.host("mail", up=False)

    code, report = check(lab_reset, "whaler.example")

    down = finding(report, "exchange_down")
    assert down["hosts"] == ["mail.whaler.example"]
    assert "primary" in down["summary"]
    assert "port25_blocked" not in codes(report)
    # The backup MX still takes mail on 25, but no client setting works.
    assert set(outcomes(report, 25).values()) == {"filtered", "open"}
    assert code == 3


def test_check_null_mx_domain_cannot_receive_mail(lab_net: Lab) -> None:
    code, report = check(lab_net, "nullmx.example")

    assert code == 4
    assert report["routing"] == "null_mx"
    assert report["probes"] == []


def test_check_nxdomain_exits_4(lab_net: Lab) -> None:
    code, report = check(lab_net, "nosuchdomain.example")

    assert code == 4
    assert codes(report) == {"nxdomain"}


def test_check_implicit_mx_probes_the_domain(lab_net: Lab) -> None:
    _, report = check(lab_net, "implicit.example")

    assert report["routing"] == "implicit_mx"
    assert "implicit_mx" in codes(report)
    assert {p["host"] for p in report["probes"]} == {"implicit.example"}
    assert {p["address"] for p in report["probes"]} == {
        "203.0.113.25",
        "2001:db8:3::25",
    }


def test_check_srv_records_name_the_submission_host(lab_net: Lab) -> None:
    code, report = check(lab_net, "srv.example")

    sources = [(s["source"], s["host"], s["port"]) for s in report["submission_hosts"]]
    assert ("srv", "mail.whaler.example", 465) in sources
    assert ("srv", "mail.whaler.example", 587) in sources
    assert sources.index(("srv", "mail.whaler.example", 465)) == 0
    assert best_advice(report) == SUBMISSION
    assert code == 0


@pytest.mark.parametrize(
    ("domain", "status"),
    [("servfail.example", "servfail"), ("refused.example", "refused")],
)
def test_check_resolver_failure_is_dns_not_the_domain(
    lab_net: Lab, domain: str, status: str
) -> None:
    code, report = check(lab_net, domain)

    assert code == 3
    assert report["routing"] == "dns_failure"
    assert "nxdomain" not in codes(report)
    mx = next(q for q in report["dns"] if q["type"] == "MX")
    assert mx["status"] == status


def test_check_v4only_exchange_is_probed_over_ipv4(lab_net: Lab) -> None:
    _, report = check(lab_net, "v4only.example")

    assert report["mx"][0]["addresses"] == ["203.0.113.25"]
    assert {
        p["family"] for p in report["probes"] if p["host"] == "mx.v4only.example"
    } == {"ipv4"}


# Drops every other SYN to mail's 587 over IPv4: the probe's first SYN is
# lost, as on a lossy Wi-Fi, and the next one to that port gets through.
LOSSY_587 = """
table inet netprobe_test_loss {
    chain forward {
        type filter hook forward priority -10; policy accept;
        ip daddr 203.0.113.25 tcp dport 587 tcp flags & (syn | ack) == syn \\
            numgen inc mod 2 == 0 drop
    }
}
"""


@pytest.fixture
def lossy_587(lab_reset: Lab) -> Iterator[Lab]:
    lab_reset.exec("np-isp", ["nft", "-f", "-"], input=LOSSY_587, check=True)
    lab_reset.exec("np-isp", ["conntrack", "-F"])
    yield lab_reset
    lab_reset.exec("np-isp", ["nft", "delete", "table", "inet", "netprobe_test_loss"])


def test_check_one_lost_syn_is_not_a_filter(lossy_587: Lab) -> None:
    # The silent limit on this short path (0.5 s) is shorter than Linux's
    # one-second SYN resend: only netprobe's own second SYN saves the probe
    # from being called filtered.
    _, report = check(lossy_587, "whaler.example", "-4", "--no-packets")

    [probe] = [
        p
        for p in report["probes"]
        if p["address"] == "203.0.113.25" and p["port"] == 587
    ]
    assert probe["outcome"] == "open"
    assert probe["evidence"]["timings"]["connect"] < 1.0
    assert "submission_blocked" not in codes(report)
