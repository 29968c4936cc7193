"""Intake's refusals from the outside, on the real stack: a flood from one address is slowed (429) and
counted into one audit record per window, an event id another agency already used is 409 without a
word about that event, and numbers or years out of range are 422s naming the field. Nothing refused
reaches drr.events.

The address-rate and counting checks need a low rate and a short window, so they use a second intake
process of their own (same broker, same audit service, its own port and database).
"""

import asyncio
import json
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.demo_case import case_history, opening
from deploy.local.processes import Process, http_ok, wait_until
from deploy.local.stack import REPO, Stack
from shared import topics
from tests.e2e.test_case_history import eventually, keys_in_topic

BURST = 5


@pytest.fixture(scope="module")
def strict_intake(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second intake allowing an address 1 request a second after a burst of BURST, with 1 s windows."""
    folder = tmp_path_factory.mktemp("strict-intake")
    port = stack.ports.intake + 40
    env = {
        **stack.service_env("intake"),
        "DRR_INTAKE_PORT": str(port),
        "DRR_INTAKE_DB_PATH": str(folder / "intake.sqlite3"),
        "DRR_INTAKE_ADDRESS_RATE_PER_S": "1",
        "DRR_INTAKE_ADDRESS_RATE_BURST": str(BURST),
        "DRR_INTAKE_REFUSAL_WINDOW_S": "1",
    }
    command = [sys.executable, "-m", "services.intake"]
    process = Process("intake-strict", command, folder / "intake.log", env, REPO).start()
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 60, "strict intake", process.alive)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


def audited_refusals(stack: Stack, since: datetime) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    params = {"kind": "event.rejected", "since": since.isoformat(), "limit": 1000}
    body = httpx.get(f"{stack.url('audit')}/v1/audit/entries", params=params, headers=headers).json()
    leaves = [json.loads(e["leaf"]) for e in body["entries"]]
    return [leaf for leaf in leaves if leaf.get("service") == "intake" and leaf.get("count")]


def test_a_flood_of_bad_keys_is_slowed_and_becomes_counted_records(stack: Stack, strict_intake: str) -> None:
    since = datetime.now(UTC)
    bad = {"Authorization": "Bearer drr_nosuchkey_000000000000"}
    event = opening(f"E2E-FLOOD-{uuid.uuid4().hex[:8]}")
    with httpx.Client(base_url=strict_intake, timeout=30) as client:
        answers = [client.post("/v1/events", json=event, headers=bad) for _ in range(BURST + 10)]
    codes = [(a.status_code, a.json()["error"]) for a in answers]
    assert codes[:BURST] == [(401, "invalid_credentials")] * BURST
    limited = [a for a in answers if a.status_code == 429]
    assert len(limited) >= 8 and all(a.json()["error"] == "rate_limited" for a in limited)
    assert all(int(a.headers["Retry-After"]) >= 1 for a in limited)

    def counted() -> dict[str, int] | None:
        totals: dict[str, int] = {}
        for leaf in audited_refusals(stack, since):
            totals[leaf["outcome"]] = totals.get(leaf["outcome"], 0) + leaf["count"]
        rejected = {reason: sum(1 for c in codes if c[1] == reason) for reason in {c[1] for c in codes}}
        return totals if totals == rejected else None

    totals = eventually(counted, 60, "the refusals counted in the ledger")
    assert isinstance(totals, dict) and sum(totals.values()) == BURST + 10
    leaves = audited_refusals(stack, since)
    assert len(leaves) < BURST + 10, "counted, not one record per refusal"
    assert all(leaf["actor"].startswith("address:") and "127.0.0.1" not in leaf["actor"] for leaf in leaves)
    assert all(leaf.get("window_start") for leaf in leaves)


def test_an_event_id_another_agency_used_is_409_and_reveals_nothing(stack: Stack) -> None:
    case_id = f"E2E-TAKEN-{uuid.uuid4().hex[:8]}"
    history = case_history(case_id)
    trigger = next(e for e in history if e["event_type"] == "trigger.reported")
    trigger = {**trigger, "event_id": str(uuid.uuid4())}
    assert [a.status_code for a in stack.post_events([history[0], trigger])] == [202, 202]
    police = {**trigger, "source": {"agency": "police", "system": "pnc"}}
    [taken] = stack.post_events([police])
    assert (taken.status_code, taken.json().get("error")) == (409, "event_id_taken"), taken.text
    assert trigger["event_id"] not in taken.text and trigger["payload"]["description"] not in taken.text
    [again] = stack.post_events([trigger])  # the owner's own repeat still has its receipt
    assert again.status_code == 200 and again.json()["duplicate"] is True
    keys = asyncio.run(keys_in_topic(stack.kafka.client_options(), topics.EVENTS))
    assert keys.count(case_id.encode()) == 2


def test_numbers_and_years_out_of_range_are_422s_naming_the_field(stack: Stack, tmp_path: Path) -> None:
    case_id = f"E2E-BOUNDS-{uuid.uuid4().hex[:8]}"
    [opened] = stack.post_events([opening(case_id)])
    assert opened.status_code == 202
    trigger = next(e for e in case_history(case_id) if e["event_type"] == "trigger.reported")
    bad = {**trigger, "event_id": str(uuid.uuid4()), "version": 2**31, "occurred_at": "0001-01-01T00:00:00+14:00"}
    [answer] = stack.post_events([bad])
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_event"
    types = {e["field"]: e["type"] for e in answer.json()["errors"]}
    assert types == {"version": "less_than_equal", "occurred_at": "year_out_of_range"}
    huge = json.dumps(trigger).replace('"occurred_at"', '"version": ' + "9" * 5000 + ', "occurred_at"', 1)
    url = f"{stack.url('intake')}/v1/events"
    headers = {**stack.auth_for(trigger), "Content-Type": "application/json"}
    malformed = httpx.post(url, content=huge, headers=headers, timeout=30)
    assert (malformed.status_code, malformed.json()["error"]) == (422, "malformed_json")
    keys = asyncio.run(keys_in_topic(stack.kafka.client_options(), topics.EVENTS))
    assert keys.count(case_id.encode()) == 1
