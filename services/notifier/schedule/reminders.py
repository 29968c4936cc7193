"""Reminders on durable state: the release countdown (T-28, T-7 and T-1 days to the team, the mental-health
role's with the care-handover checklist) and the panel review reminder (7 days before `next_review_date`, to the
panel members and chair).

Pure: the per-case state is a plain dict (a Faust table value) folded from events; `due` reads `now` from
the caller's clock. `release.rescheduled` moves the countdown (reminders already in the past are not
sent late), `release.cancelled` and `case.closed` cancel. A reminder's delivery id depends only on (case,
kind, date, offset, recipient), so one taken twice after a restart is deduplicated by the ledger.
"""

import logging
from collections.abc import Iterable, MutableMapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field

from services.notifier.clock import Clock
from services.notifier.ports import Send
from services.notifier.priorities import Priority
from services.notifier.schedule.teams import CaseTeams
from shared.deliveries import Delivery, Recipient
from shared.events import Envelope
from shared.payloads import PanelDecision, ReleaseCancelled, ReleaseRescheduled, ReleaseScheduled
from shared.roles import Role
from shared.team import CaseTeam

log = logging.getLogger(__name__)
EVENT_TYPES = {"release": "release.reminder", "panel": "panel.reminder"}
HANDOVER = [
    "Treatment in custody: summary handed to the community team",
    "Medication: supply on release and the prescriber who takes over",
    "Community mental health team: named contact and first appointment booked",
]
PANEL_ROLES = frozenset({Role.PANEL_MEMBER, Role.PANEL_CHAIR})


class Reminders(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    release_days_before: list[int] = [28, 7, 1]
    panel_days_before: list[int] = [7]
    at_hour_utc: int = Field(9, ge=0, le=23)
    """Reminders fall due at this hour (UTC) on their day."""


def fold(state: dict[str, Any], event: Envelope, rule: Reminders, now: datetime) -> dict[str, Any]:
    """The case's reminders after an event; unchanged for events that set none."""
    payload = event.payload
    if isinstance(payload, ReleaseScheduled | ReleaseRescheduled):
        return {**state, "release": _countdown(payload.release_date, rule.release_days_before, rule, now)}
    if isinstance(payload, ReleaseCancelled):
        return {k: v for k, v in state.items() if k != "release"}
    if isinstance(payload, PanelDecision) and payload.next_review_date is not None:
        return {**state, "panel": _countdown(payload.next_review_date, rule.panel_days_before, rule, now)}
    if event.event_type == "case.closed":
        return {}
    return state


def _countdown(day: date, offsets: list[int], rule: Reminders, now: datetime) -> dict[str, Any]:
    pending = [n for n in offsets if due_at(day, n, rule) > now]  # never late: a past reminder is dropped
    return {"date": day.isoformat(), "pending": sorted(pending, reverse=True)}


def due_at(day: date, days_before: int, rule: Reminders) -> datetime:
    return datetime.combine(day - timedelta(days=days_before), time(rule.at_hour_utc), tzinfo=UTC)


def due(state: dict[str, Any], rule: Reminders, now: datetime) -> list[tuple[str, int]]:
    """(kind, days_before) of every reminder due and not yet taken."""
    found = []
    for kind in ("release", "panel"):
        entry = state.get(kind) or {"pending": []}
        for n in entry["pending"]:
            if due_at(date.fromisoformat(entry["date"]), n, rule) <= now:
                found.append((kind, n))
    return found


def taken(state: dict[str, Any], kind: str, days_before: int) -> dict[str, Any]:
    entry = state[kind]
    return {**state, kind: {**entry, "pending": [n for n in entry["pending"] if n != days_before]}}


def recipients(kind: str, team: CaseTeam) -> list[Recipient]:
    everyone = team.recipients()
    return everyone if kind == "release" else [r for r in everyone if r.role in PANEL_ROLES]


def reminder_delivery(
    case_id: str, kind: str, state: dict[str, Any], days_before: int, recipient: Recipient, now: datetime
) -> Delivery:
    day = state[kind]["date"]
    event_id = uuid5(NAMESPACE_URL, f"drr:reminder:{case_id}:{kind}:{day}:{days_before}")
    payload: dict[str, Any] = {f"{kind}_date": day, "days_to_go": days_before}
    if kind == "release" and recipient.role == Role.MENTAL_HEALTH:
        payload["care_handover_checklist"] = HANDOVER
    return Delivery(
        delivery_id=uuid5(NAMESPACE_URL, f"drr:reminder-delivery:{event_id}:{recipient.practitioner_id}"),
        event_id=event_id, event_type=EVENT_TYPES[kind], case_id=case_id, occurred_at=now, person={},
        recipient=recipient, payload=payload, fields_withheld=[], rule="reminder",
    )  # fmt: skip


class Reminding:
    """The `reminder` kind: the `reminders` table, folded from drr.events by the notifier's case-events
    consumer; each due reminder is one command, taken once (a repeated command finds it taken)."""

    name = "reminder"

    def __init__(
        self, rule: Reminders, clock: Clock, table: MutableMapping[str, Any], teams: CaseTeams, send: Send
    ) -> None:
        self.rule, self.clock, self.table, self.teams, self.send = rule, clock, table, teams, send

    def on_event(self, event: Envelope) -> None:
        before = self.table.get(event.case_id) or {}
        after = fold(before, event, self.rule, self.clock.now())
        if after != before:
            self.table[event.case_id] = after

    def due(self, now: datetime) -> Iterable[tuple[str, dict[str, Any]]]:
        for case_id, state in list(self.table.items()):
            for kind, days_before in due(state, self.rule, now):
                yield case_id, {"reminder": kind, "days_before": days_before, "case_id": case_id}

    async def take(self, command: dict[str, Any]) -> None:
        case_id, kind, days_before = command["case_id"], command["reminder"], command["days_before"]
        state = self.table.get(case_id) or {}
        if days_before not in (state.get(kind) or {}).get("pending", []):
            return
        for recipient in recipients(kind, self.teams.of(case_id)):
            delivery = reminder_delivery(case_id, kind, state, days_before, recipient, self.clock.now())
            await self.send(delivery, Priority.HIGH)
        self.table[case_id] = taken(state, kind, days_before)
        log.info("reminder sent", extra={"case_id": case_id, "kind": kind, "days_before": days_before})
