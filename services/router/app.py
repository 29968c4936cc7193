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
from services.router.erasing import wire_erasures
from services.router.handling import Outcome, handle
from services.router.publishing import Producer, publish
from services.router.routing import SERVICE
from services.router.tables import CaseTables
from shared import topics
from shared.case_crypto import CaseKeys, case_keys
from shared.dead_letters import handle_or_dead_letter
from shared.digests import DigestKey
from shared.events import parse_sealed_event_json
from shared.faust_app import follow_case_keys, make_app, raw_topic
from shared.policy import Policy, load_policy
from shared.record_signing import RecordSigner, SignedRecord

ROUTED = Counter("drr_router_events_total", "Events routed", ["event_type"])
DELIVERIES = Counter("drr_router_deliveries_total", "Deliveries emitted", ["event_type", "role"])
PRODUCER: dict[str, Any] = {"producer_max_batch_size": 512 * 1024, "producer_linger": 0.005}
"""An event to a team of ten is twenty messages (~25 KB): with faust's 16 KB default every few sends
waited for a broker round trip (acks=all), and with no linger each event went out in requests of its
own (on loopback the socket writes alone cost more than deciding)."""


class CaseKeyMissing(LookupError):
    """An event of a case with no digest key: erased (or never published through intake)."""


def build(
    settings: RouterSettings,
    policy: Policy | None = None,
    producer: Producer | None = None,
    keys: CaseKeys | None = None,
) -> faust.App:
    """Loads (and so validates) the policy first: a bad policy file stops the router before it starts.
    `producer`: the app's own unless given (tests pass a fake); `keys`: the case keys on the broker unless
    given. The router holds no data key: it copies sealed fields into deliveries unopened, and reads only
    the digest keys (for the audit digests of the fields it shares in clear)."""
    policy = policy or load_policy(settings.policy_path)
    app = make_app(topics.ROUTER_APP_ID, settings, **PRODUCER)
    events = raw_topic(app, topics.EVENTS)
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    tables = CaseTables(app)
    options = settings.kafka_access().client_options()
    keys = keys or case_keys(options, DigestKey.from_file(settings.digest_key_path), None, writes=True)
    signer = RecordSigner.from_file(SERVICE, settings.record_key_path)

    follow_case_keys(app, keys)
    wire_erasures(app, tables, keys, signer, settings.erasure_sweep_s)

    async def route_one(raw: bytes) -> None:
        event = parse_sealed_event_json(raw)
        await keys.started()
        digest_key = await keys.digests.key(event.case_id)
        if digest_key is None:
            raise CaseKeyMissing(f"no digest key for the case of event {event.event_id}")
        outcome = handle(event, tables.state(event), policy, digest_key)
        tables.store(event, outcome)
        await publish(producer or app.producer, event, *_serialised(outcome, signer), app.output_failed)
        ROUTED.labels(event.event_type).inc()

    @app.agent(events)
    async def route(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            # what does not parse, or fails deeper (a state it cannot fold), is dead-lettered: never a crash loop
            await handle_or_dead_letter(route_one, raw, dead_letters, topics.EVENTS, consumer="router")

    return app


def _serialised(outcome: Outcome, signer: RecordSigner) -> tuple[list[bytes], list[SignedRecord]]:
    for delivery in outcome.deliveries:
        DELIVERIES.labels(delivery.event_type, delivery.recipient.role).inc()
    deliveries = [d.model_dump_json().encode() for d in outcome.deliveries]
    return deliveries, [signer.signed(r) for r in outcome.audit]
