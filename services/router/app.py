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
from services.router.publishing import Producer, publish
from services.router.tables import CaseTables
from shared import topics
from shared.events import parse_event_json
from shared.faust_app import make_app, parse_or_dead_letter, raw_topic
from shared.policy import Policy, load_policy

ROUTED = Counter("drr_router_events_total", "Events routed", ["event_type"])
DELIVERIES = Counter("drr_router_deliveries_total", "Deliveries emitted", ["event_type", "role"])
PRODUCER: dict[str, Any] = {"producer_max_batch_size": 512 * 1024, "producer_linger": 0.005}
"""An event to a team of ten is twenty messages (~25 KB): with faust's 16 KB default every few sends
waited for a broker round trip (acks=all), and with no linger each event went out in requests of its
own (on loopback the socket writes alone cost more than deciding)."""


def build(settings: RouterSettings, policy: Policy | None = None, producer: Producer | None = None) -> faust.App:
    """Loads (and so validates) the policy first: a bad policy file stops the router before it starts.
    `producer`: the app's own unless given (tests pass a fake)."""
    policy = policy or load_policy(settings.policy_path)
    app = make_app(topics.ROUTER_APP_ID, settings, **PRODUCER)
    events = raw_topic(app, topics.EVENTS)
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    tables = CaseTables(app)

    @app.agent(events)
    async def route(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            event = await parse_or_dead_letter(parse_event_json, raw, dead_letters, topics.EVENTS)
            if event is None:
                continue
            outcome = handle(event, tables.state(event), policy)
            tables.store(event, outcome)
            await publish(producer or app.producer, event, *_serialised(outcome), app.output_failed)
            ROUTED.labels(event.event_type).inc()

    return app


def _serialised(outcome: Outcome) -> tuple[list[bytes], list[bytes]]:
    for delivery in outcome.deliveries:
        DELIVERIES.labels(delivery.event_type, delivery.recipient.role).inc()
    deliveries = [d.model_dump_json().encode() for d in outcome.deliveries]
    return deliveries, [r.model_dump_json().encode() for r in outcome.audit]
