"""Audit records like the router's sharing decisions (identifiers, field names, digests), in bulk:
the load the audit benchmark and the audit crash test feed the ledger."""

from datetime import UTC, datetime
from uuid import uuid4

from shared.audit_records import AuditKind, AuditRecord

FIELDS = ("trigger_type", "severity", "observed_at", "description")


def sharing_decisions(count: int, case_prefix: str, cases: int = 500) -> list[AuditRecord]:
    now = datetime.now(UTC)
    return [
        AuditRecord(
            record_id=uuid4(),
            kind=AuditKind.SHARING_DECIDED,
            service="router",
            recorded_at=now,
            case_id=f"{case_prefix}-{i % cases}",
            event_id=uuid4(),
            event_type="trigger.reported",
            recipient_id=f"p-{i % 9}",
            recipient_role="probation",
            recipient_agency="probation",
            rule="team_member",
            outcome="shared",
            field_digests={name: f"{i:064x}" for name in FIELDS},
            fields_withheld=["clinical_notes"],
        )
        for i in range(count)
    ]
