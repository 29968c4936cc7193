"""The router's decision for one event, as a value: the case state to store and the messages to send."""

from dataclasses import dataclass, field

from services.router.routing import (
    EventFacts,
    access_record,
    decision_record,
    delivery_for,
    no_recipient_record,
    team_record,
)
from shared.audit_records import AuditRecord
from shared.deliveries import Delivery, Recipient
from shared.digests import DigestKey
from shared.erasures import Erasure, due
from shared.events import Envelope
from shared.payloads import CASE_STATE_EVENTS, FOLLOW_UP_EVENTS, TEAM_EVENTS
from shared.policy import CaseState, Policy, apply_access, decide
from shared.team import CaseTeam, apply


@dataclass(frozen=True)
class Outcome:
    team: CaseTeam | None = None
    """The case team to store, when the event changed it."""
    state: CaseState | None = None
    """The agreements and exclusions to store, when the event changed them."""
    recipients: list[Recipient] = field(default_factory=list)
    """Who was told something of this event: remembered for a later retraction or correction."""
    deliveries: list[Delivery] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)
    closes_case: bool = False
    """`case.closed`: forget who received the case's events (nothing is followed up after closure)."""
    erasure: Erasure | None = None
    """`case.closed` under a retention rule: when the case's data is to be erased."""


CASE_CLOSED = "case.closed"


def handle(event: Envelope, state: CaseState, policy: Policy, digest_key: DigestKey) -> Outcome:
    if event.event_type in TEAM_EVENTS:
        return Outcome(team=apply(state.team, event), audit=[team_record(event)])
    if event.event_type in CASE_STATE_EVENTS:
        return Outcome(state=apply_access(state, event), audit=[access_record(event)])
    decisions = decide(event, state, policy)
    shared = [d for d in decisions if d.shares]
    facts = EventFacts.of(event, digest_key)
    if decisions:
        audit = [decision_record(facts, d) for d in decisions]
    else:
        nobody = "no_original_recipients" if event.event_type in FOLLOW_UP_EVENTS else "no_team_members"
        audit = [no_recipient_record(event, policy.hash, nobody)]
    closes_case = event.event_type == CASE_CLOSED
    retention = policy.spec.retention
    return Outcome(
        recipients=[] if closes_case else [d.recipient for d in shared],
        closes_case=closes_case,
        erasure=due(retention[0], event.case_id, event.occurred_at) if closes_case and retention else None,
        deliveries=[delivery_for(facts, d) for d in shared],
        audit=audit,
    )
