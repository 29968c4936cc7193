"""Every audit record leaves its producer signed: the record's canonical bytes (the leaf the ledger will
keep, byte for byte) as the Kafka value, and two headers, `drr-signer` (the service) and `drr-signature`
(base64 Ed25519 over drr_verify.records.signed_message of those bytes).

One key per service, in a PEM file (PKCS#8) readable by that service alone; the audit service holds only
the public keys (DRR_AUDIT_RECORD_SIGNERS) and refuses a record that is unsigned, signed by a key it does
not know, or signed by a service that may not produce it. The ledger keeps each signature beside its leaf,
so the oversight body's verifier can check every record's producer itself.
"""

import base64
import os
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from drr_verify.records import signed_message

from shared.audit_records import AuditRecord, canonical_text

SIGNER_HEADER = "drr-signer"
SIGNATURE_HEADER = "drr-signature"
Headers = list[tuple[str, bytes]]


class SignedRecord(NamedTuple):
    """What a producer sends for one record: the value and its headers."""

    value: bytes
    headers: Headers


class RecordSigner:
    def __init__(self, service: str, key: Ed25519PrivateKey) -> None:
        self.service, self._key = service, key
        self._name = service.encode()

    @classmethod
    def from_file(cls, service: str, path: Path) -> "RecordSigner":
        """The service's key; a missing file stops it at start-up (keys are made by the set-up, not here,
        since the audit service must be given the public key before the first record arrives)."""
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError as missing:
            raise FileNotFoundError(f"record signing key {path} is missing (make it with the set-up)") from missing
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(service, key)

    @property
    def public_key(self) -> str:
        """Base64 of the raw 32-byte public key: the audit service's DRR_AUDIT_RECORD_SIGNERS entry."""
        return public_key_text(self._key)

    def signed(self, record: AuditRecord) -> SignedRecord:
        if record.service != self.service:  # a programming error, never a record to let through
            raise ValueError(f"a {self.service} key signs {self.service}'s records, not {record.service}'s")
        value = canonical_text(record).encode()
        signature = base64.b64encode(self._key.sign(signed_message(value)))
        return SignedRecord(value, [(SIGNER_HEADER, self._name), (SIGNATURE_HEADER, signature)])


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def write_signing_key(path: Path) -> str:
    """A fresh key in `path` (mode 0600) unless one is there; returns its public key text."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
    return RecordSigner.from_file("", path).public_key


class Sends(Protocol):
    async def send(self, *, key: bytes, value: bytes, headers: Any = None) -> Any: ...


class SigningAuditTopic:
    """The audit topic for a service whose parts hand over records as JSON (the notifier's): each is read
    back as a record, then sent in its canonical form, signed. Reading it back also means nothing that is
    not a valid record ever leaves."""

    def __init__(self, topic: Sends, signer: RecordSigner) -> None:
        self._topic, self._signer = topic, signer

    async def send(self, *, key: bytes, value: bytes, headers: Any = None) -> Any:
        signed = self._signer.signed(AuditRecord.model_validate_json(value))
        return await self._topic.send(key=key, value=signed.value, headers=[*(headers or ()), *signed.headers])
