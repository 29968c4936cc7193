"""Audit records for what intake accepted or refused: identifiers and codes, never the payload."""

from uuid import uuid4

from services.intake.access import ApiKey
from services.intake.validation import Rejection
from shared.audit_records import AuditKind, AuditRecord, record_id_for
from shared.digests import DigestKey
from shared.events import Envelope

SERVICE = "intake"


def received_record(event: Envelope, digests: DigestKey) -> AuditRecord:
    return AuditRecord(
        record_id=record_id_for(AuditKind.EVENT_RECEIVED, event.event_id),
        kind=AuditKind.EVENT_RECEIVED,
        service=SERVICE,
        case_id=event.case_id,
        event_id=event.event_id,
        event_type=event.event_type,
        correlation_id=event.correlation_id,
        source_agency=event.source.agency,
        field_digests=digests.digests(event.payload.model_dump(mode="json")),
        outcome="accepted",
    )


def rejected_record(rejection: Rejection, key_id: str | None = None) -> AuditRecord:
    """Each refusal is its own fact (a fresh id); its reason is a code, the fields are names only."""
    return AuditRecord(
        record_id=record_id_for(AuditKind.EVENT_REJECTED, uuid4()),
        kind=AuditKind.EVENT_REJECTED,
        service=SERVICE,
        event_type=rejection.event_type,
        key_id=key_id,
        fields_withheld=sorted({e["field"] for e in rejection.errors if e["field"]}),
        outcome=rejection.reason,
    )


def refused_record(reason: str, key: ApiKey | None = None, event_type: str | None = None) -> AuditRecord:
    """A request turned away by authentication or authorisation: who tried (key id and agency), which
    event type, why; nothing of the payload."""
    return AuditRecord(
        record_id=record_id_for(AuditKind.EVENT_REJECTED, uuid4()),
        kind=AuditKind.EVENT_REJECTED,
        service=SERVICE,
        event_type=event_type,
        key_id=key.key_id if key else None,
        source_agency=key.agency.value if key else None,
        outcome=reason,
    )


def authority_refused_record(reason: str, key: ApiKey, event: Envelope) -> AuditRecord:
    """An event refused by the authority rules (authority.py): who tried what on which case, and why. No
    event id: the refused event never entered the system, and a ledger keyed by event id would count it."""
    return AuditRecord(
        record_id=record_id_for(AuditKind.EVENT_REJECTED, uuid4()),
        kind=AuditKind.EVENT_REJECTED,
        service=SERVICE,
        case_id=event.case_id,
        event_type=event.event_type,
        key_id=key.key_id,
        source_agency=key.agency.value,
        outcome=reason,
    )
