"""How urgent an alert is, by the notifier's policy file (services/notifier/policy.yaml): the notifier sends by it
and the portal shows it, so an inbox ranks alerts exactly as the emails went out."""

from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from shared.payloads import PAYLOADS, Severity


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


IMMEDIATE = frozenset({Priority.CRITICAL, Priority.HIGH})
"""Sent at once (unless a pause holds a high one back), with an acknowledgement link."""
RANK = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL]


class PriorityRules(BaseModel):
    """The policy file's priority keys; the portal reads only these (extra keys are the notifier's)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    default_priority: Priority
    priorities: dict[str, Priority]
    severity_priorities: dict[Severity, Priority]

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


def load_priority_rules(path: Path) -> PriorityRules:
    return PriorityRules.model_validate(yaml.safe_load(path.read_text()))
