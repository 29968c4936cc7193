"""Builders for policy tests: members, teams, events and agreements, from the example payloads."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from shared.deliveries import Recipient
from shared.events import Envelope, parse_event
from shared.examples import EXAMPLES
from shared.payloads import SharingAgreementUpdated
from shared.roles import Agency, Role
from shared.team import CaseTeam

ON = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
SPECIAL_AGENCY = {Role.CASE_MANAGER: Agency.PROBATION, Role.PANEL_CHAIR: Agency.PANEL, Role.PANEL_MEMBER: Agency.PANEL}


def member(role: Role, pid: str | None = None, agency: Agency | None = None) -> Recipient:
    agency = agency or (SPECIAL_AGENCY[role] if role in SPECIAL_AGENCY else Agency(role.value))
    pid = pid or f"p-{role}"
    return Recipient(practitioner_id=pid, name=f"{role} lead", email=f"{pid}@example.org", agency=agency, role=role)


def team_of(*members: Recipient) -> CaseTeam:
    return CaseTeam(members={m.practitioner_id: m for m in members})


def event(
    event_type: str, payload: dict[str, Any] | None = None, at: datetime = ON, event_id: UUID | None = None
) -> Envelope:
    return parse_event(
        {
            "event_id": str(event_id or uuid4()),
            "event_type": event_type,
            "occurred_at": at.isoformat(),
            "source": {"agency": "probation", "system": "tests"},
            "case_id": "C-POLICY",
            "person": {"identifiers": [{"type": "nomis", "value": "A1234BC"}]},
            "payload": payload if payload is not None else EXAMPLES[event_type],
        }
    )


def agreement(**changes: Any) -> SharingAgreementUpdated:
    raw = {**EXAMPLES["sharing_agreement.updated"], "valid_from": "2026-11-01", "valid_to": "2027-10-31", **changes}
    return SharingAgreementUpdated.model_validate(raw)
