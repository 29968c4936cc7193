"""Every HTTP surface is deliberate, seen from outside on the running stack: Faust's own views (table
contents, the router's key lookup, the index) are not served by the router or the notifier, even for a
case whose team is in their tables."""

import uuid

import httpx
import pytest

from deploy.local.demo_case import CASE_MANAGER, opening
from deploy.local.mail import messages
from deploy.local.stack import Stack
from tests.e2e.test_case_history import eventually
from tests.e2e.test_notifier_exactly_once import event

FAUST_VIEWS = ["/", "/router/", "/table/", "/table/{table}/", "/table/{table}/{case}/"]
TABLES = {"router": "teams", "notifier": "teams"}


@pytest.mark.parametrize("service", ["router", "notifier"])
def test_faust_views_are_not_served(stack: Stack, service: str) -> None:
    case_id = f"E2E-SURFACE-{uuid.uuid4().hex[:8]}"
    seen = {"trigger_type": "other", "severity": "high", "observed_at": "2026-11-25T09:00:00+00:00"}
    posted = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "trigger.reported", {**seen, "description": "Seen at the station."}),
        ]
    )
    assert {p.status_code for p in posted} == {202}
    eventually(lambda: messages(stack.maildir, case_id), 90, "the alert (so the team is in both tables)")
    with httpx.Client(base_url=stack.url(service), timeout=10) as client:
        for view in FAUST_VIEWS:
            path = view.format(table=TABLES[service], case=case_id)
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert CASE_MANAGER["email"] not in answer.text
        assert client.get("/healthz").status_code == 200  # the port is the service's, and it answers
