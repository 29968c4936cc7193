"""Policy decisions turned into messages: a delivery for each recipient who is told something, and one
audit record per decision (field names and digests, never the content)."""

from shared.audit_records import AuditKind, AuditRecord, digests, record_id_for
from shared.deliveries import Delivery, delivery_id_for
from shared.events import Envelope
from shared.payloads import FOLLOW_UP_EVENTS
from shared.policy import Decision

SERVICE = "router"


def delivery_for(event: Envelope, decision: Decision) -> Delivery:
    recipient = decision.recipient
    follow_up = FOLLOW_UP_EVENTS.get(event.event_type)
    return Delivery(
        delivery_id=delivery_id_for(event.event_id, recipient.practitioner_id),
        event_id=event.event_id,
        event_type=event.event_type,
        case_id=event.case_id,
        occurred_at=event.occurred_at,
        correlation_id=event.correlation_id,
        person=event.person.model_dump(mode="json"),
        recipient=recipient,
        payload=decision.payload,
        fields_withheld=list(decision.notice_fields),
        withheld_notice=decision.notice,
        rule=decision.rule,
        purpose=decision.purpose,
        legal_basis=decision.legal_basis,
        agreement=decision.agreement,
        follow_up_of=getattr(event.payload, follow_up) if follow_up else None,
    )


def decision_record(event: Envelope, decision: Decision) -> AuditRecord:
    """Who was told what of which event under which rule, purpose, legal basis and policy version."""
    recipient = decision.recipient
    return AuditRecord(
        record_id=record_id_for(AuditKind.SHARING_DECIDED, event.event_id, recipient.practitioner_id),
        kind=AuditKind.SHARING_DECIDED,
        service=SERVICE,
        case_id=event.case_id,
        event_id=event.event_id,
        event_type=event.event_type,
        correlation_id=event.correlation_id,
        recipient_id=recipient.practitioner_id,
        recipient_role=recipient.role,
        recipient_agency=recipient.agency,
        rule=decision.rule,
        field_digests=digests(decision.payload),
        fields_withheld=list(decision.fields_withheld),
        outcome="shared" if decision.shares else "not_shared",
        policy_hash=decision.policy_hash,
        purpose=decision.purpose,
        legal_basis=decision.legal_basis,
        agreement=decision.agreement,
        reason=decision.reason,
    )


def no_recipient_record(event: Envelope, policy_hash: str, outcome: str = "no_team_members") -> AuditRecord:
    """An event nobody could be told about (no team yet) is a fact the audit trail must show too."""
    return _event_record(event, AuditKind.SHARING_DECIDED, outcome, "-", policy_hash=policy_hash)


def team_record(event: Envelope) -> AuditRecord:
    return _event_record(event, AuditKind.TEAM_UPDATED, "applied")


def access_record(event: Envelope) -> AuditRecord:
    """An agreement, consent or exclusion change: it governs every share from the next event on."""
    return _event_record(event, AuditKind.SHARING_STATE_UPDATED, "applied")


def _event_record(event: Envelope, kind: AuditKind, outcome: str, *parts: str, **facts: str) -> AuditRecord:
    return AuditRecord(
        record_id=record_id_for(kind, event.event_id, *parts),
        kind=kind,
        service=SERVICE,
        case_id=event.case_id,
        event_id=event.event_id,
        event_type=event.event_type,
        correlation_id=event.correlation_id,
        outcome=outcome,
        **facts,
    )
