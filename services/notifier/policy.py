"""Notification policy as data (`policy.yaml`), validated at start-up; the functions that apply it are pure."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from services.notifier.compliance import MissedAppointments
from services.notifier.holding import Holding
from services.notifier.priorities import Priority
from services.notifier.schedule import Escalation, Ownership, PanelActions, Pauses, Reminders
from shared.payloads import PAYLOADS, Severity


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    default_priority: Priority
    priorities: dict[str, Priority]
    severity_priorities: dict[Severity, Priority]
    escalation: Escalation = Escalation()
    missed_appointments: MissedAppointments = MissedAppointments()
    ownership: Ownership = Ownership()
    reminders: Reminders = Reminders()
    holding: Holding = Holding()
    panel_actions: PanelActions = PanelActions()
    pauses: Pauses = Pauses()

    def model_post_init(self, _: object) -> None:
        unknown = set(self.priorities) - set(PAYLOADS)
        if unknown:
            raise ValueError(f"priorities for unknown event types: {sorted(unknown)}")
        if set(self.severity_priorities) != set(Severity):
            raise ValueError("severity_priorities must map every severity")

    def priority_of(self, event_type: str, payload: dict[str, Any]) -> Priority:
        """The payload's own severity wins (a critical trigger is critical); else the event type's."""
        severity = payload.get("severity")
        if severity in set(Severity):
            return self.severity_priorities[Severity(severity)]
        return self.priorities.get(event_type, self.default_priority)


def load_policy(path: Path) -> Policy:
    return Policy.model_validate(yaml.safe_load(path.read_text()))
