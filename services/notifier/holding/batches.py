"""The Kafka side of holding alerts back (the rules are in rules.py).

Batches live in the `holds` table, written only by the agent on drr.notifier-holds, keyed like the batch
(case id for groups and pauses, recipient id for digests), so a batch's writes stay on one partition:

- `hold` puts an `add` command on that topic and waits for the broker; only then does the caller mark the
  alert held in the ledger (a crash in between redelivers it, and the batch ignores a repeat);
- a timer reads the injected clock and puts a `release` command for each batch due;
- the agent turns a released batch into one email through the notifier's own sending path (ledger,
  state machine, audit), records each alert it carried as sent (or dead-lettered) in that email, and
  drops the batch. A release cut short is taken again: the same batch gives the same email id.
"""

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any, Protocol

from services.notifier import metrics
from services.notifier.clock import Clock
from services.notifier.holding.rules import (
    Holding,
    HoldKind,
    Placement,
    added,
    is_due,
    members,
    merged,
    paused_key,
    regrouped,
    release,
)
from services.notifier.holding.rules import (
    placement as place_for,
)
from services.notifier.ports import Topic
from services.notifier.priorities import Priority
from services.notifier.states import DeliveryState
from shared.audit_records import AuditKind, delivery_record, record_id_for
from shared.deliveries import Delivery

log = logging.getLogger(__name__)
Send = Callable[[Delivery, Priority], Awaitable[DeliveryState]]
"""The sending path; returns the email's final state (the recorded one if it was sent before)."""
OUTCOME_KINDS = {
    DeliveryState.DELIVERED: AuditKind.EMAIL_SENT,
    DeliveryState.DELIVERED_TEST: AuditKind.EMAIL_SENT,
    DeliveryState.DEAD_LETTERED: AuditKind.EMAIL_DEAD_LETTERED,
}


class PauseLookup(Protocol):
    def active_until(self, case_id: str, now: datetime) -> datetime | None:
        """The expiry of the pause in force on the case now, or None."""


class Holds:
    def __init__(
        self,
        rule: Holding,
        clock: Clock,
        table: MutableMapping[str, Any],
        topics_: tuple[Topic, Topic],
        pauses: PauseLookup,
        send: Send,
    ) -> None:
        self.rule, self.clock, self.table, self.pauses, self.send = rule, clock, table, pauses, send
        self.commands, self.audit = topics_

    def placement(self, delivery: Delivery, priority: Priority) -> Placement | None:
        now = self.clock.now()
        return place_for(delivery, priority, now, self.rule, self.pauses.active_until(delivery.case_id, now))

    async def hold(self, delivery: Delivery, priority: Priority, place: Placement) -> None:
        """Durable once this returns: the `add` is on the broker."""
        command = {"add": delivery.model_dump(mode="json"), "priority": priority.value, "batch": place.batch_key,
                   "kind": place.kind.value, "route_key": place.route_key,
                   "release_at": place.release_at.isoformat()}  # fmt: skip
        await self._command(place.route_key, command, acked=True)
        metrics.HELD.labels(place.kind.value).inc()
        record_id = record_id_for(AuditKind.EMAIL_HELD, delivery.delivery_id)
        record = delivery_record(delivery, AuditKind.EMAIL_HELD, record_id, "notifier", outcome=place.kind.value)
        await self.audit.send(key=delivery.case_id.encode(), value=record.model_dump_json().encode())

    async def sweep(self) -> None:
        now = self.clock.now()
        for key, batch in list(self.table.items()):
            if is_due(batch, now, self.pauses.active_until(batch["case_id"], now)):
                await self._command(batch["route_key"], {"release": key, "opened_at": batch["opened_at"]})

    async def on_command(self, command: dict[str, Any]) -> None:
        if "add" in command:
            self._add(command)
        else:
            await self._release(command["release"], command["opened_at"])

    def _add(self, command: dict[str, Any]) -> None:
        delivery, priority = Delivery.model_validate(command["add"]), Priority(command["priority"])
        release_at = datetime.fromisoformat(command["release_at"])
        place = Placement(HoldKind(command["kind"]), command["batch"], command["route_key"], release_at)
        batch = self.table.get(place.batch_key)
        self.table[place.batch_key] = added(batch, place, delivery, priority, self.rule, self.clock.now())

    async def _release(self, key: str, opened_at: str) -> None:
        batch = self.table.get(key)
        if batch is None or batch["opened_at"] != opened_at:
            return  # already released (a repeated command)
        now = self.clock.now()
        paused_until = self.pauses.active_until(batch["case_id"], now)
        if batch["kind"] == HoldKind.PAUSED and paused_until is not None:
            return  # paused again since the sweep saw it lifted: it waits for this pause too
        if batch["kind"] == HoldKind.GROUP and paused_until is not None:
            self.table[paused_key(batch)] = merged(self.table.get(paused_key(batch)), regrouped(batch, paused_until))
            del self.table[key]
            return
        email, priority = release(key, batch, now)
        outcome = await self.send(email, priority)
        await self._record_members(batch, email, outcome)
        del self.table[key]
        log.info("batch released", extra={"kind": batch["kind"], "alerts": len(batch["items"])})

    async def _record_members(self, batch: dict[str, Any], email: Delivery, outcome: DeliveryState) -> None:
        """Each alert the email carried, as sent (or given up on) in it."""
        kind = OUTCOME_KINDS.get(outcome, AuditKind.EMAIL_SENT)
        for member in members(batch):
            record_id = record_id_for(kind, member.delivery_id)
            record = delivery_record(member, kind, record_id, "notifier", outcome=f"in_email:{email.delivery_id}")
            await self.audit.send(key=member.case_id.encode(), value=record.model_dump_json().encode())

    async def _command(self, route_key: str, command: dict[str, Any], acked: bool = False) -> None:
        sent = await self.commands.send(key=route_key.encode(), value=json.dumps(command).encode())
        if acked:
            await sent
