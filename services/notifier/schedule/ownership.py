"""Ownership: an event for a case with no responsible case manager (never assigned, or the assigned one
left the team) alerts the panel chair (or, with no chair on the team, the agency's duty manager) at once,
and again every `repeat_minutes` until a case manager is assigned or the case is closed.

The rules are pure, like escalation.py's; the entry is chased like an alert's (schedule/chases.py, key
`owner:{case_id}`), so a
restart neither loses nor repeats a reminder. The alert says only that the case has no owner, since when.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field

from services.notifier.priorities import Priority
from services.notifier.schedule.escalation import Escalation, duty_manager
from shared.deliveries import Delivery, Recipient
from shared.events import Envelope
from shared.roles import Agency, Role
from shared.team import CaseTeam

EVENT_TYPE = "case.unowned"
STRUCTURAL = frozenset({"case.opened", "case_manager.assigned", "team.member_joined", "case.closed"})
"""Events that build or end a team: a case is expected to have no manager yet while they arrive."""
RESOLVING = frozenset({"case_manager.assigned", "case.closed"})


class Ownership(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    repeat_minutes: float = Field(60, gt=0)
    max_reminders: int = Field(48, ge=1)
    """A bound, so a case forgotten entirely does not alert for ever; the last one says so."""


def key(case_id: str) -> str:
    return f"owner:{case_id}"


def needs_owner(event: Envelope, team: CaseTeam) -> bool:
    return team.case_manager is None and event.event_type not in STRUCTURAL


def owner_entry(event: Envelope, rule: Ownership, now: datetime, unit_s: float) -> dict[str, Any]:
    """Due at once: the first alert goes out as soon as the event is seen."""
    return {
        "kind": "ownership", "alert_id": key(event.case_id), "case_id": event.case_id,
        "agency": event.source.agency.value, "event_type": event.event_type, "sent_at": now.isoformat(),
        "window_s": rule.repeat_minutes * unit_s, "step": 0, "due": now.isoformat(), "deliveries": [],
    }  # fmt: skip


def next_reminder(entry: dict[str, Any], rule: Ownership) -> dict[str, Any] | None:
    step = entry["step"] + 1
    if step >= rule.max_reminders:
        return None
    due = datetime.fromisoformat(entry["due"]) + timedelta(seconds=entry["window_s"])
    return {**entry, "step": step, "due": due.isoformat()}


def owner_targets(entry: dict[str, Any], policy: Escalation, team: CaseTeam) -> list[Recipient]:
    chairs = [r for r in team.recipients() if r.role == Role.PANEL_CHAIR]
    return chairs or duty_manager(policy, Agency(entry["agency"]))


def ownership_delivery(entry: dict[str, Any], recipient: Recipient, now: datetime) -> Delivery:
    payload = {
        "unowned_since": entry["sent_at"],
        "first_event_type": entry["event_type"],
        "reminder": entry["step"] + 1,
    }
    event_id = uuid5(NAMESPACE_URL, f"drr:ownership:{entry['case_id']}:{entry['sent_at']}:{entry['step']}")
    return Delivery(
        delivery_id=uuid5(NAMESPACE_URL, f"drr:ownership-delivery:{event_id}:{recipient.practitioner_id}"),
        event_id=event_id, event_type=EVENT_TYPE, case_id=entry["case_id"], occurred_at=now, person={},
        recipient=recipient, payload=payload, fields_withheld=[], rule="ownership",
    )  # fmt: skip


@dataclass(frozen=True)
class UnownedCase:
    """The chase of a case nobody owns: the chair (or duty manager) again and again until a manager is assigned."""

    policy: Escalation
    owners: Ownership
    priority: Priority = Priority.CRITICAL

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool:
        return team.case_manager is not None

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> list[tuple[Recipient, Delivery]]:
        return [(r, ownership_delivery(entry, r, now)) for r in owner_targets(entry, self.policy, team)]

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        return next_reminder(entry, self.owners)
