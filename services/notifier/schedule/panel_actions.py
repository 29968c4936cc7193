"""Panel actions: each action of a `panel.decision` needs an acknowledgement from each of its owners (the
case-team members holding its `owner_role`). Unacknowledged at its due date, the owner is reminded; still
unacknowledged `chair_after_days` later, the panel chair (none on the team: the duty manager) is told, and
the chase stops. An action nobody on the team owns is put to the chair at its due date.

The rules are pure, like ownership.py's; each entry is chased like an alert's (schedule/chases.py): one per
(action, owner), step 0 reminds the owner, step 1 tells the chair. Acknowledgement ids depend only on
(decision event, action index, owner), so the email side (links) and the fold side (entries) agree, and a
step's delivery id only on (entry, step, recipient), so a step taken twice is deduplicated by the ledger.
Emails carry operational content only: the action, its owner role, due date, days overdue.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field

from services.notifier.priorities import Priority
from services.notifier.schedule.escalation import Escalation
from services.notifier.schedule.ownership import owner_targets
from shared.acks import panel_action_ack_id as ack_id
from shared.deliveries import Delivery, Recipient
from shared.events import Envelope
from shared.payloads import PanelAction, PanelDecision
from shared.roles import Role
from shared.team import CaseTeam

KIND = "panel_action"
OVERDUE = "panel.action_overdue"
"""The owner's reminder (carries the action's acknowledgement link)."""
UNACKNOWLEDGED = "panel.action_unacknowledged"
"""The chair's alert: the owner did not acknowledge, or nobody on the team owns the action."""
OWNER_STEP, CHAIR_STEP = 0, 1


class PanelActions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    chair_after_days: int = Field(2, ge=0)
    """Days after the due date (and the owner's reminder) before the chair is told."""


def due_at(day: date, at_hour_utc: int) -> datetime:
    return datetime.combine(day, time(at_hour_utc), tzinfo=UTC)


def entries(event: Envelope, team: CaseTeam, rule: PanelActions, at_hour_utc: int) -> dict[str, dict[str, Any]]:
    """Chases by key for a panel decision (none for any other event): one per (action, owner),
    or one straight at the chair step for an action nobody on the team owns."""
    if not isinstance(event.payload, PanelDecision):
        return {}
    found = {}
    for index, action in enumerate(event.payload.actions):
        owners: list[Recipient | None] = [r for r in team.recipients() if r.role == action.owner_role]
        for owner in owners or [None]:
            entry = _entry(event, index, action, owner, team, rule, at_hour_utc)
            found[entry["alert_id"]] = entry
    return found


def _entry(
    event: Envelope, index: int, action: PanelAction, owner: Recipient | None, team: CaseTeam, rule: PanelActions,
    at_hour_utc: int,
) -> dict[str, Any]:  # fmt: skip
    who = owner.practitioner_id if owner else "-"
    manager = team.case_manager.agency if team.case_manager else event.source.agency
    return {
        "kind": KIND, "alert_id": f"panel-action:{event.event_id}:{index}:{who}", "case_id": event.case_id,
        "agency": (owner.agency if owner else manager).value, "event_id": str(event.event_id), "index": index,
        "action": action.model_dump(mode="json"), "owner": owner.model_dump(mode="json") if owner else None,
        "ack_id": str(ack_id(event.event_id, index, who)) if owner else None,
        "step": OWNER_STEP if owner else CHAIR_STEP, "due": due_at(action.due_date, at_hour_utc).isoformat(),
        "chair_after_s": rule.chair_after_days * 86400, "deliveries": [],
    }  # fmt: skip


def of_case(pending: dict[str, Any] | Any, case_id: str) -> list[str]:
    """Keys of the case's panel-action entries (dropped when the case closes)."""
    return [k for k, v in list(pending.items()) if v.get("kind") == KIND and v["case_id"] == case_id]


def acknowledged(entry: dict[str, Any], acks: Any) -> bool:
    return entry["ack_id"] is not None and entry["ack_id"] in acks


def next_step(entry: dict[str, Any]) -> dict[str, Any] | None:
    """After the owner's reminder, the chair step `chair_after_s` after the due date; after that, none."""
    if entry["step"] != OWNER_STEP:
        return None
    due = datetime.fromisoformat(entry["due"]) + timedelta(seconds=entry["chair_after_s"])
    return {**entry, "step": CHAIR_STEP, "due": due.isoformat()}


def owner_on_team(entry: dict[str, Any], team: CaseTeam) -> Recipient | None:
    """The owner as the team knows them now; None if they left (they are told nothing more)."""
    owner = entry["owner"]
    return next((r for r in team.recipients() if owner and r.practitioner_id == owner["practitioner_id"]), None)


def step_delivery(entry: dict[str, Any], recipient: Recipient, now: datetime) -> Delivery:
    action, step = entry["action"], entry["step"]
    payload: dict[str, Any] = {
        "action": action["description"], "owner_role": action["owner_role"], "due_date": action["due_date"],
        "days_overdue": max(0, (now.date() - date.fromisoformat(action["due_date"])).days),
    }  # fmt: skip
    if step == OWNER_STEP:
        payload["acknowledgement_id"] = entry["ack_id"]
    else:
        payload["owner"] = _owner_for_chair(entry, recipient)
    event_id = uuid5(NAMESPACE_URL, f"drr:panel-action-event:{entry['alert_id']}:{step}")
    delivery_id = uuid5(NAMESPACE_URL, f"drr:panel-action-step:{entry['alert_id']}:{step}:{recipient.practitioner_id}")
    return Delivery(
        delivery_id=delivery_id,
        event_id=event_id,
        event_type=OVERDUE if step == OWNER_STEP else UNACKNOWLEDGED,
        case_id=entry["case_id"],
        occurred_at=now,
        person={},
        recipient=recipient,
        payload=payload,
        fields_withheld=[],
        rule="panel_action",
    )


def _owner_for_chair(entry: dict[str, Any], recipient: Recipient) -> str:
    """The owner's name for the chair (a team member); a duty manager outside the team learns the role only."""
    owner = entry["owner"]
    if owner is None:
        return "nobody on the team holds this role"
    return owner["name"] if recipient.role == Role.PANEL_CHAIR else "see the case team"


def own_actions(delivery: Delivery) -> list[tuple[dict[str, Any], str]]:
    """(action, acknowledgement id) for each action this email's recipient owns and may acknowledge."""
    payload, who = delivery.payload, delivery.recipient.practitioner_id
    if delivery.event_type == OVERDUE:
        action = {k: payload[k] for k in ("owner_role", "due_date")} | {"description": payload["action"]}
        return [(action, payload["acknowledgement_id"])]
    if delivery.event_type != "panel.decision":
        return []
    actions = payload.get("actions") or []
    return [
        (a, str(ack_id(delivery.event_id, i, who)))
        for i, a in enumerate(actions)
        if a.get("owner_role") == delivery.recipient.role
    ]


@dataclass(frozen=True)
class UnacknowledgedAction:
    """The chase of a panel action: its owner at the due date, then the chair, until the owner acknowledges."""

    policy: Escalation
    acks: Mapping[str, Any]
    priority: Priority = Priority.HIGH

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool:
        return acknowledged(entry, self.acks)

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> list[tuple[Recipient, Delivery]]:
        """The owner (if still on the team) at the owner step; the chair, else the duty manager, after."""
        if entry["step"] == OWNER_STEP:
            people = [o for o in [owner_on_team(entry, team)] if o is not None]
        else:
            people = owner_targets(entry, self.policy, team)
        return [(r, step_delivery(entry, r, now)) for r in people]

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        return next_step(entry)
