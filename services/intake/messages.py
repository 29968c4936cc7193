"""What passes through intake as data: the request body read into events (or into rejections an agency
system can act on), the answers intake gives (the 202 `Receipt`, batch results, error bodies), and the audit
records it writes, built here and nowhere else in intake.

Error details name the field and the rule broken, never the value sent (it may be personal data); audit
records carry identifiers and codes, never the payload.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, ValidationError

from services.intake.access import ApiKey
from shared.audit_records import AuditKind, AuditRecord, record_id_for
from shared.events import Envelope, parse_event
from shared.payloads import PAYLOADS

SERVICE = "intake"


# The request


@dataclass(frozen=True)
class Rejection:
    status: int
    reason: str
    event_type: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {"error": self.reason, "errors": self.errors}


def validate(body: bytes, max_bytes: int) -> Envelope | Rejection:
    data = _decode(body, max_bytes)
    return data if isinstance(data, Rejection) else validate_item(data)


def validate_item(data: object) -> Envelope | Rejection:
    try:
        return parse_event(data)
    except ValidationError as exc:
        return Rejection(422, "invalid_event", _known_type(data), [_describe(e) for e in exc.errors()])


def validate_batch(body: bytes, max_bytes: int, max_events: int) -> list[Envelope | Rejection] | Rejection:
    """A batch is `{"events": [...]}` with 1 to max_events items; each item is judged on its own."""
    data = _decode(body, max_bytes)
    if isinstance(data, Rejection):
        return data
    events = data.get("events") if isinstance(data, dict) and set(data) == {"events"} else None
    if not isinstance(events, list) or not 1 <= len(events) <= max_events:
        message = f'expected {{"events": [...]}} with 1 to {max_events} events'
        return Rejection(422, "invalid_batch", errors=[{"field": "events", "message": message}])
    return [validate_item(item) for item in events]


def _decode(body: bytes, max_bytes: int) -> Any:
    if len(body) > max_bytes:
        return Rejection(413, "body_too_large", errors=[{"field": "", "message": f"at most {max_bytes} bytes"}])
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, or an integer of more than 4,300 digits
        return Rejection(422, "malformed_json", errors=[{"field": "", "message": "body is not valid JSON"}])


def _describe(error: Any) -> dict[str, str]:
    loc = [str(part) for part in error["loc"]]
    if loc and loc[0] in PAYLOADS:  # the union tag pydantic puts first
        loc = loc[1:]
    return {"field": ".".join(loc), "type": error["type"], "message": error["msg"]}


def _known_type(data: Any) -> str | None:
    event_type = data.get("event_type") if isinstance(data, dict) else None
    return event_type if isinstance(event_type, str) and event_type in PAYLOADS else None


# The answer


class FieldError(BaseModel):
    field: str
    """Dotted path of the offending field ('' for the body as a whole); never the value sent."""
    type: str | None = None
    message: str


class ErrorBody(BaseModel):
    error: str
    """A machine-readable reason: missing_credentials, invalid_credentials, key_revoked, agency_mismatch,
    event_type_not_allowed, malformed_json, invalid_event, invalid_batch, body_too_large, idempotency_conflict,
    event_id_taken, request_in_progress, rate_limited, broker_unavailable; and the authority refusals (authority.py):
    case_not_found, event_not_found, case_exists, not_case_owner, not_data_holder, version_not_next,
    agreement_spans_data_holders."""
    errors: list[FieldError] = Field(default_factory=list)


class Receipt(BaseModel):
    event_id: UUID
    duplicate: bool = False
    """True when this answers a repeat of an event already accepted (nothing was published again)."""


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class ItemResult(BaseModel):
    index: int
    status: ItemStatus
    event_id: UUID | None = None
    error: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
    retryable: bool = False
    """True when sending the same item again may succeed (broker unavailable, request in progress)."""


class BatchResult(BaseModel):
    results: list[ItemResult]


class Health(BaseModel):
    status: Literal["ok", "connecting"]


# The audit records


def received_record(event: Envelope, field_digests: dict[str, str]) -> AuditRecord:
    """`event` as published (sealed), `field_digests` under the case's digest key (sealing.py)."""
    return AuditRecord(
        record_id=record_id_for(AuditKind.EVENT_RECEIVED, event.event_id),
        kind=AuditKind.EVENT_RECEIVED,
        service=SERVICE,
        case_id=event.case_id,
        event_id=event.event_id,
        event_type=event.event_type,
        correlation_id=event.correlation_id,
        source_agency=event.source.agency,
        field_digests=field_digests,
        outcome="accepted",
    )


def rejected_record(rejection: Rejection, key_id: str | None = None) -> AuditRecord:
    """An event refused as invalid: its reason is a code, the fields are names only."""
    fields_withheld = sorted({e["field"] for e in rejection.errors if e["field"]})
    return _refusal(rejection.reason, event_type=rejection.event_type, key_id=key_id, fields_withheld=fields_withheld)


def refused_record(reason: str, key: ApiKey | None = None, event_type: str | None = None) -> AuditRecord:
    """A request turned away by authentication or authorisation: who tried (key id and agency), which
    event type, why; nothing of the payload."""
    agency = key.agency.value if key else None
    return _refusal(reason, event_type=event_type, key_id=key.key_id if key else None, source_agency=agency)


def authority_refused_record(reason: str, key: ApiKey, event: Envelope) -> AuditRecord:
    """An event refused by the authority rules (authority.py): who tried what on which case, and why. No
    event id: the refused event never entered the system, and a ledger keyed by event id would count it."""
    return _refusal(
        reason, case_id=event.case_id, event_type=event.event_type, key_id=key.key_id, source_agency=key.agency.value
    )


def counted_record(reason: str, *, key_id: str | None, actor: str | None, count: int, start: datetime) -> AuditRecord:
    """Requests refused before a key is known, counted over a window (refusal_tally.py); a fresh id, as a
    partial window may follow a restart."""
    return _refusal(reason, key_id=key_id, actor=actor, count=count, window_start=start)


def _refusal(outcome: str, **known: Any) -> AuditRecord:
    """Each refusal is its own fact (a fresh id): the reason's code, and what is known of who tried what."""
    kind = AuditKind.EVENT_REJECTED
    return AuditRecord(record_id=record_id_for(kind, uuid4()), kind=kind, service=SERVICE, outcome=outcome, **known)
