"""Idempotency claims are scoped per agency: an agency's repeat still gets its receipt, but another agency posting the
same event id learns nothing of the stored event (no 200, the same 409 `event_id_taken` whatever that event
holds and whether it is still being published) and publishes nothing, so an event id stays one event
downstream. Claims written before the scoping are moved to their publisher's agency when the store opens."""

import contextlib
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
from intake_fakes import FakePublisher, bearer, trigger

from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.store import Claim, SqliteStore
from shared.audit_records import AuditKind


def as_police(event: dict[str, Any], **payload: str) -> dict[str, Any]:
    return {**event, "source": {"agency": "police", "system": "pnc"}, "payload": {**event["payload"], **payload}}


async def test_another_agency_posting_a_known_event_id_gets_event_id_taken_and_nothing_is_published(
    client: httpx.AsyncClient, publisher: FakePublisher, api_keys: dict[str, str]
) -> None:
    event = {**trigger(), "event_id": str(uuid.uuid4())}
    assert (await client.post("/v1/events", json=event)).status_code == 202
    police = bearer(api_keys["police"])
    answers = [
        await client.post("/v1/events", json=as_police(event), headers=police),
        await client.post("/v1/events", json=as_police(event, description="other"), headers=police),
        await client.post("/v1/events", json=as_police(event), headers={**police, "Idempotency-Key": "h-1"}),
        await client.post("/v1/events:batch", json={"events": [as_police(event)]}, headers=police),
    ]
    singles = [(a.status_code, a.json()["error"]) for a in answers[:3]]
    assert singles == [(409, "event_id_taken")] * 3
    [item] = answers[3].json()["results"]
    assert (item["status"], item["error"], item["event_id"]) == ("rejected", "event_id_taken", None)
    assert all(event["event_id"] not in a.text for a in answers)
    assert len(publisher.events) == 1
    again = await client.post("/v1/events", json=event)  # the owner's own repeat still has its receipt
    assert again.status_code == 200 and again.json() == {"event_id": event["event_id"], "duplicate": True}
    refusals = [r for r in publisher.audit if r.outcome == "event_id_taken"]
    assert len(refusals) == 4 and all(r.kind == AuditKind.EVENT_REJECTED and r.event_id is None for r in refusals)
    assert {r.source_agency for r in refusals} == {"police"}


def test_a_claim_in_flight_holds_its_event_id_against_other_agencies(store: SqliteStore) -> None:
    event_id = str(uuid.uuid4())
    won, _ = store.claim(
        claim=Claim(f"event:probation:{event_id}", "d", event_id, "pending", 1.0),
        stale_before=0,
        agency="probation",
    )
    police = Claim(f"event:police:{event_id}", "other", event_id, "pending", 2.0)
    lost, stored = store.claim(claim=police, stale_before=10, agency="police")  # even once the first is stale
    assert won and not lost and stored.state == "taken" and stored.digest == ""
    header = Claim("header:police:h", "other", event_id, "pending", 2.0)
    assert store.claim(claim=header, stale_before=10, agency="police")[1].state == "taken"
    mine = Claim("header:probation:h", "d", event_id, "pending", 2.0)
    assert store.claim(claim=mine, stale_before=0, agency="probation")[0]  # the same agency is not refused


async def test_an_accepted_event_holds_its_id_after_its_claim_is_pruned(
    client: httpx.AsyncClient, store: SqliteStore, publisher: FakePublisher, api_keys: dict[str, str]
) -> None:
    event = {**trigger(), "event_id": str(uuid.uuid4())}
    assert (await client.post("/v1/events", json=event)).status_code == 202
    assert store.prune(older_than=float("inf"), stale_before=float("inf")) >= 1
    answer = await client.post("/v1/events", json=as_police(event), headers=bearer(api_keys["police"]))
    assert (answer.status_code, answer.json()["error"]) == (409, "event_id_taken")
    assert len(publisher.events) == 1


async def test_claims_of_the_old_form_are_moved_to_their_agency_and_honoured(
    client: httpx.AsyncClient, db_path: Path, settings: IntakeSettings, api_keys: dict[str, str]
) -> None:
    event = {**trigger(), "event_id": str(uuid.uuid4())}
    assert (await client.post("/v1/events", json=event)).status_code == 202
    with contextlib.closing(sqlite3.connect(db_path)) as raw, raw:  # as an intake before the scoping wrote them
        raw.execute("UPDATE receipts SET idempotency_key = 'event:' || event_id")
        dead = uuid.uuid4()  # a claim whose request died before the upgrade
        raw.execute("INSERT INTO receipts VALUES (?, 'd', ?, 'pending', 1.0)", (f"event:{dead}", str(dead)))
        raw.execute("PRAGMA user_version = 0")
    reopened, publisher = SqliteStore(db_path), FakePublisher()  # an upgraded intake opening the same file
    try:
        with contextlib.closing(sqlite3.connect(db_path)) as raw:
            keys_now = {row[0] for row in raw.execute("SELECT idempotency_key FROM receipts")}
        assert keys_now == {f"event:probation:{event['event_id']}"}  # moved; the dead pending claim forgotten
        app = create_app(settings, publisher, reopened, reopened, connect=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as c:
            again = await c.post("/v1/events", json=event, headers=bearer(api_keys["probation"]))
            police = await c.post("/v1/events", json=as_police(event), headers=bearer(api_keys["police"]))
        assert (again.status_code, again.json()["duplicate"]) == (200, True)
        assert (police.status_code, police.json()["error"]) == (409, "event_id_taken")
        assert publisher.events == []
    finally:
        reopened.close()
