"""The install's own certificate authority and the broker's certificate, made with `cryptography`.

Made once per install (files mode 0600, reused): clients trust only this CA, so a broker certificate
from anywhere else is refused, and hostname checking stays on (the broker's names are in its SAN).
"""

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from deploy.local.private_files import write_private

BROKER_NAMES = ("localhost", "kafka")
"""DNS names in the broker certificate: the local stack and the compose network (besides 127.0.0.1)."""
VALID = timedelta(days=825)


@dataclass(frozen=True)
class LocalTls:
    """PEM files in `folder`: ca.pem (public, what clients trust), ca-key.pem, broker.pem (the broker's
    private key followed by its certificate chain, one file as Kafka's PEM key store wants it)."""

    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "kafka-ca.pem"

    @property
    def broker_key_store(self) -> Path:
        return self.folder / "kafka-broker.pem"

    def ensure(self) -> "LocalTls":
        """Make the CA and the broker certificate unless both exist already."""
        if self.ca_file.exists() and self.broker_key_store.exists():
            return self
        ca_key, ca_cert = _authority()
        key, cert = _broker(ca_key, ca_cert)
        write_private(self.folder / "kafka-ca-key.pem", _key_pem(ca_key))
        write_private(self.ca_file, _cert_pem(ca_cert))
        write_private(self.broker_key_store, _key_pem(key) + _cert_pem(cert) + _cert_pem(ca_cert))
        return self


def _authority() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drr-notify local CA")])
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _broker(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in BROKER_NAMES]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drr-notify kafka broker")])
    cert = (
        _builder(subject, ca_cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _builder(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALID)
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=not cert_sign, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """PKCS#8, unencrypted: Kafka's PEM key store reads PKCS#8 only (the file itself is mode 0600)."""
    pem, pkcs8 = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(pem, pkcs8, serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)
