"""Compliance patterns as data: N missed appointments within a window (default 2 in 30 days) make one
compliance alert to the case manager and the panel chair, listing the pattern.

The rules are pure: the per-case state is a plain dict (a Faust table value), folded from attendance
events; `PatternWatcher` applies them inside the notifier's drr.events consumer (case_events.py). The alert
lists operational fields only (when, appointment type, agency) and its delivery id depends only on the
misses it lists, so a replay of drr.events sends nothing new.
"""

import logging
from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field

from services.notifier.clock import Clock
from services.notifier.ports import Send
from services.notifier.priorities import Priority
from services.notifier.schedule import CaseTeams
from shared.deliveries import Delivery, Recipient
from shared.events import Envelope
from shared.payloads import AppointmentAttended, AppointmentMissed
from shared.roles import Role
from shared.team import CaseTeam

log = logging.getLogger(__name__)
EVENT_TYPE = "compliance.pattern"


class MissedAppointments(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(2, ge=1)
    window_days: float = Field(30, gt=0)
    attended_resets: bool = False
    """Whether an attended appointment clears the misses counted so far."""
    notify: list[Role] = [Role.CASE_MANAGER, Role.PANEL_CHAIR]


def fold(
    state: dict[str, Any], event: Envelope, rule: MissedAppointments
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The case's state after an attendance event, and the misses forming a pattern ([] if none).
    A pattern clears the misses it listed, so the next alert needs `count` new ones."""
    misses: list[dict[str, Any]] = list(state.get("misses", []))
    payload = event.payload
    if isinstance(payload, AppointmentAttended) and rule.attended_resets:
        return {"misses": []}, []
    if not isinstance(payload, AppointmentMissed):
        return state, []
    if any(m["event_id"] == str(event.event_id) for m in misses):
        return state, []  # redelivered
    misses.append({
        "event_id": str(event.event_id), "scheduled_at": payload.scheduled_at.isoformat(),
        "appointment_type": payload.appointment_type, "agency": payload.agency.value,
    })  # fmt: skip
    recent = _within(misses, payload.scheduled_at, timedelta(days=rule.window_days))
    if len(recent) >= rule.count:
        return {"misses": []}, recent
    return {"misses": recent}, []


def _within(misses: list[dict[str, Any]], latest: datetime, window: timedelta) -> list[dict[str, Any]]:
    kept = [m for m in misses if latest - datetime.fromisoformat(m["scheduled_at"]) <= window]
    return sorted(kept, key=lambda m: m["scheduled_at"])


def recipients(team: CaseTeam, rule: MissedAppointments) -> list[Recipient]:
    return [r for r in team.recipients() if r.role in rule.notify]


def compliance_delivery(case_id: str, pattern: list[dict[str, Any]], recipient: Recipient, now: datetime) -> Delivery:
    """The alert: the pattern's dates, appointment types and agencies; nothing about the person."""
    key = ":".join(m["event_id"] for m in pattern)
    event_id = uuid5(NAMESPACE_URL, f"drr:compliance:{case_id}:{key}")
    missed = [f"{m['scheduled_at']} {m['appointment_type']} ({m['agency']})" for m in pattern]
    return Delivery(
        delivery_id=uuid5(NAMESPACE_URL, f"drr:compliance-delivery:{event_id}:{recipient.practitioner_id}"),
        event_id=event_id, event_type=EVENT_TYPE, case_id=case_id, occurred_at=now, person={},
        recipient=recipient, payload={"missed_appointments": missed, "count": len(pattern)},
        fields_withheld=[], rule="compliance",
    )  # fmt: skip


class PatternWatcher:
    """The `compliance` table, folded per case; a pattern's alert goes at once through the sending path."""

    def __init__(
        self, rule: MissedAppointments, clock: Clock, table: MutableMapping[str, Any], teams: CaseTeams, send: Send
    ) -> None:
        self.rule, self.clock, self.table, self.teams, self.send = rule, clock, table, teams, send

    async def on_event(self, event: Envelope) -> None:
        before = self.table.get(event.case_id) or {}
        after, pattern = fold(before, event, self.rule)
        if after != before:
            self.table[event.case_id] = after
        if not pattern:
            return
        for recipient in recipients(self.teams.of(event.case_id), self.rule):
            delivery = compliance_delivery(event.case_id, pattern, recipient, self.clock.now())
            await self.send(delivery, Priority.HIGH)
        log.info("compliance pattern", extra={"case_id": event.case_id, "misses": len(pattern)})
