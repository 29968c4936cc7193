"""Who learns what from an event: one redacted delivery and one audit record per team member."""

from shared.audit_records import AuditKind, AuditRecord, delivery_record, digests, record_id_for
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.events import Envelope
from shared.sharing import RULE_ID, redact

SERVICE = "router"


def decide(event: Envelope, recipients: list[Recipient]) -> list[Delivery]:
    """One delivery per recipient, holding only the payload fields their role may see."""
    return [_delivery(event, recipient) for recipient in recipients]


def _delivery(event: Envelope, recipient: Recipient) -> Delivery:
    shared, withheld, notice = redact(event.payload, recipient.role)
    return Delivery(
        delivery_id=delivery_id_for(event.event_id, recipient.practitioner_id),
        event_id=event.event_id,
        event_type=event.event_type,
        case_id=event.case_id,
        occurred_at=event.occurred_at,
        correlation_id=event.correlation_id,
        person=event.person.model_dump(mode="json"),
        recipient=recipient,
        payload=shared,
        fields_withheld=withheld,
        withheld_notice=notice,
        rule=RULE_ID,
    )


def decision_record(delivery: Delivery) -> AuditRecord:
    """What was shared with whom under which rule: field names and digests, never the content."""
    record_id = record_id_for(AuditKind.SHARING_DECIDED, delivery.event_id, delivery.recipient.practitioner_id)
    return delivery_record(
        delivery,
        AuditKind.SHARING_DECIDED,
        record_id,
        SERVICE,
        field_digests=digests(delivery.payload),
        fields_withheld=delivery.fields_withheld,
        outcome="shared",
    )


def no_recipient_record(event: Envelope) -> AuditRecord:
    """An event nobody could be told about (no team yet) is a fact the audit trail must show too."""
    return AuditRecord(
        record_id=record_id_for(AuditKind.SHARING_DECIDED, event.event_id, "-"),
        kind=AuditKind.SHARING_DECIDED,
        service=SERVICE,
        case_id=event.case_id,
        event_id=event.event_id,
        event_type=event.event_type,
        correlation_id=event.correlation_id,
        rule=RULE_ID,
        outcome="no_team_members",
    )


def team_record(event: Envelope) -> AuditRecord:
    return AuditRecord(
        record_id=record_id_for(AuditKind.TEAM_UPDATED, event.event_id),
        kind=AuditKind.TEAM_UPDATED,
        service=SERVICE,
        case_id=event.case_id,
        event_id=event.event_id,
        event_type=event.event_type,
        correlation_id=event.correlation_id,
        outcome="applied",
    )
