"""Case-level pauses of alerts: the state a pause leaves, whether one is in force, and the reminder its
owner gets before it ends (pure rules), and `Pausing`, the scheduler's `pause` kind over them.

A case's pause is a plain dict (a Faust table value keyed by case id) folded from drr.events: an
`alerts.paused` replaces any earlier pause; `alerts.resumed` and `case.closed` clear it. The reason is kept
as its SHA-256 digest only, so the table and its changelog hold no free text.

The owner is reminded `remind_before_hours` before expiry. A pause shorter than that is reminded at
once: the owner still gets the one chance to lift or extend it before held alerts go out, and a reminder
that never comes would let a pause lapse unnoticed. One reminder per (pause id, expiry): its delivery id
depends on nothing else, so a repeat (a command taken twice, a restart) is deduplicated by the ledger.
"""

import logging
from collections.abc import Iterable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field

from services.notifier.clock import Clock
from services.notifier.ports import Send
from services.notifier.priorities import Priority
from services.notifier.schedule.teams import CaseTeams
from shared.audit_records import content_hash
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.events import Envelope
from shared.payloads import PAUSE_EVENTS, AlertsPaused, Practitioner
from shared.roles import Agency, Role
from shared.team import CaseTeam

log = logging.getLogger(__name__)
EXPIRING = "pause.expiring"
"""The event type of the owner's reminder (a notifier-made delivery, like `release.reminder`)."""
NEVER_HELD = PAUSE_EVENTS | {EXPIRING}
"""Deliveries a pause must never hold back: telling people about the pause itself, and its reminder."""
CLEARING = frozenset({"alerts.resumed", "case.closed"})


class Pauses(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    remind_before_hours: float = Field(24.0, ge=0)


def fold(state: dict[str, Any] | None, event: Envelope, rule: Pauses) -> dict[str, Any] | None:
    """The case's pause after an event (None: no pause); unchanged by events that are not about pauses."""
    if isinstance(event.payload, AlertsPaused):
        return paused(event, event.payload, rule)
    if event.event_type in CLEARING:
        return None
    return state


def paused(event: Envelope, pause: AlertsPaused, rule: Pauses) -> dict[str, Any]:
    expires_at = pause.expires_at.astimezone(UTC)
    remind_at = max(expires_at - timedelta(hours=rule.remind_before_hours), event.occurred_at)
    return {
        "owner": pause.owner.model_dump(mode="json"),
        "reason_digest": content_hash(pause.reason),
        "expires_at": expires_at.isoformat(),
        "pause_id": pause.pause_id or str(event.event_id),
        "remind_at": remind_at.isoformat(),
        "reminded": False,
    }


def active_until(state: dict[str, Any] | None, now: datetime) -> datetime | None:
    """The pause's expiry if a pause is in force at `now`, else None."""
    if not state:
        return None
    expires_at = datetime.fromisoformat(state["expires_at"])
    return expires_at if now < expires_at else None


def ended(state: dict[str, Any] | None, now: datetime) -> bool:
    """The pause has run out: nothing reads it any more, so it can leave the table."""
    return bool(state) and active_until(state, now) is None


def reminder_due(state: dict[str, Any] | None, now: datetime) -> bool:
    """The owner's reminder is due and not yet taken, and the pause has not already ended."""
    if not state or state["reminded"] or active_until(state, now) is None:
        return False
    return datetime.fromisoformat(state["remind_at"]) <= now


def reminded(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "reminded": True}


def same_pause(state: dict[str, Any] | None, pause_id: str, expires_at: str) -> bool:
    """A command still speaks of the pause in force (not one replaced or lifted since it was sent)."""
    return state is not None and state.get("pause_id") == pause_id and state.get("expires_at") == expires_at


def owner_recipient(state: dict[str, Any], team: CaseTeam) -> Recipient:
    """The owner as a recipient: with their role on the team if they hold one; else the role their agency
    stands for (the panel's, its chair, who answers for panel decisions)."""
    owner = Practitioner.model_validate(state["owner"])
    if team.case_manager is not None and team.case_manager.id == owner.id:
        role = Role.CASE_MANAGER
    elif owner.id in team.members:
        role = team.members[owner.id].role
    else:
        role = Role.PANEL_CHAIR if owner.agency is Agency.PANEL else Role(owner.agency.value)
    return Recipient(practitioner_id=owner.id, name=owner.name, email=owner.email, agency=owner.agency, role=role)


def reminder_delivery(case_id: str, state: dict[str, Any], recipient: Recipient, now: datetime) -> Delivery:
    event_id = uuid5(NAMESPACE_URL, f"drr:pause-expiring:{case_id}:{state['pause_id']}:{state['expires_at']}")
    return Delivery(
        delivery_id=delivery_id_for(event_id, recipient.practitioner_id),
        event_id=event_id, event_type=EXPIRING, case_id=case_id, occurred_at=now, person={},
        recipient=recipient, payload={"expires_at": state["expires_at"], "pause_id": state["pause_id"]},
        fields_withheld=[], rule="pause-reminder",
    )  # fmt: skip


class Pausing:
    """The `pause` kind: the `pauses` table, folded from drr.events by the notifier's case-events consumer;
    the owner's reminder and the removal of a pause that has run out, each one command.
    `active_until(case_id, now)` is what holding asks before holding a non-critical alert back."""

    name = "pause"

    def __init__(
        self, rule: Pauses, clock: Clock, table: MutableMapping[str, Any], teams: CaseTeams, send: Send
    ) -> None:
        self.rule, self.clock, self.table, self.teams, self.send = rule, clock, table, teams, send

    def active_until(self, case_id: str, now: datetime) -> datetime | None:
        """The expiry of the case's pause if one is in force at `now`, else None."""
        return active_until(self.table.get(case_id), now)

    def on_event(self, event: Envelope) -> None:
        """Called inside the drr.events stream (tables are written from streams only)."""
        before = self.table.get(event.case_id)
        after = fold(before, event, self.rule)
        if after is None and before is not None:
            del self.table[event.case_id]
        elif after != before:
            self.table[event.case_id] = after

    def due(self, now: datetime) -> Iterable[tuple[str, dict[str, Any]]]:
        """Each due reminder, and each pause that has run out (to be removed from the table)."""
        for case_id, state in list(self.table.items()):
            verb = "pause" if reminder_due(state, now) else "purge" if ended(state, now) else None
            if verb:
                yield case_id, {verb: state["pause_id"], "expires_at": state["expires_at"], "case_id": case_id}

    async def take(self, command: dict[str, Any]) -> None:
        """Remind the owner once, if the command still speaks of the pause in force and it is due."""
        if "purge" in command:
            self._purge(command)
        if "pause" not in command:
            return
        case_id = command["case_id"]
        state = self.table.get(case_id)
        if state is None or not same_pause(state, command["pause"], command["expires_at"]):
            return
        if not reminder_due(state, self.clock.now()):
            return
        owner = owner_recipient(state, self.teams.of(case_id))
        await self.send(reminder_delivery(case_id, state, owner, self.clock.now()), Priority.HIGH)
        self.table[case_id] = reminded(state)
        log.info("pause reminder sent", extra={"case_id": case_id})

    def _purge(self, command: dict[str, Any]) -> None:
        """Remove a pause that has run out (not one that replaced it since)."""
        case_id = command["case_id"]
        state = self.table.get(case_id)
        if same_pause(state, command["purge"], command["expires_at"]) and ended(state, self.clock.now()):
            del self.table[case_id]
