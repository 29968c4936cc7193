"""The auth matrix: no key, malformed or unknown key, revoked key, wrong agency, event type not allowed,
good key. Each refusal is a machine-readable reason; a 403 is an audit record without the payload, a 401 is
counted into one record a window (test_intake_refusal_counts.py)."""

import httpx
import pytest
from intake_fakes import FakePublisher, bearer, of_type, trigger

from deploy.local.demo_case import CLINICAL_NOTES
from services.intake.cli import issue_key
from services.intake.store import SqliteStore
from shared.roles import Agency


async def post(client: httpx.AsyncClient, event: dict[str, object], headers: dict[str, str]) -> httpx.Response:
    return await client.post("/v1/events", json=event, headers=headers)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Authorization": ""}, "missing_credentials"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_credentials"),
        ({"Authorization": "Bearer not-a-key"}, "invalid_credentials"),
        ({"Authorization": "Bearer drr_000000000000_guessed-secret"}, "invalid_credentials"),
    ],
)
async def test_no_valid_key_is_a_401(
    client: httpx.AsyncClient, publisher: FakePublisher, headers: dict[str, str], reason: str
) -> None:
    answer = await post(client, trigger(), headers)
    assert answer.status_code == 401 and answer.json()["error"] == reason
    assert publisher.events == []
    assert publisher.audit == []  # counted, and audited once a window (test_intake_refusal_counts.py)


async def test_the_right_key_id_with_a_wrong_secret_is_a_401(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    forged = api_keys["probation"][:-4] + "AAAA"
    answer = await post(client, trigger(), bearer(forged))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_credentials"


async def test_a_revoked_key_is_a_401(client: httpx.AsyncClient, store: SqliteStore, publisher: FakePublisher) -> None:
    record, key = issue_key(store, agency=Agency.PROBATION, system="old-system")
    assert (await post(client, trigger(), bearer(key))).status_code == 202
    store.revoke_key(key_id=record.key_id)
    answer = await post(client, trigger(), bearer(key))
    assert answer.status_code == 401 and answer.json()["error"] == "key_revoked"
    assert len(publisher.events) == 1


async def test_an_event_for_another_agency_is_a_403(
    client: httpx.AsyncClient, api_keys: dict[str, str], publisher: FakePublisher
) -> None:
    answer = await post(client, trigger(), bearer(api_keys["police"]))  # the trigger names probation
    assert answer.status_code == 403 and answer.json()["error"] == "agency_mismatch"
    assert publisher.events == []
    [record] = publisher.audit
    assert record.outcome == "agency_mismatch" and record.source_agency == "police"
    assert record.event_type == "trigger.reported" and record.key_id
    assert CLINICAL_NOTES not in record.model_dump_json() and record.field_digests == {}


@pytest.mark.parametrize(
    ("agency", "event_type"),
    [("probation", "release.scheduled"), ("prison", "panel.decision"), ("police", "team.member_joined")],
)
async def test_an_event_type_outside_the_agency_lane_is_a_403(
    client: httpx.AsyncClient, api_keys: dict[str, str], publisher: FakePublisher, agency: str, event_type: str
) -> None:
    event = {**of_type(event_type), "source": {"agency": agency, "system": "x"}}
    answer = await post(client, event, bearer(api_keys[agency]))
    assert answer.status_code == 403 and answer.json()["error"] == "event_type_not_allowed"
    assert publisher.events == []


@pytest.mark.parametrize(
    ("agency", "event_type"),
    [("prison", "release.scheduled"), ("panel", "panel.decision"), ("probation", "team.member_joined")],
)
async def test_a_good_key_publishes_within_its_lane(
    client: httpx.AsyncClient, api_keys: dict[str, str], publisher: FakePublisher, agency: str, event_type: str
) -> None:
    event = {**of_type(event_type), "source": {"agency": agency, "system": "x"}}
    assert (await post(client, event, bearer(api_keys[agency]))).status_code == 202
    assert [e.event_type for e in publisher.events] == [event_type]


async def test_a_key_issued_with_narrower_event_types_keeps_to_them(
    client: httpx.AsyncClient, store: SqliteStore
) -> None:
    _, key = issue_key(store, agency=Agency.PRISON, system="nomis", event_types=["release.scheduled"])
    release = of_type("release.scheduled")
    assert (await post(client, release, bearer(key))).status_code == 202
    prison_trigger = {**trigger(), "source": {"agency": "prison", "system": "nomis"}}
    assert (await post(client, prison_trigger, bearer(key))).status_code == 403
