"""The router's decision for one event, as a value: the team to store and the messages to send."""

from dataclasses import dataclass, field

from services.router.routing import decide, decision_record, no_recipient_record, team_record
from shared.audit_records import AuditRecord
from shared.deliveries import Delivery
from shared.events import Envelope
from shared.payloads import TEAM_EVENTS
from shared.team import CaseTeam, apply


@dataclass(frozen=True)
class Outcome:
    team: CaseTeam | None = None
    """The case team to store, when the event changed it."""
    deliveries: list[Delivery] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)


def handle(event: Envelope, team: CaseTeam) -> Outcome:
    if event.event_type in TEAM_EVENTS:
        return Outcome(team=apply(team, event), audit=[team_record(event)])
    deliveries = decide(event, team.recipients())
    audit = [decision_record(d) for d in deliveries] or [no_recipient_record(event)]
    return Outcome(deliveries=deliveries, audit=audit)
