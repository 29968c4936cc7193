"""The Kafka side of escalation (the rules are in escalation.py): durable state and the sweep.

- `teams`: each case's team, folded with `shared.team` from drr.events (patterns.py's consumer);
- `escalations`: pending escalations by alert id, written when a covered alert goes out;
- an `app.timer` reads the injected clock and, for each due entry, puts a step command on
  drr.notifier-escalations (keyed by case, so the same partition as the entry); the agent that takes it
  checks the entry is still at that step and unacknowledged, sends, audits and moves the entry on.

Faust tables can only be written from a stream, hence the command topic. A command seen twice finds the
entry already moved on; a step cut short by a crash is taken again and the ledger dedupes its emails.
"""

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import faust

from services.notifier.clock import Clock
from services.notifier.policy import Priority
from services.notifier.schedule import ownership
from services.notifier.schedule.chases import FollowUp, follow_ups
from services.notifier.schedule.commands import Topic, take_commands
from services.notifier.schedule.durable import put
from services.notifier.schedule.escalation import Escalation, add_delivery, is_due, pending_for
from services.notifier.schedule.ownership import Ownership
from shared import topics
from shared.audit_records import AuditKind, delivery_record, record_id_for
from shared.deliveries import Delivery
from shared.events import Envelope
from shared.faust_app import raw_topic
from shared.team import CaseTeam, apply

log = logging.getLogger(__name__)
Send = Callable[[Delivery, Priority], Awaitable[object]]
Table = MutableMapping[str, Any]
Tables = tuple[Table, Table, Mapping[str, Any]]
"""Teams by case, pending escalations by alert id, acknowledgements by delivery id."""


Topics = tuple[Topic, Topic]
"""Step commands, audit records."""


class Escalator:
    """The tables and the steps; `send` is the notifier's own sending path (ledger, state machine, audit)."""

    def __init__(
        self, policy: Escalation, clock: Clock, unit_s: float, tables: Tables, topics_: Topics, owners: Ownership
    ) -> None:
        self.policy, self.clock, self.unit_s, self.owners = policy, clock, unit_s, owners
        self.teams, self.pending, self.acks = tables
        self.commands, self.audit = topics_
        self.send: Send | None = None
        self.kinds = follow_ups(policy, owners, self.acks)
        self.others: list[tuple[Callable[[], Awaitable[None]], Callable[[dict[str, Any]], Awaitable[None]]]] = []
        """(sweep, on_command) of other schedules on the same timer and command topic (reminding.py)."""

    def fold_team(self, event: Envelope) -> None:
        team = self.team(event.case_id)
        changed = apply(team, event)
        if changed is not team:
            self.teams[event.case_id] = changed.model_dump(mode="json")

    async def check_owner(self, event: Envelope) -> None:
        """After the team fold: an event on a case nobody owns alerts at once; an assignment ends it."""
        owner_key = ownership.key(event.case_id)
        if event.event_type in ownership.RESOLVING:
            self.pending.pop(owner_key, None)
        elif owner_key not in self.pending and ownership.needs_owner(event, self.team(event.case_id)):
            self.pending[owner_key] = ownership.owner_entry(event, self.owners, self.clock.now(), self.unit_s)
            await self.on_command({"alert_id": owner_key, "step": 0})

    def team(self, case_id: str) -> CaseTeam:
        return CaseTeam.model_validate(self.teams.get(case_id) or {})

    def watch(self, delivery: Delivery, *, sent: bool) -> Awaitable[Any] | None:
        """Called inside the deliveries stream once an alert was handled; only one sent is watched.
        Returns the pending entry's write, for the caller to wait on before its final ledger mark."""
        entry = None if not sent else pending_for(delivery, self.policy, self.clock.now(), self.unit_s)
        if entry is None:
            return None
        known = self.pending.get(entry["alert_id"])
        return put(self.pending, entry["alert_id"], entry if known is None else add_delivery(known, delivery))

    async def sweep(self) -> None:
        for other_sweep, _ in self.others:
            await other_sweep()
        now = self.clock.now()
        for alert_id, entry in list(self.pending.items()):
            if is_due(entry, now):
                command = {"alert_id": alert_id, "step": entry["step"]}
                await self.commands.send(key=entry["case_id"].encode(), value=json.dumps(command).encode())

    async def on_command(self, command: dict[str, Any]) -> None:
        if "alert_id" not in command:
            for _, other_command in self.others:
                await other_command(command)
            return
        alert_id = command["alert_id"]
        entry = self.pending.get(alert_id)
        if entry is None or entry["step"] != command["step"]:
            return  # already taken (a repeated command) or resolved
        follow_up = self.follow_up(entry)
        if follow_up.resolved(entry, self.team(entry["case_id"])):
            del self.pending[alert_id]
            return
        sent = await self.take_step(entry)
        following = follow_up.following({**entry, "escalations": [*entry.get("escalations", []), *sent]})
        if following is None:
            del self.pending[alert_id]
        else:
            self.pending[alert_id] = following

    def follow_up(self, entry: dict[str, Any]) -> FollowUp:
        return self.kinds[entry.get("kind", "alert")]

    async def take_step(self, entry: dict[str, Any]) -> list[str]:
        """Alert this step's level; returns the escalation delivery ids."""
        sent = []
        assert self.send is not None, "start(send) before the agents run"
        follow_up = self.follow_up(entry)
        for recipient, delivery in follow_up.deliveries(entry, self.team(entry["case_id"]), self.clock.now()):
            await self.send(delivery, follow_up.priority)
            sent.append(str(delivery.delivery_id))
            record_id = record_id_for(AuditKind.ESCALATED, delivery.delivery_id)
            step = f"{entry.get('kind', 'alert')}_step_{entry['step']}_{recipient.practitioner_id}"
            record = delivery_record(delivery, AuditKind.ESCALATED, record_id, "notifier", outcome=step)
            await self.audit.send(key=entry["case_id"].encode(), value=record.model_dump_json().encode())
        kind = entry.get("kind", "alert")
        log.info("escalated", extra={"case_id": entry["case_id"], "kind": kind, "step": entry["step"]})
        return sent


def wire_escalation(
    app: faust.App,
    policy: Escalation,
    clock: Clock,
    audit: Topic,
    *,
    unit_s: float,
    sweep_s: float,
    owners: Ownership,
) -> Escalator:
    """The tables, the step agent and the sweep timer; set `.send` before starting (patterns.py feeds
    `fold_team` from drr.events)."""
    teams = app.Table(topics.NOTIFIER_TEAMS_TABLE, partitions=topics.PARTITIONS, key_type=str)
    pending = app.Table(topics.NOTIFIER_ESCALATIONS_TABLE, partitions=topics.PARTITIONS, key_type=str)
    acks: Any = app.tables[topics.NOTIFIER_ACKS_TABLE]  # made by wire_acks; a Mapping at run time
    commands = raw_topic(app, topics.ESCALATIONS)
    escalator = Escalator(policy, clock, unit_s, (teams, pending, acks), (commands, audit), owners)
    take_commands(
        app, commands, escalator.on_command, name="notifier.escalations", sweep=escalator.sweep, sweep_s=sweep_s
    )
    return escalator
