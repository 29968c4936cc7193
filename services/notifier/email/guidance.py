"""The wording of alerts, loaded from `email/templates/guidance.yaml` and checked at start-up: every
event type in the catalogue and every trigger type needs its entry, so a gap fails the boot, not an email."""

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.payloads import PAYLOADS, TriggerType


class EventWording(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1)
    next_step: str = Field(min_length=1)


class TriggerGuidance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    do_now: str = Field(min_length=1)
    call: str = Field(min_length=1)


class Guidance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    events: dict[str, EventWording]
    triggers: dict[TriggerType, TriggerGuidance]

    def model_post_init(self, _: object) -> None:
        missing = sorted(set(PAYLOADS) - set(self.events)) + sorted(set(TriggerType) - set(self.triggers))
        if missing:
            raise ValueError(f"guidance missing for: {', '.join(missing)}")


def load_guidance(path: Path) -> Guidance:
    return Guidance.model_validate(yaml.safe_load(path.read_text()))
