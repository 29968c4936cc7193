"""Who may say what about a case, asked of the running system through intake's HTTP API: one test per rule.
Each refusal answers its code, reaches neither Kafka nor anyone's inbox, and is in the audit ledger."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from deploy.local.demo_case import clinical_agreement, envelope, opening, practitioner
from deploy.local.stack import Stack
from services.intake.cli import issue_key
from services.intake.store import SqliteStore
from shared import topics
from shared.examples import EXAMPLES
from shared.roles import Agency
from tests.e2e.test_case_history import eventually, keys_in_topic

NOW = datetime.now(UTC)
OTHER_SYSTEM = "e2e-other-region"


@pytest.fixture(scope="module")
def other_probation(stack: Stack) -> dict[str, str]:
    """The Authorization header of a second probation system: same agency, not the owner of the cases."""
    store = SqliteStore(stack.intake_db)
    try:
        _, key = issue_key(store, agency=Agency.PROBATION, system=OTHER_SYSTEM)
    finally:
        store.close()
    return {"Authorization": f"Bearer {key}"}


def new_case(stack: Stack, label: str) -> str:
    case_id = f"E2E-AUTH-{label}-{uuid.uuid4().hex[:8]}"
    [answer] = stack.post_events([opening(case_id)])
    assert answer.status_code == 202
    return case_id


def post(stack: Stack, event: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    url = f"{stack.url('intake')}/v1/events"
    return httpx.post(url, json=event, headers=headers or stack.auth_for(event), timeout=30)


def event(case_id: str, event_type: str, payload: dict[str, Any] | None = None, agency: str = "probation") -> Any:
    return envelope(case_id, event_type, EXAMPLES[event_type] if payload is None else payload, agency)


def refused(answer: httpx.Response, status: int, reason: str) -> None:
    assert (answer.status_code, answer.json()["error"]) == (status, reason), answer.text


def assert_only_accepted_reached_kafka_and_refusals_are_audited(
    stack: Stack, case_id: str, accepted: int, reasons: list[str]
) -> None:
    keys = asyncio.run(keys_in_topic(stack.kafka.client_options(), topics.EVENTS))
    assert keys.count(case_id.encode()) == accepted
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}

    def audited() -> list[str] | None:
        url = f"{stack.url('audit')}/v1/audit/entries"
        body = httpx.get(url, params={"case_id": case_id, "limit": 1000}, headers=headers).json()
        leaves = [json.loads(e["leaf"]) for e in body["entries"]]
        found = sorted(r["outcome"] for r in leaves if r["kind"] == "event.rejected")
        return found if len(found) >= len(reasons) else None

    assert eventually(audited, 60, "the refusals in the audit ledger") == sorted(reasons)


def test_only_the_owner_keeps_the_team_and_closes_and_a_transfer_moves_that(
    stack: Stack, other_probation: dict[str, str]
) -> None:
    case_id = new_case(stack, "OWNER")
    for event_type in ("case_manager.assigned", "team.member_joined", "case.access_restricted", "case.closed"):
        refused(post(stack, event(case_id, event_type), other_probation), 403, "not_case_owner")
    assert post(stack, event(case_id, "case_manager.assigned")).status_code == 202
    transfer = {"to_agency": "probation", "to_system": OTHER_SYSTEM, "reason": "Moved to another region."}
    refused(post(stack, event(case_id, "case.transferred", transfer), other_probation), 403, "not_case_owner")
    assert post(stack, event(case_id, "case.transferred", transfer)).status_code == 202
    refused(post(stack, event(case_id, "case.closed")), 403, "not_case_owner")  # the former owner
    assert post(stack, event(case_id, "case.closed"), other_probation).status_code == 202
    assert_only_accepted_reached_kafka_and_refusals_are_audited(stack, case_id, 4, ["not_case_owner"] * 6)


def test_only_the_owner_and_the_panel_pause_and_resume(stack: Stack, other_probation: dict[str, str]) -> None:
    case_id = new_case(stack, "PAUSE")
    owner = practitioner("p-auth-pause", "Kit Varga", "probation")
    paused = {"owner": owner, "reason": "Hand-over this week.", "expires_at": (NOW + timedelta(days=2)).isoformat()}
    resumed = {"reason": "Hand-over done."}
    refused(post(stack, event(case_id, "alerts.paused", paused), other_probation), 403, "not_case_owner")
    assert post(stack, event(case_id, "alerts.paused", paused, "panel")).status_code == 202
    refused(post(stack, event(case_id, "alerts.resumed", resumed), other_probation), 403, "not_case_owner")
    assert post(stack, event(case_id, "alerts.resumed", resumed)).status_code == 202
    assert_only_accepted_reached_kafka_and_refusals_are_audited(stack, case_id, 3, ["not_case_owner"] * 2)


def test_a_follow_up_comes_only_from_the_agency_that_published_the_original(stack: Stack) -> None:
    case_id = new_case(stack, "FOLLOW")
    original = post(stack, event(case_id, "release.scheduled", agency="prison"))
    assert original.status_code == 202
    named = original.json()["event_id"]
    retraction = {"retracted_event_id": named, "reason": "Sent for the wrong case."}
    correction = {"corrected_event_id": named, "summary": "The date was wrong."}
    refused(post(stack, event(case_id, "event.retracted", retraction, "police")), 404, "event_not_found")
    refused(post(stack, event(case_id, "event.corrected", correction, "probation")), 404, "event_not_found")
    unknown = {**retraction, "retracted_event_id": str(uuid.uuid4())}
    refused(post(stack, event(case_id, "event.retracted", unknown, "prison")), 404, "event_not_found")  # the same
    assert post(stack, event(case_id, "event.retracted", retraction, "prison")).status_code == 202
    reasons = ["event_not_found"] * 3
    assert_only_accepted_reached_kafka_and_refusals_are_audited(stack, case_id, 3, reasons)


def test_consent_is_recorded_only_by_the_data_holder_one_version_at_a_time(stack: Stack) -> None:
    case_id = new_case(stack, "CONSENT")

    def agreement(version: int, consent: str = "given", agency: str = "mental_health") -> Any:
        return event(case_id, "sharing_agreement.updated", clinical_agreement(NOW, consent, version), agency)

    refused(post(stack, agreement(1, agency="probation")), 403, "not_data_holder")  # the owner holds no clinical data
    assert post(stack, agreement(1)).status_code == 202
    refused(post(stack, agreement(10**9)), 409, "version_not_next")
    assert post(stack, agreement(2, "withdrawn")).status_code == 202
    refused(post(stack, agreement(3, agency="probation")), 403, "not_data_holder")  # no re-granting behind its back
    reasons = ["not_data_holder", "not_data_holder", "version_not_next"]
    assert_only_accepted_reached_kafka_and_refusals_are_audited(stack, case_id, 3, reasons)


def test_nothing_is_said_about_a_case_that_was_never_opened(stack: Stack) -> None:
    case_id = f"E2E-AUTH-NONE-{uuid.uuid4().hex[:8]}"
    for agency, event_type in [("prison", "release.scheduled"), ("probation", "case_manager.assigned")]:
        refused(post(stack, event(case_id, event_type, agency=agency)), 404, "case_not_found")
    assert_only_accepted_reached_kafka_and_refusals_are_audited(stack, case_id, 0, ["case_not_found"] * 2)
