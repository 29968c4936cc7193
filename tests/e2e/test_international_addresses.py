"""An internationalised address (jörg@exämple.org, which intake accepts) on the real broker and the real
mail sink: sent with SMTPUTF8 when the server offers it; otherwise a permanent failure for that recipient
alone (audited, dead-lettered) while every other email keeps flowing."""

import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from deploy.local.demo_case import CASE_MANAGER, opening
from deploy.local.mail import messages
from deploy.local.stack import Stack
from tests.e2e.dead_letters import as_json, dead_letters
from tests.e2e.test_case_history import eventually
from tests.e2e.test_notifier_exactly_once import event

JOERG = {"id": f"p-jorg-{uuid.uuid4().hex[:6]}", "name": "Jörg Weiß", "email": "jörg@exämple.org",
         "agency": "social_care"}  # fmt: skip
SEEN = {"trigger_type": "other", "severity": "high", "observed_at": "2026-11-25T09:00:00+00:00"}


def a_case_with_joerg(stack: Stack, observations: int) -> str:
    case_id = f"E2E-IDN-{uuid.uuid4().hex[:8]}"
    posted = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "team.member_joined", {"practitioner": JOERG, "role": "social_care"}),
            *[event(case_id, "trigger.reported", {**SEEN, "description": f"Seen {i}"}) for i in range(observations)],
        ]
    )
    assert [p.status_code for p in posted] == [202] * (3 + observations), [p.text for p in posted]
    return case_id


def to(mails: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in mails if address in str(m["To"])]


def test_with_smtputf8_the_internationalised_address_gets_its_email(stack: Stack) -> None:
    case_id = a_case_with_joerg(stack, 2)

    def both() -> list[EmailMessage]:
        found = messages(stack.maildir, case_id)
        return found if len(to(found, JOERG["email"])) == 2 and len(to(found, CASE_MANAGER["email"])) == 2 else []

    eventually(both, 90, "both observations to both members")


@pytest.fixture
def no_smtputf8(stack: Stack) -> Iterator[None]:
    """The mail sink restarted as a server without SMTPUTF8, and restored afterwards."""
    stack.stop_service("mailsink")
    stack.extra_env["DRR_MAILSINK_SMTPUTF8"] = "false"
    try:
        stack.start_service("mailsink")
        yield
    finally:
        stack.stop_service("mailsink")
        del stack.extra_env["DRR_MAILSINK_SMTPUTF8"]
        stack.start_service("mailsink")


@pytest.mark.usefixtures("no_smtputf8")
def test_without_smtputf8_it_fails_for_that_recipient_alone_and_other_email_flows(stack: Stack) -> None:
    case_id = a_case_with_joerg(stack, 2)
    eventually(lambda: len(to(messages(stack.maildir, case_id), CASE_MANAGER["email"])) == 2, 90, "the others' email")
    refused = dead_letters(stack, lambda d: (as_json(d) or {}).get("case_id") == case_id, timeout_s=90)
    assert {d["error"] for d in refused} == {"permanent_failure"}
    assert {as_json(d)["recipient"]["practitioner_id"] for d in refused} == {JOERG["id"]}
    records = eventually(lambda: dead_lettered(stack, case_id, 2), 90, "the two dead letters audited")
    assert isinstance(records, list)
    assert {r["recipient_id"] for r in records} == {JOERG["id"]}
    assert JOERG["email"] not in json.dumps(records)
    assert to(messages(stack.maildir, case_id), JOERG["email"]) == []
    # and the notifier is still sending: a later event reaches the case manager
    stack.post_events([event(case_id, "trigger.reported", {**SEEN, "description": "Seen later"})])
    eventually(lambda: len(to(messages(stack.maildir, case_id), CASE_MANAGER["email"])) == 3, 90, "a later email")


def dead_lettered(stack: Stack, case_id: str, expected: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    url = f"{stack.url('audit')}/v1/audit/entries"
    body = httpx.get(url, params={"case_id": case_id, "limit": 1000}, headers=headers).json()
    records = [json.loads(e["leaf"]) for e in body["entries"]]
    found = [r for r in records if r["kind"] == "email.dead_lettered"]
    return found if len(found) >= expected else []
