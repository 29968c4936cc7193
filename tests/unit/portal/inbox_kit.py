"""The portal's Kafka side in memory, filled as the real topics would fill it: the demo case's team, events
sealed as intake seals them and routed by the real sharing policy as the router routes them, each delivery
folded into the Book from the bytes the router would publish, the team and access changelogs likewise."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from services.intake.adapters import Sealer
from services.portal.book import Book
from services.portal.case_data import CaseData
from services.router.routing import EventFacts, delivery_for
from shared import topics
from shared.deliveries import Delivery
from shared.events import Envelope, parse_event
from shared.policy import CaseState, apply_access, decide, load_policy
from shared.team import CaseTeam, apply
from tests.case_keys_kit import memory_keys

POLICY = load_policy()
CASE = "C-INBOX"
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
PERSON = {"identifiers": [{"type": "nomis", "value": "A1234BC"}]}
CASE_MANAGER = {
    "id": "p-cm-1",
    "name": "Sam Okafor",
    "email": "sam.okafor@probation.example.org",
    "agency": "probation",
}
POLICE = {"id": "p-pol-3", "name": "Ana Ferreira", "email": "ana.ferreira@police.example.org", "agency": "police"}
MENTAL_HEALTH = {
    "id": "p-mh-4",
    "name": "Dr Lena Novak",
    "email": "lena.novak@mh.example.org",
    "agency": "mental_health",
}
CLINICAL_NOTES = "Reports low mood since the funeral; sertraline dose under review."
DESCRIPTION = "Father died last week; withdrawn at supervision."


class Recorded:
    """What the portal would have put on drr.notifier-acks."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, dict[str, Any]]] = []

    async def __call__(self, key: bytes, value: bytes) -> None:
        self.sent.append((key, json.loads(value)))


def memory_case_data() -> CaseData:
    return CaseData(Book(), memory_keys(), Recorded())


def wire(event_type: str, payload: dict[str, Any], at: datetime = NOW, case_id: str = CASE) -> dict[str, Any]:
    return {
        "event_id": str(uuid4()),
        "event_type": event_type,
        "occurred_at": at.isoformat(),
        "source": {"agency": "probation", "system": "tests"},
        "case_id": case_id,
        "person": PERSON,
        "payload": payload,
    }


class CaseFeed:
    """Publishes a case's events into a CaseData as the router would: team and access events change the
    changelogs, every other event becomes its deliveries on drr.deliveries."""

    def __init__(self, data: CaseData, case_id: str = CASE) -> None:
        self.data, self.case_id = data, case_id
        self.state = CaseState()

    async def publish(self, event_type: str, payload: dict[str, Any], at: datetime = NOW) -> list[Delivery]:
        event, _ = await Sealer(self.data.keys).sealed(parse_event(wire(event_type, payload, at, self.case_id)))
        if self._changes_state(event):
            return []
        facts = EventFacts.of(event, await self.data.keys.digests.ensure(self.case_id))
        deliveries = [delivery_for(facts, d) for d in decide(event, self.state, POLICY) if d.shares]
        for delivery in deliveries:
            self.data.book.fold(topics.DELIVERIES, self.case_id.encode(), delivery.model_dump_json().encode())
        return deliveries

    def _changes_state(self, event: Envelope) -> bool:
        team = apply(self.state.team, event)
        state = apply_access(self.state, event)
        if team is self.state.team and state is self.state:
            return False
        self.state = state.model_copy(update={"team": team})
        key = json.dumps(self.case_id).encode()  # Faust's changelogs key by JSON
        self.data.book.fold(topics.CASE_TEAMS_CHANGELOG, key, team.model_dump_json().encode())
        access = self.state.model_dump_json(include={"agreements", "access"}).encode()
        self.data.book.fold(topics.CASE_ACCESS_CHANGELOG, key, access)
        return True

    def notifier_records(self, ack: dict[str, Any]) -> None:
        """The notifier's acks changelog after it took `ack` (the first one counts)."""
        key = json.dumps(ack["delivery_id"]).encode()
        self.data.book.fold(topics.NOTIFIER_ACKS_CHANGELOG, key, json.dumps(ack).encode())


async def demo_case(data: CaseData) -> CaseFeed:
    """The demo's team (case manager, police, mental health), the clinical agreement with consent, a high
    bereavement trigger with clinical notes, and a panel decision giving the case manager a home visit."""
    feed = CaseFeed(data)
    await feed.publish("case_manager.assigned", {"practitioner": CASE_MANAGER})
    await feed.publish("team.member_joined", {"practitioner": POLICE, "role": "police"})
    await feed.publish("team.member_joined", {"practitioner": MENTAL_HEALTH, "role": "mental_health"})
    await feed.publish("sharing_agreement.updated", clinical_agreement())
    trigger = {
        "trigger_type": "bereavement",
        "severity": "critical",
        "observed_at": (NOW - timedelta(hours=2)).isoformat(),
        "description": DESCRIPTION,
        "clinical_notes": CLINICAL_NOTES,
    }
    await feed.publish("trigger.reported", trigger, NOW - timedelta(hours=1))
    panel = {
        "panel_date": NOW.date().isoformat(),
        "decision": "Increase contact to twice weekly.",
        "rationale": "Bereavement raises the risk of withdrawal.",
        "actions": [{"owner_role": "case_manager", "description": "Home visit", "due_date": "2026-12-08"}],
    }
    await feed.publish("panel.decision", panel)
    return feed


def clinical_agreement() -> dict[str, Any]:
    return {
        "agreement_id": "DRR-CLINICAL-ISA",
        "version": 1,
        "parties": ["mental_health", "probation"],
        "roles": ["case_manager"],
        "purposes": ["Case management informed by treatment needs after release"],
        "legal_basis": "GDPR Art. 9(2)(a): explicit consent",
        "sensitivity_classes": ["clinical"],
        "valid_from": "2026-11-01",
        "valid_to": "2027-10-31",
        "consent": "given",
    }


def team_of(data: CaseData, case_id: str = CASE) -> CaseTeam:
    return data.book.teams[case_id]
