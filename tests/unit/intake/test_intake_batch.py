"""POST /v1/events:batch: one result per item, published together; and the per-key rate limit."""

import uuid

import httpx
import pytest
from intake_fakes import FakePublisher, of_type, trigger

from services.intake.access import TokenBuckets
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.store import SqliteStore

BATCH = "/v1/events:batch"


async def test_each_item_gets_its_own_result_and_the_good_ones_are_published_together(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    repeated = {**trigger(), "event_id": str(uuid.uuid4())}
    release = {**of_type("release.scheduled"), "source": {"agency": "probation", "system": "x"}}  # prison's lane
    invalid = {**trigger(), "payload": {}}
    items = [trigger(), repeated, release, invalid, repeated, trigger()]
    answer = await client.post(BATCH, json={"events": items})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected", "rejected", "duplicate", "accepted"]
    assert [r["error"] for r in results][2:4] == ["event_type_not_allowed", "invalid_event"]
    assert results[4]["event_id"] == repeated["event_id"]
    assert publisher.calls == 1 and len(publisher.events) == 3
    assert {str(e.event_id) for e in publisher.events} == {r["event_id"] for r in results if r["status"] == "accepted"}


async def test_a_failed_publish_marks_every_item_retryable(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    publisher.fail = True
    results = (await client.post(BATCH, json={"events": [trigger(), trigger()]})).json()["results"]
    assert [(r["status"], r["error"], r["retryable"]) for r in results] == [
        ("rejected", "broker_unavailable", True)
    ] * 2


@pytest.mark.parametrize("body", [{"events": []}, {"events": [{}] * 21}, {"event": []}, [trigger()]])
async def test_a_batch_of_the_wrong_shape_or_size_is_a_422(
    client: httpx.AsyncClient, publisher: FakePublisher, body: object
) -> None:
    answer = await client.post(BATCH, json=body)
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_batch"
    assert publisher.events == []


async def test_a_batch_needs_a_key(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    answer = await client.post(BATCH, json={"events": [trigger()]}, headers={"Authorization": ""})
    assert answer.status_code == 401 and publisher.events == []


def test_the_token_bucket_refills_at_its_rate() -> None:
    buckets = TokenBuckets(rate=10, burst=5)
    assert [buckets.take("k", 1, now=0) for _ in range(5)] == [0] * 5
    assert buckets.take("k", 1, now=0) == pytest.approx(0.1)
    assert buckets.take("other", 5, now=0) == 0  # per key
    assert buckets.take("k", 1, now=0.1) == 0
    assert buckets.take("k", 50, now=10) == 0  # a large batch passes once the bucket is full
    assert buckets.take("k", 1, now=10) > 0


async def test_over_the_rate_is_a_429_with_retry_after(store: SqliteStore, api_keys: dict[str, str]) -> None:
    publisher = FakePublisher()
    app = create_app(IntakeSettings(rate_per_s=0.5, rate_burst=2), publisher, store, store, connect=False)
    headers = {"Authorization": f"Bearer {api_keys['probation']}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://i", headers=headers) as client:
        answers = [await client.post("/v1/events", json=trigger()) for _ in range(3)]
        other = await client.post(
            BATCH, json={"events": [trigger()]}, headers={"Authorization": f"Bearer {api_keys['police']}"}
        )
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["error"] == "rate_limited" and answers[2].headers["Retry-After"] == "2"
    assert other.status_code == 200  # another key has its own bucket (its event is refused, not limited)
    assert len(publisher.events) == 2
