"""Pauses at intake: probation and the panel may pause a case's alerts, a community agency may not; an
expiry not after the event, or too far after it, is a 422 naming the rule broken."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from intake_fakes import FakePublisher, bearer

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OWNER = {"id": "p-1", "name": "Dana Ortiz", "email": "dana@probation.example.org", "agency": "probation"}


def pause(agency: str, expires_in: timedelta = timedelta(days=2)) -> dict[str, Any]:
    return {
        "event_type": "alerts.paused",
        "occurred_at": NOW.isoformat(),
        "source": {"agency": agency, "system": "t"},
        "case_id": "C-9",
        "person": {"identifiers": [{"type": "pnc", "value": "1"}]},
        "payload": {"owner": OWNER, "reason": "Hand-over this week.", "expires_at": (NOW + expires_in).isoformat()},
    }


@pytest.mark.parametrize(("agency", "status"), [("probation", 202), ("panel", 202), ("community", 403)])
async def test_only_the_case_owner_and_the_panel_may_pause(
    client: httpx.AsyncClient, api_keys: dict[str, str], publisher: FakePublisher, agency: str, status: int
) -> None:
    answer = await client.post("/v1/events", json=pause(agency), headers=bearer(api_keys[agency]))
    assert answer.status_code == status
    assert len(publisher.events) == (1 if status == 202 else 0)
    if status == 403:
        assert answer.json()["error"] == "event_type_not_allowed"


@pytest.mark.parametrize(
    ("expires_in", "error_type"),
    [(timedelta(hours=-1), "pause_expiry_not_in_future"), (timedelta(days=31), "pause_too_long")],
)
async def test_a_bad_expiry_is_a_422_with_a_machine_readable_type(
    client: httpx.AsyncClient, publisher: FakePublisher, expires_in: timedelta, error_type: str
) -> None:
    answer = await client.post("/v1/events", json=pause("probation", expires_in))
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_event" and [(e["field"], e["type"]) for e in body["errors"]] == [
        ("payload", error_type)
    ]
    assert publisher.events == []
