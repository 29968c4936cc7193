"""Router: keeps each case's team in a Faust table (changelog-backed) and turns every other event
into one redacted delivery per team member, with one audit record per sharing decision.

Run: `python -m services.router` (settings: DRR_KAFKA_BOOTSTRAP, DRR_ROUTER_PORT, ...).
"""

import faust
from prometheus_client import Counter

from services.router.bootstrap import RouterSettings
from services.router.handling import Outcome, handle
from shared import topics
from shared.events import parse_event_json
from shared.faust_app import make_app, parse_or_dead_letter, raw_topic
from shared.team import CaseTeam

ROUTED = Counter("drr_router_events_total", "Events routed", ["event_type"])
DELIVERIES = Counter("drr_router_deliveries_total", "Deliveries emitted", ["event_type", "role"])


def build(settings: RouterSettings) -> faust.App:
    app = make_app(topics.ROUTER_APP_ID, settings)
    events = raw_topic(app, topics.EVENTS)
    deliveries = raw_topic(app, topics.DELIVERIES)
    audit = raw_topic(app, topics.AUDIT)
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    teams = app.Table(topics.CASE_TEAMS_TABLE, partitions=topics.PARTITIONS, key_type=str, value_type=dict)

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
            outcome = handle(event, CaseTeam.model_validate(teams.get(event.case_id) or {}))
            if outcome.team is not None:
                teams[event.case_id] = outcome.team.model_dump(mode="json")
            await publish(key, outcome)
            ROUTED.labels(event.event_type).inc()

    return app
