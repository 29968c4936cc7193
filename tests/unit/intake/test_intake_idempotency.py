"""A repeat returns the original receipt and publishes nothing; a different event under the same id is a
409; two identical requests in flight publish once; intake remembers across a restart."""

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from intake_fakes import FakePublisher, bearer, trigger

from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.store import SqliteStore


def with_id(event_id: str | None = None, **payload: str) -> dict[str, object]:
    event = trigger()
    return {**event, "event_id": event_id or str(uuid.uuid4()), "payload": {**event["payload"], **payload}}


async def test_the_same_event_again_gets_the_original_receipt_and_nothing_is_published(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    event = with_id()
    first = await client.post("/v1/events", json=event)
    again = await client.post("/v1/events", json=event)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"event_id": event["event_id"], "duplicate": True}
    assert len(publisher.events) == 1


async def test_the_same_event_written_differently_is_still_a_repeat(client: httpx.AsyncClient) -> None:
    event = with_id()
    assert (await client.post("/v1/events", json=event)).status_code == 202
    instant = datetime.fromisoformat(str(event["occurred_at"]))
    same_instant = instant.astimezone(timezone(timedelta(hours=2))).isoformat()
    rewritten = json.dumps({**event, "occurred_at": same_instant}, indent=2)
    assert (await client.post("/v1/events", content=rewritten)).status_code == 200
    later = (instant + timedelta(minutes=1)).isoformat()
    assert (await client.post("/v1/events", json={**event, "occurred_at": later})).status_code == 409


async def test_the_same_id_with_a_different_body_is_a_409(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    event_id = str(uuid.uuid4())
    assert (await client.post("/v1/events", json=with_id(event_id))).status_code == 202
    answer = await client.post("/v1/events", json=with_id(event_id, description="something else"))
    assert answer.status_code == 409 and answer.json()["error"] == "idempotency_conflict"
    assert len(publisher.events) == 1


async def test_an_idempotency_key_header_stands_for_an_event_without_an_id(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    event = trigger()  # no event_id: intake assigns one, and keeps it for the repeat
    first = await client.post("/v1/events", json=event, headers={"Idempotency-Key": "nomis-42"})
    again = await client.post("/v1/events", json=event, headers={"Idempotency-Key": "nomis-42"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["event_id"] == again.json()["event_id"]
    other = await client.post("/v1/events", json=with_id(description="x"), headers={"Idempotency-Key": "nomis-42"})
    assert other.status_code == 409
    assert len(publisher.events) == 1


async def test_without_any_key_each_post_is_a_new_event(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    answers = [await client.post("/v1/events", json=trigger()) for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202] and len(publisher.events) == 2


async def test_a_failed_publish_lets_the_retry_publish(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    event = with_id()
    publisher.fail = True
    assert (await client.post("/v1/events", json=event)).status_code == 503
    publisher.fail = False
    assert (await client.post("/v1/events", json=event)).status_code == 202
    assert len(publisher.events) == 1


async def test_two_identical_requests_in_flight_publish_once(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    publisher.delay_s = 0.3
    event = with_id()
    answers = await asyncio.gather(*(client.post("/v1/events", json=event) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [200, 200, 202]
    assert {a.json()["event_id"] for a in answers} == {event["event_id"]}
    assert publisher.calls == 1 and len(publisher.events) == 1


async def test_receipts_survive_a_restart(
    db_path: Path, settings: IntakeSettings, api_keys: dict[str, str], store: SqliteStore
) -> None:
    event = with_id()
    statuses = []
    for _ in range(2):  # two intakes, one after the other, on the same database file
        publisher, restarted = FakePublisher(), SqliteStore(db_path)
        app = create_app(settings, publisher, restarted, restarted, connect=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client:
            answer = await client.post("/v1/events", json=event, headers=bearer(api_keys["probation"]))
        restarted.close()
        statuses.append((answer.status_code, len(publisher.events)))
    assert statuses == [(202, 1), (200, 0)]
