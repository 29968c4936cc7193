"""Policy decisions turned into messages: a delivery for each recipient who is told something, and one
audit record per decision (field names and digests, never the content).

Built with `model_construct`: every part was validated already (the event when it was parsed, the
recipients when they joined the team, the rest by the policy engine), and validating again for each
recipient (e-mail addresses above all) cost the router more than deciding.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from shared.audit_records import AuditKind, AuditRecord, record_id_for
from shared.deliveries import Delivery, delivery_id_for
from shared.digests import DigestKey
from shared.events import Envelope
from shared.payloads import FOLLOW_UP_EVENTS
from shared.policy import Decision
from shared.sealing import is_sealed

SERVICE = "router"


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What every delivery and record of one event repeats, worked out once for the event."""

    event: Envelope
    person: dict[str, Any]
    follow_up_of: UUID | None
    digest_key: DigestKey
    """The case's own (shared/case_crypto.py CaseDigests)."""
    known_digests: dict[str, str] = field(default_factory=dict)
    """Field -> digest: a field's value is the same for every recipient it is shared with."""

    @classmethod
    def of(cls, event: Envelope, digest_key: DigestKey) -> "EventFacts":
        follow_up = FOLLOW_UP_EVENTS.get(event.event_type)
        follow_up_of = getattr(event.payload, follow_up) if follow_up else None
        return cls(event, event.person.model_dump(mode="json"), follow_up_of, digest_key)

    def digests(self, payload: dict[str, Any]) -> dict[str, str]:
        """A sealed field's digest is the one intake took of its clear value (the router cannot open it)."""
        return {name: self.known_digests.get(name) or self._digest(name, value) for name, value in payload.items()}

    def _digest(self, name: str, value: Any) -> str:
        digest = value["digest"] if is_sealed(value) else self.digest_key.digest(value)
        return self.known_digests.setdefault(name, digest)


def delivery_for(facts: EventFacts, decision: Decision) -> Delivery:
    event, recipient = facts.event, decision.recipient
    return Delivery.model_construct(
        delivery_id=delivery_id_for(event.event_id, recipient.practitioner_id),
        event_id=event.event_id,
        event_type=event.event_type,
        case_id=event.case_id,
        occurred_at=event.occurred_at,
        correlation_id=event.correlation_id,
        person=facts.person,
        recipient=recipient,
        payload=decision.payload,
        fields_withheld=list(decision.notice_fields),
        withheld_notice=decision.notice,
        rule=decision.rule,
        purpose=decision.purpose,
        legal_basis=decision.legal_basis,
        agreement=decision.agreement,
        follow_up_of=facts.follow_up_of,
    )


def decision_record(facts: EventFacts, decision: Decision) -> AuditRecord:
    """Who was told what of which event under which rule, purpose, legal basis and policy version."""
    event, recipient = facts.event, decision.recipient
    return AuditRecord.model_construct(
        record_id=record_id_for(AuditKind.SHARING_DECIDED, event.event_id, recipient.practitioner_id),
        kind=AuditKind.SHARING_DECIDED,
        recorded_at=datetime.now(UTC),  # given, not defaulted: model_construct inspects default factories
        service=SERVICE,
        case_id=event.case_id,
        event_id=event.event_id,
        event_type=event.event_type,
        correlation_id=event.correlation_id,
        recipient_id=recipient.practitioner_id,
        recipient_role=recipient.role,
        recipient_agency=recipient.agency,
        rule=decision.rule,
        field_digests=facts.digests(decision.payload),
        fields_withheld=list(decision.fields_withheld),
        outcome="shared" if decision.shares else "not_shared",
        policy_hash=decision.policy_hash,
        purpose=decision.purpose,
        legal_basis=decision.legal_basis,
        agreement=decision.agreement,
        reason=decision.reason,
        source_agency=None,
        actor=None,
        query={},
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
