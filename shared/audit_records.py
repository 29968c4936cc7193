"""Audit records: one per fact (event received or rejected, sharing decision, email outcome).

They carry identifiers, field names and SHA-256 digests of field content, never the content itself,
so the audit trail can prove what was shared without becoming a second copy of personal data.
"""

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

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
    """Field name -> SHA-256 of its canonical JSON value, for the fields received or shared."""
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
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def digests(fields: dict[str, Any]) -> dict[str, str]:
    return {name: digest(value) for name, value in fields.items()}
