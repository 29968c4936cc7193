"""The Kafka side of pauses (the rules are in pauses.py): the `pauses` table, folded from drr.events by the
notifier's case-events consumer; the owner's reminder checked by the escalation sweep (one timer, one
clock) and taken through the same step-command topic, since Faust tables are written from streams only.

`active_until(case_id, now)` is what the sending path asks before holding a non-critical alert back.
"""

import json
import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

import faust

from services.notifier.clock import Clock
from services.notifier.policy import Priority
from services.notifier.schedule import pauses
from services.notifier.schedule.pauses import Pauses
from services.notifier.schedule.scheduler import Escalator
from shared import topics
from shared.events import Envelope

log = logging.getLogger(__name__)


class Pausing:
    def __init__(self, rule: Pauses, clock: Clock, table: MutableMapping[str, Any], escalator: Escalator):
        self.rule, self.clock, self.table, self.escalator = rule, clock, table, escalator

    def active_until(self, case_id: str, now: datetime) -> datetime | None:
        """The expiry of the case's pause if one is in force at `now`, else None."""
        return pauses.active_until(self.table.get(case_id), now)

    def on_event(self, event: Envelope) -> None:
        """Called inside the drr.events stream (tables are written from streams only)."""
        before = self.table.get(event.case_id)
        after = pauses.fold(before, event, self.rule)
        if after is None and before is not None:
            del self.table[event.case_id]
        elif after != before:
            self.table[event.case_id] = after

    async def sweep(self) -> None:
        """Asks for each due reminder, and for each pause that has run out to be removed from the table."""
        now = self.clock.now()
        for case_id, state in list(self.table.items()):
            if pauses.reminder_due(state, now):
                await self._ask("pause", case_id, state)
            elif pauses.ended(state, now):
                await self._ask("purge", case_id, state)

    async def _ask(self, verb: str, case_id: str, state: dict[str, Any]) -> None:
        command = {verb: state["pause_id"], "expires_at": state["expires_at"], "case_id": case_id}
        await self.escalator.commands.send(key=case_id.encode(), value=json.dumps(command).encode())

    async def on_command(self, command: dict[str, Any]) -> None:
        """Remind the owner once, if the command still speaks of the pause in force and it is due."""
        if "purge" in command:
            self._purge(command)
        if "pause" not in command:
            return
        case_id = command["case_id"]
        state = self.table.get(case_id)
        if not pauses.same_pause(state, command["pause"], command["expires_at"]):
            return
        assert state is not None and self.escalator.send is not None
        if not pauses.reminder_due(state, self.clock.now()):
            return
        owner = pauses.owner_recipient(state, self.escalator.team(case_id))
        await self.escalator.send(pauses.reminder_delivery(case_id, state, owner, self.clock.now()), Priority.HIGH)
        self.table[case_id] = pauses.reminded(state)
        log.info("pause reminder sent", extra={"case_id": case_id})

    def _purge(self, command: dict[str, Any]) -> None:
        """Remove a pause that has run out (not one that replaced it since)."""
        case_id = command["case_id"]
        state = self.table.get(case_id)
        if pauses.same_pause(state, command["purge"], command["expires_at"]) and pauses.ended(state, self.clock.now()):
            del self.table[case_id]


def wire_pauses(app: faust.App, rule: Pauses, clock: Clock, escalator: Escalator) -> Pausing:
    """The `pauses` table and the reminder on the escalation sweep; patterns.py feeds `on_event`."""
    table = app.Table(topics.NOTIFIER_PAUSES_TABLE, partitions=topics.PARTITIONS, key_type=str)
    pausing = Pausing(rule, clock, table, escalator)
    escalator.others.append((pausing.sweep, pausing.on_command))
    return pausing
