"""Signed audit messages for the ledger's tests: each service's key made afresh, the admission that knows
them, and messages as Kafka would hand them over (value and headers)."""

from typing import Any
from uuid import uuid4

from aiokafka import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from drr_verify.records import public_keys

from services.audit.admission import Admission, Message
from services.audit.producers import MAY_PRODUCE
from shared.audit_records import AuditRecord
from shared.record_signing import Headers, RecordSigner

SIGNERS = {service: RecordSigner(service, Ed25519PrivateKey.generate()) for service in MAY_PRODUCE}
ADMISSION = Admission(public_keys({service: signer.public_key for service, signer in SIGNERS.items()}))


def record(case_id: str = "case-1", **fields: Any) -> AuditRecord:
    given = {"record_id": uuid4(), "kind": "email.sent", "service": "notifier", "case_id": case_id, **fields}
    return AuditRecord.model_validate(given)


def message(value: bytes | None, offset: int = 0, headers: Headers | None = None) -> Message:
    size = len(value or b"")
    return ConsumerRecord("drr.audit", 2, offset, 0, 0, b"case-1", value, None, 6, size, list(headers or []))


def signed(made: AuditRecord, offset: int = 0, signer: RecordSigner | None = None) -> Message:
    """The record as its own service sends it (or as `signer` signs it)."""
    value, headers = (signer or SIGNERS[made.service]).signed(made)
    return message(value, offset, headers)
