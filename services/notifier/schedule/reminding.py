"""The Kafka side of reminders (the rules are in reminders.py): the `reminders` table, folded from
drr.events by the notifier's case-events consumer, checked by the escalation sweep (one timer, one clock)
and taken through the same step-command topic, since Faust tables are written from streams only."""

import json
import logging
from collections.abc import MutableMapping
from typing import Any

from services.notifier.clock import Clock
from services.notifier.policy import Priority
from services.notifier.schedule.reminders import Reminders, due, fold, recipients, reminder_delivery, taken
from services.notifier.schedule.scheduler import Escalator
from shared.events import Envelope

log = logging.getLogger(__name__)


class Reminding:
    def __init__(self, rule: Reminders, clock: Clock, table: MutableMapping[str, Any], escalator: Escalator):
        self.rule, self.clock, self.table, self.escalator = rule, clock, table, escalator

    def on_event(self, event: Envelope) -> None:
        before = self.table.get(event.case_id) or {}
        after = fold(before, event, self.rule, self.clock.now())
        if after != before:
            self.table[event.case_id] = after

    async def sweep(self) -> None:
        now = self.clock.now()
        for case_id, state in list(self.table.items()):
            for kind, days_before in due(state, self.rule, now):
                command = {"reminder": kind, "days_before": days_before, "case_id": case_id}
                await self.escalator.commands.send(key=case_id.encode(), value=json.dumps(command).encode())

    async def on_command(self, command: dict[str, Any]) -> None:
        """Take one reminder if it is still pending (a repeated command finds it taken)."""
        if "reminder" not in command:
            return  # another schedule's command on the shared topic (pausing.py)
        case_id, kind, days_before = command["case_id"], command["reminder"], command["days_before"]
        state = self.table.get(case_id) or {}
        if days_before not in (state.get(kind) or {}).get("pending", []):
            return
        assert self.escalator.send is not None
        for recipient in recipients(kind, self.escalator.team(case_id)):
            delivery = reminder_delivery(case_id, kind, state, days_before, recipient, self.clock.now())
            await self.escalator.send(delivery, Priority.HIGH)
        self.table[case_id] = taken(state, kind, days_before)
        log.info("reminder sent", extra={"case_id": case_id, "kind": kind, "days_before": days_before})
