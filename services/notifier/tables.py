"""Every durable table of the notifier, made in one place so that no part depends on another having made
one first. Each is a Faust table backed by its changelog topic (names in shared/topics.py). No
`value_type`: Faust would restore values with `dict.from_data`, which does not exist; values are plain JSON."""

from dataclasses import dataclass
from typing import Any

import faust

from shared import topics


@dataclass(frozen=True)
class Tables:
    emails: Any
    """The email ledger: delivery id -> state (sending/ledger.py)."""
    acks: Any
    """Acknowledgements by delivery id (acknowledging/)."""
    teams: Any
    """Each case's team, folded from drr.events (schedule/teams.py)."""
    chases: Any
    """Entries the scheduler chases until resolved: unacknowledged alerts, unowned cases, panel actions."""
    reminders: Any
    pauses: Any
    compliance: Any
    holds: Any
    """Held batches (holding/)."""

    @classmethod
    def of(cls, app: faust.App) -> "Tables":
        def table(name: str) -> Any:
            return app.Table(name, partitions=topics.PARTITIONS, key_type=str)

        return cls(
            emails=table(topics.NOTIFIER_EMAILS_TABLE),
            acks=table(topics.NOTIFIER_ACKS_TABLE),
            teams=table(topics.NOTIFIER_TEAMS_TABLE),
            chases=table(topics.NOTIFIER_ESCALATIONS_TABLE),
            reminders=table(topics.NOTIFIER_REMINDERS_TABLE),
            pauses=table(topics.NOTIFIER_PAUSES_TABLE),
            compliance=table(topics.NOTIFIER_COMPLIANCE_TABLE),
            holds=table(topics.NOTIFIER_HOLDS_TABLE),
        )
