"""The authority rules through intake's HTTP API: refusals answer with their code, are audited and publish
nothing; the facts are recorded with the event (only once the broker acknowledged it), across items of a
batch, one request at a time per case, and survive a restart."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from intake_fakes import FakePublisher, bearer, of_type, trigger

from deploy.local.demo_case import clinical_agreement, envelope
from services.intake import store as stored_facts
from services.intake.app import create_app
from services.intake.authority import Accepted, System
from services.intake.bootstrap import IntakeSettings
from services.intake.store import Claim, SqliteStore
from shared.audit_records import AuditKind
from shared.examples import EXAMPLES
from shared.roles import Agency

NOW = datetime.now(UTC)


def opened(case_id: str) -> dict[str, Any]:
    return {**of_type("case.opened", case_id), "event_id": str(uuid.uuid4())}


def consent(case_id: str, version: int, given: str = "given") -> dict[str, Any]:
    return envelope(case_id, "sharing_agreement.updated", clinical_agreement(NOW, given, version), "mental_health")


def as_agency(event: dict[str, Any], agency: str) -> dict[str, Any]:
    return {**event, "source": {"agency": agency, "system": f"{agency}-case-system"}}


async def test_a_refusal_is_answered_with_its_code_audited_and_nothing_is_published(
    client: httpx.AsyncClient, publisher: FakePublisher, api_keys: dict[str, str]
) -> None:
    event = consent("C-9", 1)
    answer = await client.post("/v1/events", json=as_agency(event, "probation"))  # probation holds no clinical data
    assert answer.status_code == 403 and answer.json()["error"] == "not_data_holder"
    assert publisher.events == []
    [record] = publisher.audit
    assert (record.kind, record.outcome, record.case_id) == (AuditKind.EVENT_REJECTED, "not_data_holder", "C-9")
    assert record.source_agency == "probation" and record.event_id is None and record.field_digests == {}
    answer = await client.post("/v1/events", json=event, headers=bearer(api_keys["mental_health"]))
    assert answer.status_code == 202


async def test_an_unopened_case_is_a_404_for_everyone(client: httpx.AsyncClient, api_keys: dict[str, str]) -> None:
    for agency in ("probation", "police"):
        event = as_agency(trigger("C-NEVER-OPENED"), agency)
        answer = await client.post("/v1/events", json=event, headers=bearer(api_keys[agency]))
        assert (answer.status_code, answer.json()["error"]) == (404, "case_not_found")


async def test_a_batch_opens_a_case_and_goes_on_with_it(client: httpx.AsyncClient, api_keys: dict[str, str]) -> None:
    case_id = f"C-{uuid.uuid4().hex[:8]}"
    items = [opened(case_id), of_type("case_manager.assigned", case_id), trigger(case_id), opened(case_id)]
    results = (await client.post("/v1/events:batch", json={"events": items})).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "accepted", "rejected"]
    assert results[3]["error"] == "case_exists"
    later = await client.post("/v1/events", json=of_type("team.member_joined", case_id))
    assert later.status_code == 202


async def test_agreement_versions_go_up_by_one_within_a_batch_too(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    items = [consent("C-9", 1), consent("C-9", 2, "withdrawn"), consent("C-9", 2), consent("C-9", 10**9)]
    answer = await client.post("/v1/events:batch", json={"events": items}, headers=bearer(api_keys["mental_health"]))
    results = answer.json()["results"]
    assert [r["error"] for r in results] == [None, None, "version_not_next", "version_not_next"]


async def test_nothing_is_recorded_for_an_event_the_broker_did_not_acknowledge(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    case_id = f"C-{uuid.uuid4().hex[:8]}"
    publisher.fail = True
    assert (await client.post("/v1/events", json=opened(case_id))).status_code == 503
    publisher.fail = False
    assert (await client.post("/v1/events", json=trigger(case_id))).status_code == 404
    assert (await client.post("/v1/events", json=opened(case_id))).status_code == 202
    assert (await client.post("/v1/events", json=trigger(case_id))).status_code == 202


async def test_a_repeat_of_an_accepted_opening_is_a_duplicate_not_a_clash(client: httpx.AsyncClient) -> None:
    event = opened(f"C-{uuid.uuid4().hex[:8]}")
    assert (await client.post("/v1/events", json=event)).status_code == 202
    again = await client.post("/v1/events", json=event)
    assert again.status_code == 200 and again.json()["duplicate"] is True


async def test_two_requests_for_the_same_version_at_once_accept_one(
    store: SqliteStore, settings: IntakeSettings, api_keys: dict[str, str]
) -> None:
    """The slow publisher keeps the first request between judging and recording while the second arrives."""
    app = create_app(settings, FakePublisher(delay_s=0.3), store, store, connect=False)
    headers = bearer(api_keys["mental_health"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake", headers=headers) as c:
        answers = await asyncio.gather(*(c.post("/v1/events", json=consent("C-9", 1)) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [202, 409]


async def test_the_facts_survive_a_restart(db_path: Path, settings: IntakeSettings, api_keys: dict[str, str]) -> None:
    restarted = SqliteStore(db_path)
    try:
        app = create_app(settings, FakePublisher(), restarted, restarted, connect=False)
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as c:
            closing = envelope("C-9", "case.closed", EXAMPLES["case.closed"])
            answer = await c.post("/v1/events", json=closing, headers=bearer(api_keys["probation"]))
            assert answer.status_code == 202  # C-9 was opened by probation's "test" system before the restart
            police = as_agency(envelope("C-9", "alerts.resumed", EXAMPLES["alerts.resumed"]), "police")
            assert (await c.post("/v1/events", json=police, headers=bearer(api_keys["police"]))).status_code == 403
    finally:
        restarted.close()


def test_the_claim_and_the_facts_are_written_together(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while recording the facts leaves the claim pending (a retry may publish), never accepted
    without its facts."""
    won, _ = store.claim(claim=Claim("k", "d", str(uuid.uuid4()), "pending", 1.0), stale_before=0, agency="probation")
    assert won

    def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(stored_facts, "write_accepted", broken)
    owner = System(Agency.PROBATION, "test")
    with pytest.raises(RuntimeError):
        store.accept(idempotency_key="k", accepted=Accepted("C-NEW", uuid.uuid4(), Agency.PROBATION, owner))
    _, stored = store.claim(claim=Claim("k", "d", "x", "pending", 2.0), stale_before=0, agency="probation")
    assert stored.state == "pending"
    assert store.case_facts(case_id="C-NEW", event_ids=[]).owner is None
