"""Panel actions on the real broker and mail sink: each owner of an action (two members hold its role)
gets their own acknowledgement link in the panel decision email; one acknowledges through it; with the
notifier's clock moved past the due date and the chair's grace days, only the other owner is reminded,
then the chair is told, and the chair hears of the action nobody on the team owns; audited."""

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from deploy.local.demo_case import CASE_MANAGER, opening
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from tests.e2e.clock_shift import notifier_clock_at
from tests.e2e.test_case_history import eventually
from tests.e2e.test_notifier_exactly_once import event

NURSE_A = {"id": "p-e2e-mh-a", "name": "Ada Bell", "email": "ada.bell@nhs.example.org", "agency": "mental_health"}
NURSE_B = {"id": "p-e2e-mh-b", "name": "Ben Cole", "email": "ben.cole@nhs.example.org", "agency": "mental_health"}
CHAIR = {"id": "p-e2e-chair", "name": "Rae Holt", "email": "rae.holt@council.example.org", "agency": "social_care"}
LINK = r"Acknowledge this action: (http://127\.0\.0\.1:\d+/v1/ack/\S+)"


def post_case(stack: Stack, due: str) -> str:
    case_id = f"E2E-PANEL-{uuid.uuid4().hex[:8]}"
    joins = [(NURSE_A, "mental_health"), (NURSE_B, "mental_health"), (CHAIR, "panel_chair")]
    team = [opening(case_id), event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER})] + [
        event(case_id, "team.member_joined", {"practitioner": p, "role": role}) for p, role in joins
    ]
    actions = [
        {"owner_role": "mental_health", "description": "Offer grief counselling", "due_date": due},
        {"owner_role": "youth_work", "description": "Find a youth mentor", "due_date": due},
    ]
    payload = {"panel_date": datetime.now(UTC).date().isoformat(), "decision": "Continue under closer support",
               "rationale": "Withdrawn since the bereavement.", "actions": actions}  # fmt: skip
    decision = {**event(case_id, "panel.decision", payload), "source": {"agency": "panel", "system": "e2e"}}
    assert {a.status_code for a in stack.post_events([*team, decision])} == {202}
    return case_id


def mail_to(stack: Stack, case_id: str, person: dict[str, str], subject: str) -> list[EmailMessage]:
    found = messages(stack.maildir, case_id)
    return [m for m in found if person["email"] in str(m["To"]) and subject in str(m["Subject"])]


def one_mail(stack: Stack, case_id: str, person: dict[str, str], subject: str) -> EmailMessage:
    mails = eventually(lambda: mail_to(stack, case_id, person, subject), 120, f"{subject} to {person['name']}")
    assert isinstance(mails, list)
    return mails[0]


def audit_leaves(stack: Stack, case_id: str, kind: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    url = f"{stack.url('audit')}/v1/audit/entries"
    body = httpx.get(url, params={"case_id": case_id, "limit": 1000}, headers=headers).json()
    return [leaf for leaf in (json.loads(e["leaf"]) for e in body["entries"]) if leaf["kind"] == kind]


def test_each_owner_acknowledges_and_only_the_silent_one_is_reminded_then_the_chair(stack: Stack) -> None:
    due = datetime.now(UTC).date() + timedelta(days=1)
    case_id = post_case(stack, due.isoformat())

    links = {}
    for nurse in (NURSE_A, NURSE_B):
        found = re.findall(LINK, text_of(one_mail(stack, case_id, nurse, "Panel decision")))
        assert len(found) == 1, nurse["name"]  # their one action; the youth-work one is not theirs
        links[nurse["id"]] = found[0]
    assert links[NURSE_A["id"]] != links[NURSE_B["id"]]
    assert "Acknowledge this action" not in text_of(one_mail(stack, case_id, CHAIR, "Panel decision"))

    answer = httpx.post(links[NURSE_A["id"]], data={"comment": "First session booked."})
    assert answer.status_code == 202
    acked = eventually(lambda: audit_leaves(stack, case_id, "alert.acknowledged"), 60, "the acknowledgement audited")
    assert isinstance(acked, list) and [r["recipient_id"] for r in acked] == [NURSE_A["id"]]

    # past the due date (09:00 UTC) and the chair's two days
    with notifier_clock_at(stack, datetime.combine(due + timedelta(days=3), datetime.min.time(), tzinfo=UTC)):
        reminder = one_mail(stack, case_id, NURSE_B, "Panel action overdue")
        assert re.search(r"Acknowledge when done or taken on \(no login needed\): http://\S+", text_of(reminder))
        assert "Withdrawn since the bereavement" not in text_of(reminder)

        def chair_told() -> list[EmailMessage] | None:
            found = mail_to(stack, case_id, CHAIR, "not acknowledged")
            return found if len(found) >= 2 else None

        told = eventually(chair_told, 120, "the chair told of both actions")
        assert isinstance(told, list)
        texts = sorted(text_of(m) for m in told)
        assert any("Owner: Ben Cole" in t and "grief counselling" in t for t in texts)
        assert any("nobody on the team holds this role" in t and "youth mentor" in t for t in texts)
        time.sleep(6)  # a negative can only be shown by waiting: a sweep (5 s) more, nothing else comes
        assert mail_to(stack, case_id, NURSE_A, "overdue") == []
        assert len(mail_to(stack, case_id, NURSE_B, "overdue")) == 1
        assert len(mail_to(stack, case_id, CHAIR, "not acknowledged")) == 2

    records = audit_leaves(stack, case_id, "notification.escalated")
    assert sorted(r["recipient_id"] for r in records) == sorted([NURSE_B["id"], CHAIR["id"], CHAIR["id"]])
    assert all(r["outcome"].startswith("panel_action_step_") for r in records)
