"""Escalation as data: a critical alert nobody acknowledges within its window goes to the next level of
the chain (a role on the case team, or the agency's duty manager), looping a configured number of times.

The rules are pure: the pending escalation is a plain dict (an entry of the chases table, chases.py), every
step reads `now` from the caller's clock, and an escalation email's delivery id depends only on (alert,
step, recipient), so a step taken twice after a restart is deduplicated by the idempotency ledger.
`UnacknowledgedAlert` is the alert's chase; `AlertWatch` opens it when the alert goes out.

An escalation email carries operational content only (which alert, when, that it is unacknowledged):
never the original payload, which its recipient may not be entitled to see.
"""

from collections.abc import Awaitable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.notifier.clock import Clock
from services.notifier.durable import put
from services.notifier.priorities import Priority
from shared.deliveries import Delivery, Recipient
from shared.payloads import PAYLOADS, Severity
from shared.roles import Agency, Role
from shared.team import CaseTeam

DUTY_MANAGER = "duty_manager"
EVENT_TYPE = "alert.escalated"


class EscalationRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: str
    severities: frozenset[Severity]
    after_minutes: float = Field(gt=0)


class Escalation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: list[EscalationRule] = []
    chain: list[Role | str] = [Role.PANEL_CHAIR]
    """Levels in order: case-team roles, or `duty_manager` (the address per agency below)."""
    duty_managers: dict[Agency, EmailStr] = {}
    loops: int = Field(1, ge=1)
    """How many times the whole chain is walked before escalation stops."""

    def model_post_init(self, _: object) -> None:
        unknown = {r.event_type for r in self.rules} - set(PAYLOADS)
        if unknown:
            raise ValueError(f"escalation rules for unknown event types: {sorted(unknown)}")
        bad = [level for level in self.chain if level != DUTY_MANAGER and level not in set(Role)]
        if bad or not self.chain:
            raise ValueError(f"escalation chain levels must be roles or {DUTY_MANAGER!r}: {bad}")

    def rule_for(self, event_type: str, payload: dict[str, Any]) -> EscalationRule | None:
        severity = payload.get("severity")
        return next((r for r in self.rules if r.event_type == event_type and severity in r.severities), None)


def pending_for(delivery: Delivery, policy: Escalation, now: datetime, unit_s: float) -> dict[str, Any] | None:
    """What to watch once an alert went out, or None if no rule covers it. `unit_s` is a minute (60).
    Watched per event: an acknowledgement by anyone it went to counts (see `add_delivery`)."""
    rule = policy.rule_for(delivery.event_type, delivery.payload)
    if rule is None:
        return None
    window = rule.after_minutes * unit_s
    return {
        "alert_id": str(delivery.event_id), "deliveries": [str(delivery.delivery_id)],
        "case_id": delivery.case_id, "event_type": delivery.event_type,
        "agency": delivery.recipient.agency.value, "sent_at": now.isoformat(), "window_s": window,
        "step": 0, "due": (now + timedelta(seconds=window)).isoformat(),
    }  # fmt: skip


def add_delivery(pending: dict[str, Any], delivery: Delivery) -> dict[str, Any]:
    """The same alert sent to one more recipient: their acknowledgement counts too."""
    if str(delivery.delivery_id) in pending["deliveries"]:
        return pending
    return {**pending, "deliveries": [*pending["deliveries"], str(delivery.delivery_id)]}


def is_due(pending: dict[str, Any], now: datetime) -> bool:
    return datetime.fromisoformat(pending["due"]) <= now


def next_step(pending: dict[str, Any], policy: Escalation) -> dict[str, Any] | None:
    """The entry after this step was taken; None once the chain has been walked `loops` times."""
    step = pending["step"] + 1
    if step >= len(policy.chain) * policy.loops:
        return None
    due = datetime.fromisoformat(pending["due"]) + timedelta(seconds=pending["window_s"])
    return {**pending, "step": step, "due": due.isoformat()}


def targets(pending: dict[str, Any], policy: Escalation, team: CaseTeam) -> list[Recipient]:
    """Who this step alerts: everyone in the level's role on the case, or the agency's duty manager."""
    level = policy.chain[pending["step"] % len(policy.chain)]
    if level == DUTY_MANAGER:
        return duty_manager(policy, Agency(pending["agency"]))
    return [r for r in team.recipients() if r.role == level]


def duty_manager(policy: Escalation, agency: Agency) -> list[Recipient]:
    """The agency's duty manager as a recipient ([] when none is configured)."""
    address = policy.duty_managers.get(agency)
    if address is None:
        return []
    return [Recipient(practitioner_id=f"duty-{agency}", name="Duty manager", email=address, agency=agency,
                      role=Role.CASE_MANAGER)]  # fmt: skip


def escalation_id(pending: dict[str, Any], recipient: Recipient) -> UUID:
    return uuid5(NAMESPACE_URL, f"drr:escalation:{pending['alert_id']}:{pending['step']}:{recipient.practitioner_id}")


def escalation_delivery(pending: dict[str, Any], recipient: Recipient, now: datetime) -> Delivery:
    """The email's delivery: which alert, when it went out, how long unacknowledged; nothing more."""
    waited = now - datetime.fromisoformat(pending["sent_at"])
    payload = {
        "alert_id": pending["alert_id"], "alert_type": pending["event_type"], "sent_at": pending["sent_at"],
        "unacknowledged_for_minutes": int(waited.total_seconds() // 60), "escalation_level": pending["step"] + 1,
    }  # fmt: skip
    event_id = uuid5(NAMESPACE_URL, f"drr:escalation-event:{pending['alert_id']}:{pending['step']}")
    return Delivery(
        delivery_id=escalation_id(pending, recipient), event_id=event_id, event_type=EVENT_TYPE,
        case_id=pending["case_id"], occurred_at=now, person={}, recipient=recipient, payload=payload,
        fields_withheld=[], rule="escalation",
    )  # fmt: skip


@dataclass(frozen=True)
class UnacknowledgedAlert:
    """The chase of a covered alert: it climbs the chain until anyone it went to acknowledges it."""

    policy: Escalation
    acks: Mapping[str, Any]
    priority: Priority = Priority.CRITICAL

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool:
        """Any delivery of the alert, or any escalation email of it (each has its own link), acknowledged."""
        return any(i in self.acks for i in (*entry["deliveries"], *entry.get("escalations", [])))

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> list[tuple[Recipient, Delivery]]:
        return [(r, escalation_delivery(entry, r, now)) for r in targets(entry, self.policy, team)]

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        return next_step(entry, self.policy)


class AlertWatch:
    """Puts a covered alert into the chases table once it went out: the sending path calls `watch`."""

    def __init__(self, table: MutableMapping[str, Any], policy: Escalation, clock: Clock, unit_s: float) -> None:
        self.table, self.policy, self.clock, self.unit_s = table, policy, clock, unit_s

    def watch(self, delivery: Delivery, *, sent: bool) -> Awaitable[Any] | None:
        """Called inside the deliveries stream once an alert was handled; only one sent is watched.
        Returns the entry's write, for the caller to wait on before its final ledger mark."""
        entry = None if not sent else pending_for(delivery, self.policy, self.clock.now(), self.unit_s)
        if entry is None:
            return None
        known = self.table.get(entry["alert_id"])
        return put(self.table, entry["alert_id"], entry if known is None else add_delivery(known, delivery))
