"""The audit service's own records, each built here: the oversight query, the completeness alarm and its
resolution, and the redrive. Ids and codes only, like every record, given as such by the caller; each is
signed and published to drr.audit like any producer's (queries.KafkaQueryLog, redrive.republish), so it
becomes a leaf.
"""

from typing import Protocol
from uuid import UUID, uuid4

from shared.audit_records import AuditKind, AuditRecord, record_id_for

SERVICE = "audit"


class RecordLog(Protocol):
    """Where the audit service publishes its own records (queries.KafkaQueryLog; tests append directly)."""

    async def record(self, *, record: AuditRecord) -> None: ...


def query_record(*, actor: str, path: str, params: dict[str, str], case_id: str | None) -> AuditRecord:
    """Who asked (the oversight token's name), which path, with which parameters."""
    return AuditRecord(
        record_id=uuid4(),
        kind=AuditKind.AUDIT_QUERIED,
        service=SERVICE,
        case_id=case_id,
        actor=actor,
        query={"path": path, **params},
    )


def completeness_record(
    kind: AuditKind,
    *,
    ref: str,
    event_id: str,
    outcome: str,
    case_id: str | None,
    event_type: str | None,
    recipient_id: str | None,
) -> AuditRecord:
    """An alarm, or its resolution: which event (and recipient), and what is missing (`outcome`). The id
    derives from the wait (`ref`), so one published twice after a crash is one leaf."""
    return AuditRecord(
        record_id=record_id_for(kind, ref),
        kind=kind,
        service=SERVICE,
        case_id=case_id,
        event_id=UUID(event_id),
        event_type=event_type,
        recipient_id=recipient_id,
        outcome=outcome,
    )


def redriven_record(
    *, event_id: str, case_id: str, event_type: str | None, by: str, partition: int, offset: int
) -> AuditRecord:
    """Each redrive is its own fact: who asked, for which event, and which message was sent again."""
    return AuditRecord(
        record_id=record_id_for(AuditKind.EVENT_REDRIVEN, event_id, uuid4()),
        kind=AuditKind.EVENT_REDRIVEN,
        service=SERVICE,
        case_id=case_id,
        event_id=UUID(event_id),
        event_type=event_type,
        actor=by,
        outcome="republished",
        query={"command": "redrive", "partition": str(partition), "offset": str(offset)},
    )
