"""The ISP resolver answers the test zones as the netprobe tests expect."""

from __future__ import annotations

import pytest

from lab import Lab
from lab.testing import require_lab
from tests.lab.lab_checks import dig

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def lab(lab_net: Lab) -> Lab:
    require_lab(test_tools=True)
    return lab_net


def test_whaler_mx_lists_both_exchanges_with_preferences(lab: Lab) -> None:
    answer = dig(lab, "MX", "whaler.example")
    assert answer.status == "NOERROR"
    # dnsmasq returns them in reverse configuration order; compare as a set.
    assert sorted(answer.records) == [
        "10 mail.whaler.example.",
        "100 backup.whaler.example.",
    ]


@pytest.mark.parametrize(
    ("qtype", "name", "records"),
    [
        ("A", "mail.whaler.example", ["203.0.113.25"]),
        ("AAAA", "mail.whaler.example", ["2001:db8:3::25"]),
        ("A", "backup.whaler.example", ["203.0.113.26"]),
        ("AAAA", "backup.whaler.example", ["2001:db8:3::26"]),
        ("MX", "isp.example", ["10 mail.isp.example."]),
        ("A", "mail.isp.example", ["198.51.100.1"]),
        ("AAAA", "mail.isp.example", ["2001:db8:1::1"]),
        ("MX", "reference.example", ["10 mx.reference.example."]),
        ("A", "mx.reference.example", ["203.0.113.40"]),
        ("AAAA", "mx.reference.example", ["2001:db8:4::40"]),
        ("MX", "srv.example", ["10 mail.whaler.example."]),
        ("MX", "v4only.example", ["10 mx.v4only.example."]),
        ("A", "mx.v4only.example", ["203.0.113.25"]),
        ("A", "implicit.example", ["203.0.113.25"]),
        ("AAAA", "implicit.example", ["2001:db8:3::25"]),
    ],
)
def test_record_has_expected_answer(
    lab: Lab, qtype: str, name: str, records: list[str]
) -> None:
    answer = dig(lab, qtype, name)
    assert (answer.status, answer.records) == ("NOERROR", records)


def test_null_mx_is_exactly_preference_zero_and_root(lab: Lab) -> None:
    # RFC 7505: a single MX with preference 0 and exchange ".".
    answer = dig(lab, "MX", "nullmx.example")
    assert (answer.status, answer.records) == ("NOERROR", ["0 ."])


def test_null_mx_domain_exists_for_other_types(lab: Lab) -> None:
    answer = dig(lab, "A", "nullmx.example")
    assert (answer.status, answer.records) == ("NOERROR", [])


@pytest.mark.parametrize(
    ("qtype", "name"),
    [
        # Implicit MX (RFC 5321 5.1) needs NODATA here, not NXDOMAIN.
        ("MX", "implicit.example"),
        ("AAAA", "mx.v4only.example"),
    ],
)
def test_existing_name_without_that_type_is_nodata(
    lab: Lab, qtype: str, name: str
) -> None:
    answer = dig(lab, qtype, name)
    assert (answer.status, answer.records) == ("NOERROR", [])


@pytest.mark.parametrize(
    ("name", "port"),
    [("_submission._tcp.srv.example", 587), ("_submissions._tcp.srv.example", 465)],
)
def test_submission_srv_points_at_mail_whaler(lab: Lab, name: str, port: int) -> None:
    answer = dig(lab, "SRV", name)
    assert (answer.status, answer.records) == (
        "NOERROR",
        [f"0 1 {port} mail.whaler.example."],
    )


@pytest.mark.parametrize(
    "name", ["nosuch.example", "nosuch.whaler.example", "mail.whaler.invalid.example"]
)
def test_unknown_name_is_nxdomain(lab: Lab, name: str) -> None:
    assert dig(lab, "A", name).status == "NXDOMAIN"


def test_servfail_zone_gives_servfail(lab: Lab) -> None:
    assert dig(lab, "MX", "servfail.example").status == "SERVFAIL"


def test_refused_zone_gives_refused(lab: Lab) -> None:
    assert dig(lab, "MX", "refused.example").status == "REFUSED"


def test_broken_zone_gets_no_answer_at_all(lab: Lab) -> None:
    # Forwarded to an address where nothing listens: dnsmasq never replies,
    # so the client sees a timeout, not an rcode.
    assert dig(lab, "MX", "broken.example", wait=1).status == ""


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("203.0.113.25", "mail.whaler.example."),
        ("2001:db8:3::25", "mail.whaler.example."),
        ("203.0.113.26", "backup.whaler.example."),
        ("2001:db8:3::26", "backup.whaler.example."),
        ("198.51.100.1", "mail.isp.example."),
        ("2001:db8:1::1", "mail.isp.example."),
        ("203.0.113.40", "mx.reference.example."),
        ("2001:db8:4::40", "mx.reference.example."),
        ("198.51.100.10", "hotel.isp.example."),
        ("2001:db8:1::10", "hotel.isp.example."),
        ("203.0.113.1", "gw.isp.example."),
        ("203.0.113.2", "core.net.example."),
        ("203.0.113.17", "edge.net.example."),
        ("2001:db8:3::2", "gw.whaler.example."),
    ],
)
def test_every_address_has_one_ptr(lab: Lab, address: str, name: str) -> None:
    answer = dig(lab, "PTR", address)
    assert (answer.status, answer.records) == ("NOERROR", [name])


def test_address_nobody_has_is_nxdomain_in_reverse(lab: Lab) -> None:
    assert dig(lab, "PTR", "198.51.100.99").status == "NXDOMAIN"
