"""Chases: entries the scheduler keeps after until they are resolved, in one table (`chases`, by entry id)
and one kind (`chase`): an unacknowledged alert climbing the escalation chain (escalation.py), a case with
no owner (ownership.py), a panel action not yet acknowledged by its owner (panel_actions.py). Their steps
are taken alike; only their rules differ: who is told at a step, what resolves the entry, what the next step
is, and how urgent its emails are (`Chase`).

A step command seen twice finds the entry moved on; a step cut short by a crash is taken again and the
email ledger deduplicates its emails.
"""

import logging
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime
from typing import Any, Protocol

from services.notifier.clock import Clock
from services.notifier.ports import Send, Topic
from services.notifier.priorities import Priority
from services.notifier.schedule import ownership, panel_actions
from services.notifier.schedule.escalation import Escalation, UnacknowledgedAlert, is_due
from services.notifier.schedule.ownership import Ownership, UnownedCase
from services.notifier.schedule.panel_actions import PanelActions, UnacknowledgedAction
from services.notifier.schedule.teams import CaseTeams
from shared.audit_records import AuditKind, delivery_record, record_id_for
from shared.deliveries import Delivery, Recipient
from shared.events import Envelope
from shared.team import CaseTeam

log = logging.getLogger(__name__)
ALERT = "alert"
"""The entry kind of an alert's chase (its entries carry no `kind`)."""


class Chase(Protocol):
    @property
    def priority(self) -> Priority: ...

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool: ...

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> list[tuple[Recipient, Delivery]]: ...

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        """The entry after this step was taken; None when it ends."""


def chases(policy: Escalation, owners: Ownership, acks: Mapping[str, Any]) -> dict[str, Chase]:
    """By the entry's `kind`."""
    return {
        ALERT: UnacknowledgedAlert(policy, acks),
        "ownership": UnownedCase(policy, owners),
        panel_actions.KIND: UnacknowledgedAction(policy, acks),
    }


class Chasing:
    """The `chase` kind: steps due entries, and opens the entries case events call for (an unowned case, a
    panel decision's actions). Alerts' entries are opened by the sending path (escalation.AlertWatch)."""

    name = "chase"

    def __init__(
        self,
        table: MutableMapping[str, Any],
        kinds: Mapping[str, Chase],
        teams: CaseTeams,
        send: Send,
        audit: Topic,
        clock: Clock,
        *,
        unit_s: float,
        owners: Ownership,
        panel: PanelActions,
        at_hour_utc: int,
    ) -> None:
        self.table, self.kinds, self.teams, self.send, self.audit, self.clock = table, kinds, teams, send, audit, clock
        self.unit_s, self.owners, self.panel, self.at_hour_utc = unit_s, owners, panel, at_hour_utc

    def due(self, now: datetime) -> Iterable[tuple[str, dict[str, Any]]]:
        for alert_id, entry in list(self.table.items()):
            if is_due(entry, now):
                yield entry["case_id"], {"alert_id": alert_id, "step": entry["step"]}

    async def take(self, command: dict[str, Any]) -> None:
        alert_id = command["alert_id"]
        entry = self.table.get(alert_id)
        if entry is None or entry["step"] != command["step"]:
            return  # already taken (a repeated command) or resolved
        chase = self.kinds[entry.get("kind", ALERT)]
        if chase.resolved(entry, self.teams.of(entry["case_id"])):
            del self.table[alert_id]
            return
        sent = await self._step(entry, chase)
        following = chase.following({**entry, "escalations": [*entry.get("escalations", []), *sent]})
        if following is None:
            del self.table[alert_id]
        else:
            self.table[alert_id] = following

    async def _step(self, entry: dict[str, Any], chase: Chase) -> list[str]:
        """Alert this step's level; returns the escalation delivery ids."""
        sent, kind = [], entry.get("kind", ALERT)
        for recipient, delivery in chase.deliveries(entry, self.teams.of(entry["case_id"]), self.clock.now()):
            await self.send(delivery, chase.priority)
            sent.append(str(delivery.delivery_id))
            record_id = record_id_for(AuditKind.ESCALATED, delivery.delivery_id)
            step = f"{kind}_step_{entry['step']}_{recipient.practitioner_id}"
            record = delivery_record(delivery, AuditKind.ESCALATED, record_id, "notifier", outcome=step)
            await self.audit.send(key=entry["case_id"].encode(), value=record.model_dump_json().encode())
        log.info("escalated", extra={"case_id": entry["case_id"], "kind": kind, "step": entry["step"]})
        return sent

    async def check_owner(self, event: Envelope) -> None:
        """After the team fold: an event on a case nobody owns alerts at once; an assignment ends it."""
        owner_key = ownership.key(event.case_id)
        if event.event_type in ownership.RESOLVING:
            self.table.pop(owner_key, None)
        elif owner_key not in self.table and ownership.needs_owner(event, self.teams.of(event.case_id)):
            self.table[owner_key] = ownership.owner_entry(event, self.owners, self.clock.now(), self.unit_s)
            await self.take({"alert_id": owner_key, "step": 0})

    def follow_panel_actions(self, event: Envelope) -> None:
        """After the team fold: a panel decision's actions become entries (kept if already there, so a
        redelivered decision does not restart them); a closed case's are dropped."""
        if event.event_type == "case.closed":
            for key in panel_actions.of_case(self.table, event.case_id):
                del self.table[key]
            return
        found = panel_actions.entries(event, self.teams.of(event.case_id), self.panel, self.at_hour_utc)
        for key, entry in found.items():
            if key not in self.table:
                self.table[key] = entry
