"""The Kafka side of compliance patterns (the rule is in compliance.py): the notifier's consumer of
drr.events feeds both its fold of each case's team (escalating.py) and the per-case attendance state in
the `compliance` table, and sends a pattern's alert through the notifier's own sending path."""

import logging
from collections.abc import MutableMapping
from typing import Any

import faust

from services.notifier import metrics
from services.notifier.clock import Clock
from services.notifier.compliance import MissedAppointments, compliance_delivery, fold, recipients
from services.notifier.policy import Policy, Priority
from services.notifier.schedule import panel_actions
from services.notifier.schedule.pausing import Pausing
from services.notifier.schedule.reminding import Reminding
from services.notifier.schedule.scheduler import Escalator
from shared import topics
from shared.dead_letters import handle_or_dead_letter
from shared.events import Envelope, parse_event_json
from shared.faust_app import raw_topic

log = logging.getLogger(__name__)


class PatternWatcher:
    def __init__(self, rule: MissedAppointments, clock: Clock, state: MutableMapping[str, Any], escalator: Escalator):
        self.rule, self.clock, self.state, self.escalator = rule, clock, state, escalator

    async def on_event(self, event: Envelope) -> None:
        before = self.state.get(event.case_id) or {}
        after, pattern = fold(before, event, self.rule)
        if after != before:
            self.state[event.case_id] = after
        if not pattern:
            return
        assert self.escalator.send is not None
        for recipient in recipients(self.escalator.team(event.case_id), self.rule):
            delivery = compliance_delivery(event.case_id, pattern, recipient, self.clock.now())
            await self.escalator.send(delivery, Priority.HIGH)
        log.info("compliance pattern", extra={"case_id": event.case_id, "misses": len(pattern)})


def wire_case_events(
    app: faust.App, policy: Policy, clock: Clock, escalator: Escalator, pausing: Pausing
) -> PatternWatcher:
    """One consumer of drr.events (the notifier's own group): teams first, then ownership, patterns,
    reminders, panel actions and pauses (these on the escalation sweep and its command topic)."""
    state = app.Table(topics.NOTIFIER_COMPLIANCE_TABLE, partitions=topics.PARTITIONS, key_type=str)
    watcher = PatternWatcher(policy.missed_appointments, clock, state, escalator)
    reminders = app.Table(topics.NOTIFIER_REMINDERS_TABLE, partitions=topics.PARTITIONS, key_type=str)
    reminding = Reminding(policy.reminders, clock, reminders, escalator)
    escalator.others.append((reminding.sweep, reminding.on_command))

    dead_letters = raw_topic(app, topics.DEAD_LETTERS)

    async def take(raw: bytes) -> None:
        try:
            event = parse_event_json(raw)
        except ValueError:
            return  # the router dead-letters what it cannot parse
        escalator.fold_team(event)
        await escalator.check_owner(event)
        await watcher.on_event(event)
        reminding.on_event(event)
        follow_panel_actions(escalator, event, policy)
        metrics.CASE_EVENTS.inc()
        pausing.on_event(event)

    @app.agent(raw_topic(app, topics.EVENTS))
    async def case_events(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            # an event that parses but fails deeper here (the router may route it well) is this consumer's
            await handle_or_dead_letter(take, raw, dead_letters, topics.EVENTS, consumer="notifier")

    return watcher


def follow_panel_actions(escalator: Escalator, event: Envelope, policy: Policy) -> None:
    """After the team fold: a panel decision's actions become pending follow-ups (kept if already there,
    so a redelivered decision does not restart them); a closed case's are dropped."""
    if event.event_type == "case.closed":
        for key in panel_actions.of_case(escalator.pending, event.case_id):
            del escalator.pending[key]
        return
    team = escalator.team(event.case_id)
    found = panel_actions.entries(event, team, policy.panel_actions, policy.reminders.at_hour_utc)
    for key, entry in found.items():
        if key not in escalator.pending:
            escalator.pending[key] = entry
