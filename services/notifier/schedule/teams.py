"""Each case's team as the notifier knows it: folded with `shared.team` from drr.events by the notifier's
own consumer (case_events.py), read by every kind that tells someone something."""

from collections.abc import MutableMapping
from typing import Any

from shared.events import Envelope
from shared.team import CaseTeam, apply


class CaseTeams:
    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table

    def fold(self, event: Envelope) -> None:
        """Called inside the drr.events stream (tables are written from streams only)."""
        team = self.of(event.case_id)
        changed = apply(team, event)
        if changed is not team:
            self.table[event.case_id] = changed.model_dump(mode="json")

    def of(self, case_id: str) -> CaseTeam:
        return CaseTeam.model_validate(self.table.get(case_id) or {})
