"""Audit records: one per fact (event received or rejected, sharing decision, email outcome).

They carry identifiers, field names and keyed digests of field content (shared/digests.py), never the
content itself, so the audit trail can prove what was shared without becoming a second copy of personal
data. A record travels, and is kept as a leaf, in one canonical form (`canonical_text`), which its producer
signs (shared/record_signing.py).
"""

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.deliveries import Delivery


class AuditKind(StrEnum):
    EVENT_RECEIVED = "event.received"
    EVENT_REJECTED = "event.rejected"
    SHARING_DECIDED = "sharing.decided"
    TEAM_UPDATED = "team.updated"
    SHARING_STATE_UPDATED = "sharing_state.updated"
    EMAIL_SENT = "email.sent"
    EMAIL_FAILED = "email.failed"
    EMAIL_DEAD_LETTERED = "email.dead_lettered"
    POLICY_LOADED = "policy.loaded"
    AUDIT_QUERIED = "audit.queried"
    ESCALATED = "notification.escalated"
    EMAIL_CREATED = "email.created"
    EMAIL_SENDING = "email.sending"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    EMAIL_HELD = "email.held"
    COMPLETENESS_ALARM = "completeness.alarm"
    """The audit service's own: an accepted event not decided, or a delivery not finished, in time."""
    COMPLETENESS_RESOLVED = "completeness.resolved"
    EVENT_REDRIVEN = "event.redriven"
    """An operator republished an accepted event's original bytes to drr.events (`audit redrive`)."""
    CASE_ERASED = "case.erased"
    """The router destroyed a case's keys and deleted its state: what (`erased`) and under which rule."""


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: UUID
    """Stable per fact, so a redelivered record can be recognised."""
    kind: AuditKind
    recorded_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    service: str
    case_id: str | None = None
    event_id: UUID | None = None
    event_type: str | None = None
    correlation_id: str | None = None
    source_agency: str | None = None
    key_id: str | None = None
    """The public id of the API key a request came with (intake), never the key itself."""
    recipient_id: str | None = None
    recipient_role: str | None = None
    recipient_agency: str | None = None
    rule: str | None = None
    field_digests: dict[str, str] = Field(default_factory=dict)
    """Field name -> keyed digest (HMAC-SHA-256, shared/digests.py) of its canonical JSON value, for the fields
    received or shared."""
    fields_withheld: list[str] = Field(default_factory=list)
    outcome: str | None = None
    """A reason or status code, never free text that could carry personal data."""
    actor: str | None = None
    """Who did it, when that is not a recipient: e.g. the oversight token's name for an audit query."""
    query: dict[str, str] = Field(default_factory=dict)
    """For an audit query: the path and the parameters asked (identifiers and codes only)."""
    policy_hash: str | None = None
    """The content hash of the sharing policy that decided (sharing decisions)."""
    purpose: str | None = None
    legal_basis: str | None = None
    agreement: str | None = None
    """Agreement id@version a share relied on, if any."""
    reason: str | None = None
    """Why nothing was shared (a code such as `excluded`, `denied`, `consent_not_given`)."""
    count: int | None = Field(None, ge=1, exclude_if=lambda value: value is None)
    """For a record that stands for several like refusals (intake's refused requests, counted per window):
    how many. Left out of every dump while unset (LATER_FIELDS)."""
    window_start: AwareDatetime | None = Field(None, exclude_if=lambda value: value is None)
    """For such a record: when the window it counts began (the record is made when the window ends)."""
    erased: list[str] | None = Field(None, exclude_if=lambda value: value is None)
    """For `case.erased`: what was destroyed or deleted (key topics, tables), by name."""


LATER_FIELDS = ("count", "window_start", "erased")
"""Fields added after records were first kept: written in the canonical text only when set, so that every
record without them keeps the text (and so the signature and leaf hash) it always had."""


def delivery_record(delivery: Delivery, kind: AuditKind, record_id: UUID, service: str, **facts: Any) -> AuditRecord:
    """A record about one delivery: whose case, which event, which recipient, under which rule."""
    recipient = delivery.recipient
    return AuditRecord(
        record_id=record_id,
        kind=kind,
        service=service,
        case_id=delivery.case_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        correlation_id=delivery.correlation_id,
        recipient_id=recipient.practitioner_id,
        recipient_role=recipient.role,
        recipient_agency=recipient.agency,
        rule=delivery.rule,
        **facts,
    )


def record_id_for(kind: AuditKind, *parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "drr:audit:" + ":".join([kind.value, *map(str, parts)]))


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes a field's digest is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def content_hash(value: Any) -> str:
    """SHA-256 of a value's canonical JSON: whether two values are the same (an idempotency check, a pause's
    reason), never a field digest in a record, which is keyed (shared/digests.py)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z


def canonical_text(record: AuditRecord) -> str:
    """canonical_json(record.model_dump(mode="json")): sorted keys, no whitespace, UTF-8, and (as every dump)
    without the LATER_FIELDS left unset.

    The form a record is signed in and kept in as a leaf. orjson writes the model's own field values
    directly, in that same form (UUIDs lowercase with hyphens, enums by value, datetimes as pydantic writes
    them, UTC as `Z`), several times faster than dumping the model to a dict first. Only a UTC offset with
    seconds is written differently by orjson; pydantic refuses one in JSON, so only a record built in Python
    can have it, and such a record takes the slow path.
    """
    fields, start = record.__dict__, record.window_start
    unset = [name for name in LATER_FIELDS if fields[name] is None]
    if unset:  # almost every record has none of them: a shallow copy without them
        fields = fields.copy()
        for name in unset:
            del fields[name]
    if _odd_offset(record.recorded_at) or (start is not None and _odd_offset(start)):
        return orjson.dumps(record.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS).decode()
    return orjson.dumps(fields, option=CANONICAL).decode()


def _odd_offset(moment: datetime) -> bool:
    """A UTC offset with seconds, which orjson writes differently from pydantic."""
    offset = moment.utcoffset()
    return offset is not None and bool(offset.seconds % 60 or offset.microseconds)
