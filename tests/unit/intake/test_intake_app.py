"""Intake over HTTP with a fake publisher: what agency systems are told, and what gets published."""

import json

import httpx
from intake_fakes import FakePublisher, trigger

from deploy.local.demo_case import CLINICAL_NOTES
from shared.audit_records import AuditKind


async def test_a_valid_event_is_published_then_acknowledged(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    answer = await client.post("/v1/events", json=trigger())
    assert answer.status_code == 202
    assert [str(e.event_id) for e in publisher.events] == [answer.json()["event_id"]]
    assert answer.json()["duplicate"] is False
    assert [r.kind for r in publisher.audit] == [AuditKind.EVENT_RECEIVED]
    assert CLINICAL_NOTES not in publisher.audit[0].model_dump_json()


async def test_invalid_input_names_each_bad_field_and_publishes_nothing(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    bad = {**trigger(), "occurred_at": "2026-01-01T10:00:00", "payload": {"trigger_type": "bereavement"}}
    answer = await client.post("/v1/events", json=bad)
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"occurred_at", "payload.severity", "payload.description", "payload.observed_at"} <= fields
    assert answer.json()["error"] == "invalid_event"
    assert publisher.events == []
    assert [r.outcome for r in publisher.audit] == ["invalid_event"]
    assert publisher.audit[0].key_id is not None


async def test_errors_never_echo_the_value_sent(client: httpx.AsyncClient) -> None:
    bad = {**trigger(), "payload": {**trigger()["payload"], "severity": "Jane Doe, 12 High St"}}
    answer = await client.post("/v1/events", json=bad)
    assert answer.status_code == 422 and "Jane Doe" not in answer.text


async def test_malformed_json_is_a_422(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    answer = await client.post("/v1/events", content=b"{not json")
    assert answer.status_code == 422 and answer.json()["error"] == "malformed_json"
    assert publisher.events == []


async def test_numbers_and_times_out_of_range_are_a_422_naming_the_field(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    payload = {**trigger()["payload"], "observed_at": "9999-12-31T23:59:59-14:00"}
    bad = {**trigger(), "version": 2**31, "occurred_at": "0001-01-01T00:00:00+14:00", "payload": payload}
    answer = await client.post("/v1/events", json=bad)
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_event"
    types = {e["field"]: e["type"] for e in answer.json()["errors"]}
    assert types == {
        "version": "less_than_equal",
        "occurred_at": "year_out_of_range",
        "payload.observed_at": "year_out_of_range",
    }
    assert publisher.events == []


async def test_an_integer_too_long_to_parse_is_malformed_json_not_a_server_error(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    """Python refuses to parse an integer of over 4,300 digits with a ValueError of its own."""
    body = json.dumps({"events": [trigger()]}).replace(
        '"occurred_at"', '"version": ' + "9" * 5000 + ', "occurred_at"', 1
    )
    answer = await client.post("/v1/events:batch", content=body)
    assert answer.status_code == 422 and answer.json()["error"] == "malformed_json"
    assert publisher.events == []


async def test_an_oversized_body_is_a_413(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    event = {**trigger(), "payload": {**trigger()["payload"], "description": "x" * 5000}}
    answer = await client.post("/v1/events", content=json.dumps(event))
    assert answer.status_code == 413 and answer.json()["error"] == "body_too_large"
    assert publisher.events == []


async def test_broker_unreachable_is_a_503_never_a_202(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    publisher.fail = True
    answer = await client.post("/v1/events", json=trigger())
    assert answer.status_code == 503 and answer.json()["error"] == "broker_unavailable"
    assert "Retry-After" in answer.headers


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    await client.post("/v1/events", json=trigger())
    metrics = (await client.get("/metrics")).text
    assert 'drr_intake_events_accepted_total{event_type="trigger.reported"}' in metrics
