"""The per-install secrets under var/secrets/: made once, private (0600 in a 0700 folder), reused, and a
CA that really vouches for the broker's certificate (names included)."""

import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from deploy.local.secrets import LocalSecrets
from shared.kafka_acls import PRINCIPALS


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_secret_is_private_and_made_only_once(tmp_path: Path) -> None:
    secrets = LocalSecrets(tmp_path / "secrets").ensure()
    files = sorted(secrets.folder.iterdir())
    assert mode(secrets.folder) == 0o700
    assert files and all(mode(f) == 0o600 for f in files), [f.name for f in files if mode(f) != 0o600]
    before = {f.name: f.read_bytes() for f in files}
    again = LocalSecrets(tmp_path / "secrets").ensure()
    assert {f.name: f.read_bytes() for f in again.folder.iterdir()} == before


def test_each_principal_has_its_own_long_password(tmp_path: Path) -> None:
    secrets = LocalSecrets(tmp_path / "secrets")
    passwords = [secrets.password(p) for p in PRINCIPALS]
    assert len(set(passwords)) == len(PRINCIPALS) and min(map(len, passwords)) >= 32
    assert LocalSecrets(tmp_path / "other").password("admin") != passwords[0], "per install, not fixed"


def test_the_broker_certificate_is_signed_by_the_ca_for_the_brokers_names(tmp_path: Path) -> None:
    tls = LocalSecrets(tmp_path / "secrets").tls
    ca = x509.load_pem_x509_certificate(tls.ca_file.read_bytes())
    store = tls.broker_key_store.read_bytes()
    broker = x509.load_pem_x509_certificates(store)[0]
    key = serialization.load_pem_private_key(store, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.public_key() == broker.public_key()
    broker.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert {"localhost", "kafka"} <= set(names.get_values_for_type(x509.DNSName))
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_the_console_tools_properties_name_the_principal_and_trust_the_ca(tmp_path: Path) -> None:
    secrets = LocalSecrets(tmp_path / "secrets")
    text = secrets.client_properties("admin", "127.0.0.1:9092").read_text()
    assert "security.protocol=SASL_SSL" in text and "sasl.mechanism=SCRAM-SHA-512" in text
    assert f'username="admin" password="{secrets.password("admin")}"' in text
    assert f"ssl.truststore.location={secrets.tls.ca_file}" in text
