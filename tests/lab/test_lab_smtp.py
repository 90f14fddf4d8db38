"""The exchanges speak SMTP as netprobe's tests expect (stopping at AUTH)."""

from __future__ import annotations

import pytest

from lab import SUBMISSION_PASSWORD, SUBMISSION_USER, Lab
from lab.testing import require_lab
from tests.lab.lab_checks import smtp_session

pytestmark = pytest.mark.network

MAIL = "mail.whaler.example"
BACKUP = "backup.whaler.example"
RELAY = "mail.isp.example"
REFERENCE = "mx.reference.example"
LOGIN = [SUBMISSION_USER, SUBMISSION_PASSWORD]


@pytest.fixture(scope="module")
def lab(lab_net: Lab) -> Lab:
    require_lab(test_tools=True)
    return lab_net


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("203.0.113.25", MAIL),
        ("2001:db8:3::25", MAIL),
        ("203.0.113.26", BACKUP),
        ("2001:db8:3::26", BACKUP),
        ("198.51.100.1", RELAY),
        ("2001:db8:1::1", RELAY),
        ("203.0.113.40", REFERENCE),
        ("2001:db8:4::40", REFERENCE),
    ],
)
def test_port_25_greets_with_own_name_and_offers_starttls(
    lab: Lab, address: str, name: str
) -> None:
    seen = smtp_session(lab, host=address, port=25, name=name, starttls=True)
    assert seen["greeting"].startswith(f"{name} ESMTP")
    assert "STARTTLS" in seen["ehlo"]
    assert seen["starttls_code"] == 220
    assert seen["peer_names"] == [name]
    # A public MX takes no logins (RFC 6409 leaves that to submission).
    assert not any(line.startswith("AUTH") for line in seen["ehlo_tls"])


@pytest.mark.parametrize("address", ["203.0.113.25", "2001:db8:3::25"])
def test_submission_offers_auth_only_after_starttls(lab: Lab, address: str) -> None:
    seen = smtp_session(lab, host=address, port=587, name=MAIL, starttls=True)
    assert "STARTTLS" in seen["ehlo"]
    assert not any(line.startswith("AUTH") for line in seen["ehlo"])
    assert "AUTH PLAIN LOGIN" in seen["ehlo_tls"]


def test_submission_accepts_the_lab_login(lab: Lab) -> None:
    seen = smtp_session(
        lab, host="203.0.113.25", port=587, name=MAIL, starttls=True, login=LOGIN
    )
    assert seen["auth_code"] == 235


def test_submission_rejects_a_wrong_password(lab: Lab) -> None:
    seen = smtp_session(
        lab,
        host="203.0.113.25",
        port=587,
        name=MAIL,
        starttls=True,
        login=[SUBMISSION_USER, "wrong"],
    )
    assert seen["auth_code"] == 535


@pytest.mark.parametrize("address", ["203.0.113.25", "2001:db8:3::25"])
def test_port_465_is_implicit_tls_verified_by_the_lab_ca(
    lab: Lab, address: str
) -> None:
    seen = smtp_session(lab, host=address, port=465, name=MAIL, implicit=True)
    assert seen["tls"].startswith("TLSv1.")
    assert seen["peer_names"] == [MAIL]
    assert seen["greeting"].startswith(f"{MAIL} ESMTP")
    assert "AUTH PLAIN LOGIN" in seen["ehlo"]


def test_certificate_fails_for_another_name(lab: Lab) -> None:
    seen = smtp_session(lab, host="203.0.113.25", port=465, name=BACKUP, implicit=True)
    assert "SSLCertVerificationError" in seen["error"]


def test_certificate_fails_without_the_lab_ca(lab: Lab) -> None:
    seen = smtp_session(
        lab, host="203.0.113.25", port=465, name=MAIL, implicit=True, cafile=None
    )
    assert "SSLCertVerificationError" in seen["error"]


@pytest.mark.parametrize("port", [587, 465])
@pytest.mark.parametrize("address", ["203.0.113.26", "203.0.113.40"])
def test_backup_and_reference_have_no_submission_ports(
    lab: Lab, address: str, port: int
) -> None:
    assert lab.hotel_connect(address, port).outcome == "ECONNREFUSED"


def test_swaks_sees_starttls_on_25(lab: Lab) -> None:
    result = lab.hotel_exec(
        ["swaks", "--server", "203.0.113.25", "--quit-after", "EHLO"], timeout=20
    )
    assert f"<-  220 {MAIL} ESMTP" in result.stdout
    assert "<-  250-STARTTLS" in result.stdout
