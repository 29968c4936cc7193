"""Notification policy as data (`policy.yaml`), validated at start-up; the functions that apply it are pure."""

from pathlib import Path

import yaml
from pydantic import ConfigDict

from services.notifier.compliance import MissedAppointments
from services.notifier.holding import Holding
from services.notifier.schedule import Escalation, Ownership, PanelActions, Pauses, Reminders
from shared.priorities import PriorityRules


class Policy(PriorityRules):
    """The priority keys (shared with the portal, which shows them) and everything the notifier does by them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    escalation: Escalation = Escalation()
    missed_appointments: MissedAppointments = MissedAppointments()
    ownership: Ownership = Ownership()
    reminders: Reminders = Reminders()
    holding: Holding = Holding()
    panel_actions: PanelActions = PanelActions()
    pauses: Pauses = Pauses()


def load_policy(path: Path) -> Policy:
    return Policy.model_validate(yaml.safe_load(path.read_text()))
