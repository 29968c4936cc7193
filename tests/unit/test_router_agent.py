"""The router agent without a broker: faust's test_context feeds it, a fake producer records what it
publishes, and the tables are read back (memory store)."""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from deploy.local.demo_case import case_history
from services.router.app import build
from services.router.bootstrap import RouterSettings
from shared import topics
from shared.deliveries import Delivery
from shared.examples import CLINICAL_EXAMPLE
from shared.policy import load_policy
from shared.sealing import is_sealed
from tests.case_keys_kit import memory_keys, sealed
from tests.faust_agents import fed


@dataclass
class FakeProducer:
    sent: list[tuple[str, bytes | None, bytes | None]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes | None, *_: Any) -> "Any":
        self.sent.append((topic, key, value))
        done = asyncio.get_running_loop().create_future()  # acknowledged at once
        done.set_result(None)
        return done


async def run(producer: FakeProducer, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Route the events, sealed as intake publishes them; return what the event-recipients table holds afterwards."""
    keys = memory_keys()
    app = build(RouterSettings(), load_policy(), producer, keys)
    async with fed(app, "services.router.app.route") as put:
        for event, raw in zip(events, await sealed(events, keys), strict=True):
            await put(raw, key=event["case_id"].encode())
    return dict(app.tables[topics.EVENT_RECIPIENTS_TABLE].items())


def deliveries(producer: FakeProducer) -> list[Delivery]:
    return [Delivery.model_validate_json(v or b"") for t, _, v in producer.sent if t == topics.DELIVERIES]


async def test_the_recipients_of_each_event_are_remembered_by_case_and_event() -> None:
    producer, history = FakeProducer(), case_history("C-AGENT")
    remembered = await run(producer, history)
    told = {str(d.event_id) for d in deliveries(producer)}
    assert told and {key.split("/")[1] for key in remembered} == told
    assert all(key.startswith("C-AGENT/") for key in remembered)
    assert {key for _, key, _ in producer.sent} == {b"C-AGENT"}


async def test_closing_a_case_forgets_who_received_its_events_and_no_other_case() -> None:
    producer = FakeProducer()
    other = case_history("C-OTHER")
    closing = case_history("C-CLOSING")
    closed = {**closing[-1], "event_id": "7d9c1f0e-3b7a-4f7e-8a1e-0c2d3e4f5a6b", "event_type": "case.closed",
              "payload": {"reason": "order_completed", "closed_on": "2027-01-31"}}  # fmt: skip
    remembered = await run(producer, [*other, *closing, closed])
    assert remembered and all(key.startswith("C-OTHER/") for key in remembered)
    assert any(d.event_type == "case.closed" and d.case_id == "C-CLOSING" for d in deliveries(producer))


async def test_the_router_copies_sealed_fields_unopened_with_the_digest_intake_took() -> None:
    """It holds no data key: the clinical notes reach the mental-health member sealed, and nothing the
    router publishes holds them in clear; its audit digest is the one the sealed value carries."""
    producer, history = FakeProducer(), case_history("C-SEALED")
    await run(producer, history)
    assert all(CLINICAL_EXAMPLE.encode() not in (v or b"") for _, _, v in producer.sent)
    told = [d for d in deliveries(producer) if d.payload.get("clinical_notes") is not None]
    assert told and "mental_health" in {d.recipient.role for d in told}
    clinical = told[0]
    notes = clinical.payload["clinical_notes"]
    assert is_sealed(notes)
    records = [json.loads(v or b"") for t, _, v in producer.sent if t == topics.AUDIT]
    [decided] = [
        r
        for r in records
        if r["event_id"] == str(clinical.event_id) and r["recipient_id"] == clinical.recipient.practitioner_id
    ]
    assert decided["field_digests"]["clinical_notes"] == notes["digest"]
