"""The lab's private certificate authority and the exchanges' certificates.

One CA signs a certificate for each exchange name. netprobe trusts it with
`--cafile` (Lab.ca_file); nothing outside the lab ever sees it. The files are
kept across `up`s so a client pointed at the CA keeps working.
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

VALIDITY = datetime.timedelta(days=365)
# Regenerate rather than hand out a certificate about to expire mid-run.
RENEW_BEFORE = datetime.timedelta(days=7)
# Clocks of a fresh VM can lag; backdating avoids "not yet valid".
BACKDATE = datetime.timedelta(days=1)
CA_NAME = "netprobe lab CA"


@dataclass(frozen=True)
class Credential:
    """A certificate and its private key on disk (PEM)."""

    cert: Path
    key: Path


def ensure(directory: Path, names: Iterable[str]) -> tuple[Path, dict[str, Credential]]:
    """Make (or keep) the CA and one certificate per name in `directory`.

    Returns the CA certificate path and each name's credential.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca = Credential(directory / "ca.pem", directory / "ca.key")
    renew_all = not (_still_valid(ca.cert) and ca.key.exists())
    if renew_all:
        log.debug("pki.ca create path=%s", ca.cert)
        _write(ca, *_make_ca())
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{ca.key} does not hold the lab's EC key")

    credentials = {}
    for name in names:
        credential = Credential(directory / f"{name}.pem", directory / f"{name}.key")
        if renew_all or not _still_valid(credential.cert):
            log.debug("pki.leaf create name=%s", name)
            _write(credential, *_make_leaf(name, ca_cert, ca_key))
        credentials[name] = credential
    return ca.cert, credentials


def _make_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_leaf(
    name: str, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    # RFC 6125: the name a client checks is the DNS-ID in subjectAltName;
    # the CN is there only for humans reading the certificate.
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
        # Python 3.13 verifies with VERIFY_X509_STRICT, which wants the AKI.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _still_valid(cert_path: Path) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except FileNotFoundError:
        return False
    except ValueError:
        log.warning("pki.unreadable path=%s; making a new one", cert_path)
        return False
    remaining = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    return remaining > RENEW_BEFORE


def _write(
    credential: Credential,
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
) -> None:
    credential.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Private keys are readable by root only; Postfix reads them as root
    # before it drops privileges.
    fd = os.open(credential.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
