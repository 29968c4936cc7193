"""Router: keeps each case's sharing state in Faust tables (changelog-backed): the team, the sharing
agreements and consent, the exclusions, and who received each event. Every other event goes through
the sharing policy (`shared/policy`): one redacted delivery per recipient who is told something, and
one audit record per decision. Agreement, consent and exclusion changes apply from the next event on.

Run: `python -m services.router` (settings: DRR_KAFKA_BOOTSTRAP, DRR_ROUTER_PORT, DRR_ROUTER_POLICY_PATH).
"""

from typing import Any

import faust
from prometheus_client import Counter

from services.router.bootstrap import RouterSettings
from services.router.handling import Outcome, handle
from shared import topics
from shared.deliveries import Recipient
from shared.events import Envelope, parse_event_json
from shared.faust_app import make_app, parse_or_dead_letter, raw_topic
from shared.payloads import FOLLOW_UP_EVENTS
from shared.policy import CaseState, Policy, load_policy

ROUTED = Counter("drr_router_events_total", "Events routed", ["event_type"])
DELIVERIES = Counter("drr_router_deliveries_total", "Deliveries emitted", ["event_type", "role"])


def build(settings: RouterSettings, policy: Policy | None = None) -> faust.App:
    """Loads (and so validates) the policy first: a bad policy file stops the router before it starts."""
    policy = policy or load_policy(settings.policy_path)
    app = make_app(topics.ROUTER_APP_ID, settings)
    events = raw_topic(app, topics.EVENTS)
    deliveries = raw_topic(app, topics.DELIVERIES)
    audit = raw_topic(app, topics.AUDIT)
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    tables = CaseTables(app)

    async def publish(key: bytes, outcome: Outcome) -> None:
        for delivery in outcome.deliveries:
            await deliveries.send(key=key, value=delivery.model_dump_json().encode())
            DELIVERIES.labels(delivery.event_type, delivery.recipient.role).inc()
        for record in outcome.audit:
            await audit.send(key=key, value=record.model_dump_json().encode())

    @app.agent(events)
    async def route(stream: faust.StreamT[bytes]) -> None:
        async for key, raw in stream.items():
            event = await parse_or_dead_letter(parse_event_json, raw, dead_letters, topics.EVENTS)
            if event is None:
                continue
            outcome = handle(event, tables.state(event), policy)
            tables.store(event, outcome)
            await publish(key, outcome)
            ROUTED.labels(event.event_type).inc()

    return app


class CaseTables:
    """The router's three tables, all written while handling the case's own event, so each entry lands
    on the changelog partition of that case (co-partitioned with drr.events)."""

    def __init__(self, app: faust.App) -> None:
        def table(name: str) -> Any:
            return app.Table(name, partitions=topics.PARTITIONS, key_type=str, value_type=dict)

        self.teams = table(topics.CASE_TEAMS_TABLE)
        self.access = table(topics.CASE_ACCESS_TABLE)
        self.recipients = table(topics.EVENT_RECIPIENTS_TABLE)

    def state(self, event: Envelope) -> CaseState:
        """The case state the policy needs; recipients of an earlier event only for a follow-up."""
        sent: dict[str, Any] = {}
        follow_up = FOLLOW_UP_EVENTS.get(event.event_type)
        if follow_up:
            original = str(getattr(event.payload, follow_up))
            sent = {original: self.recipients.get(f"{event.case_id}/{original}", {}).get("recipients", [])}
        access = self.access.get(event.case_id) or {}
        return CaseState.model_validate({"team": self.teams.get(event.case_id) or {}, **access, "sent": sent})

    def store(self, event: Envelope, outcome: Outcome) -> None:
        if outcome.team is not None:
            self.teams[event.case_id] = outcome.team.model_dump(mode="json")
        if outcome.state is not None:
            self.access[event.case_id] = outcome.state.model_dump(mode="json", include={"agreements", "access"})
        if outcome.recipients:
            self.recipients[f"{event.case_id}/{event.event_id}"] = {"recipients": _dump(outcome.recipients)}


def _dump(recipients: list[Recipient]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in recipients]
