"""The kinds of pending entry the escalation table holds, each as its own small set of rules: an
unacknowledged alert climbing the escalation chain, a case with no owner, and a panel action not yet
acknowledged by its owner. The escalator (escalating.py) takes their steps alike; only these differ:
who is told at a step, what ends the entry, what the next step is, and how urgent its emails are."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.notifier.priorities import Priority
from services.notifier.schedule import ownership, panel_actions
from services.notifier.schedule.escalation import Escalation, escalation_delivery, next_step, targets
from services.notifier.schedule.ownership import Ownership
from shared.deliveries import Delivery, Recipient
from shared.team import CaseTeam

Steps = list[tuple[Recipient, Delivery]]


class FollowUp(Protocol):
    @property
    def priority(self) -> Priority: ...

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool: ...

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> Steps: ...

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        """The entry after this step was taken; None when it ends."""


@dataclass(frozen=True)
class UnacknowledgedAlert:
    policy: Escalation
    acks: Mapping[str, Any]
    priority: Priority = Priority.CRITICAL

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool:
        """Any delivery of the alert, or any escalation email of it (each has its own link), acknowledged."""
        return any(i in self.acks for i in (*entry["deliveries"], *entry.get("escalations", [])))

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> Steps:
        return [(r, escalation_delivery(entry, r, now)) for r in targets(entry, self.policy, team)]

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        return next_step(entry, self.policy)


@dataclass(frozen=True)
class UnownedCase:
    policy: Escalation
    owners: Ownership
    priority: Priority = Priority.CRITICAL

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool:
        return team.case_manager is not None

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> Steps:
        people = ownership.owner_targets(entry, self.policy, team)
        return [(r, ownership.ownership_delivery(entry, r, now)) for r in people]

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        return ownership.next_reminder(entry, self.owners)


@dataclass(frozen=True)
class UnacknowledgedAction:
    policy: Escalation
    acks: Mapping[str, Any]
    priority: Priority = Priority.HIGH

    def resolved(self, entry: dict[str, Any], team: CaseTeam) -> bool:
        return panel_actions.acknowledged(entry, self.acks)

    def deliveries(self, entry: dict[str, Any], team: CaseTeam, now: datetime) -> Steps:
        """The owner (if still on the team) at the owner step; the chair, else the duty manager, after."""
        if entry["step"] == panel_actions.OWNER_STEP:
            people = [o for o in [panel_actions.owner_on_team(entry, team)] if o is not None]
        else:
            people = ownership.owner_targets(entry, self.policy, team)
        return [(r, panel_actions.step_delivery(entry, r, now)) for r in people]

    def following(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        return panel_actions.next_step(entry)


def follow_ups(policy: Escalation, owners: Ownership, acks: Mapping[str, Any]) -> dict[str, FollowUp]:
    """By the entry's `kind` (an alert's entry has none: "alert")."""
    return {
        "alert": UnacknowledgedAlert(policy, acks),
        "ownership": UnownedCase(policy, owners),
        panel_actions.KIND: UnacknowledgedAction(policy, acks),
    }
