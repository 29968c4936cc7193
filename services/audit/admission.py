"""The ledger's door: which messages on drr.audit become leaves, and why the others are refused.

A message is admitted only when it carries a record signed by a known service (drr-signer, drr-signature
over its exact bytes), a service that may produce that kind of record (producers.MAY_PRODUCE) and that
the record names as its own `service`, in the canonical form the leaf keeps. The signature is checked
first, before the content is parsed. Everything refused is dead-lettered with its reason and counted
(consumer.py); nothing refused stops ingestion.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

import orjson
from aiokafka import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from drr_verify.records import signature_valid
from pydantic import ValidationError

from services.audit.leaves import Leaf, leaf_of
from services.audit.metrics import zero_series
from services.audit.producers import MAY_PRODUCE
from shared.audit_records import AuditKind, AuditRecord
from shared.record_signing import SIGNATURE_HEADER, SIGNER_HEADER

Message: TypeAlias = ConsumerRecord[bytes, bytes]


class Reason:
    """Why a message was refused: a code in the dead letter's `error` header, the metric and the log."""

    UNSIGNED = "unsigned"
    UNKNOWN_SIGNER = "unknown_signer"
    BAD_SIGNATURE = "bad_signature"
    UNPARSEABLE = "unparseable"
    NOT_ITS_SERVICE = "not_its_service"
    """Signed by one service, the record names another."""
    KIND_NOT_PERMITTED = "kind_not_permitted"
    NOT_CANONICAL = "not_canonical"
    """Signed, but not in the form the leaf keeps, so the leaf's signature could not be checked."""
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    """A known record id with different content (ingest.sort_out): the first stands, this is an alarm."""

    @classmethod
    def refusals(cls) -> list[str]:
        """The codes counted in drr_audit_records_refused_total (a conflict has its own alarm counter)."""
        codes = [value for name, value in vars(cls).items() if name.isupper()]
        return [code for code in codes if code != cls.CONFLICTING_DUPLICATE]


@dataclass(frozen=True, slots=True)
class Refusal:
    message: Message
    reason: str
    detail: tuple[str, ...] = ()
    """Error kinds (never content), for the log."""


class Admission:
    def __init__(
        self, signers: Mapping[str, Ed25519PublicKey], may_produce: Mapping[str, frozenset[AuditKind]] = MAY_PRODUCE
    ) -> None:
        self._signers, self._may_produce = dict(signers), may_produce
        zero_series(Reason.refusals())

    def leaf(self, message: Message) -> Leaf | Refusal:
        headers = dict(message.headers or ())
        signer, signature = headers.get(SIGNER_HEADER), headers.get(SIGNATURE_HEADER)
        if signer is None or signature is None:
            return Refusal(message, Reason.UNSIGNED)
        service = signer.decode(errors="replace")
        key = self._signers.get(service)
        if key is None:
            return Refusal(message, Reason.UNKNOWN_SIGNER)
        value = message.value or b""
        if not signature_valid(key, value, _base64(signature)):
            return Refusal(message, Reason.BAD_SIGNATURE)
        return self._admitted(message, value, service, signature.decode())

    def _admitted(self, message: Message, value: bytes, service: str, signature: str) -> Leaf | Refusal:
        try:
            record = AuditRecord.model_validate_json(value)
            leaf = leaf_of(record, service, signature)
        except ValidationError as error:  # its text quotes the input: keep only the kinds of error
            kinds = sorted({detail["type"] for detail in error.errors(include_input=False)})
            return Refusal(message, Reason.UNPARSEABLE, tuple(kinds))
        except (OverflowError, orjson.JSONEncodeError) as error:  # a time that overflows when moved to UTC
            return Refusal(message, Reason.UNPARSEABLE, (type(error).__name__,))
        if record.service != service:
            return Refusal(message, Reason.NOT_ITS_SERVICE)
        if record.kind not in self._may_produce.get(service, frozenset()):
            return Refusal(message, Reason.KIND_NOT_PERMITTED)
        if leaf.text.encode() != value:
            return Refusal(message, Reason.NOT_CANONICAL)
        return leaf


def _base64(value: bytes) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        return b""
