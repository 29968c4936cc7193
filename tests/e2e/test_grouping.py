"""Grouping and digests on the real broker and mail sink (the session stack's policy lets normal alerts
settle for 2 s): two normal alerts for one case within the settle window reach each recipient as one email
listing both, and the audit trail holds each alert as held, then as sent inside that email; a low alert
waits for the recipient's daily digest (seen with the notifier's clock moved past the digest hour)."""

import json
import re
import uuid
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from time import sleep
from typing import Any

import httpx
import yaml

from deploy.local.demo_case import CASE_MANAGER, opening
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from services.notifier.bootstrap import NotifierSettings
from tests.e2e.clock_shift import notifier_clock_at
from tests.e2e.test_case_history import eventually, mail_to
from tests.e2e.test_compliance_flow import missed
from tests.e2e.test_notifier_exactly_once import MEMBER, event

TEAM = [CASE_MANAGER, MEMBER]


def test_two_normal_alerts_within_the_settle_window_become_one_email_per_recipient(stack: Stack) -> None:
    case_id = f"E2E-GROUP-{uuid.uuid4().hex[:8]}"
    answers = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "team.member_joined", {"practitioner": MEMBER, "role": "police"}),
            missed(case_id, "03", "probation supervision"),  # also a compliance pattern: that alert goes at once
            missed(case_id, "17", "mentoring session"),
        ]
    )
    assert {a.status_code for a in answers} == {202}

    def grouped() -> list[EmailMessage]:
        found = [m for m in messages(stack.maildir, case_id) if "Updates on this case" in str(m["Subject"])]
        return found if len(found) >= len(TEAM) else []

    mails = eventually(grouped, 90, "one grouped email per recipient")
    assert isinstance(mails, list) and len(mails) == len(TEAM)
    for person in TEAM:
        [mail] = mail_to(mails, person)
        assert str(mail["Subject"]).strip() == f"[DRR case {case_id}] Updates on this case: 2 updates (NORMAL)"
        assert "a-03" in text_of(mail) and "a-17" in text_of(mail)
    assert not [m for m in messages(stack.maildir, case_id) if "Appointment missed" in str(m["Subject"])]
    assert_each_alert_held_then_sent_in_its_email(stack, case_id, {str(m["X-DRR-Delivery-Id"]) for m in mails})


def assert_each_alert_held_then_sent_in_its_email(stack: Stack, case_id: str, emails: set[str]) -> None:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}

    def records() -> list[dict[str, Any]]:
        body = httpx.get(
            f"{stack.url('audit')}/v1/audit/entries", params={"case_id": case_id, "limit": 1000}, headers=headers
        ).json()
        found = [json.loads(e["leaf"]) for e in body["entries"]]
        sent_in = [r for r in found if r["kind"] == "email.sent" and str(r["outcome"]).startswith("in_email:")]
        return found if len(sent_in) >= 2 * len(TEAM) else []

    found = eventually(records, 90, "the audit records of the grouped alerts")
    assert isinstance(found, list)
    held = {(r["event_id"], r["recipient_id"]) for r in found if r["kind"] == "email.held"}
    sent_in = {(r["event_id"], r["recipient_id"]): r["outcome"] for r in found if r["kind"] == "email.sent"
               and str(r["outcome"]).startswith("in_email:")}  # fmt: skip
    assert len(held) == 2 * len(TEAM) and set(sent_in) == held
    assert {outcome.removeprefix("in_email:") for outcome in sent_in.values()} == emails


def held(stack: Stack, kind: str) -> float:
    text = httpx.get(f"{stack.url('notifier')}/metrics").text
    found = re.search(rf'^drr_notifier_alerts_held_total{{kind="{kind}"}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_low_alerts_wait_for_each_recipients_daily_digest(stack: Stack) -> None:
    """Recipients of their own (a digest is per recipient, across cases): one attended appointment is held,
    then goes in each recipient's digest once the notifier's clock passes the next digest hour. Its
    retraction (on its own a normal alert, sent after the settle window) waits for the same digest."""
    case_id, tag = f"E2E-DIGEST-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:6]
    manager = {**CASE_MANAGER, "id": f"p-digest-cm-{tag}", "email": f"cm.{tag}@probation.example.org"}
    member = {**MEMBER, "id": f"p-digest-m-{tag}", "email": f"m.{tag}@police.example.org"}
    attended = {"appointment_id": "visit-1", "appointment_type": "supervision", "agency": "probation",
                "attended_at": "2026-11-25T09:00:00+00:00"}  # fmt: skip
    before = held(stack, "digest")
    answers = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": manager}),
            event(case_id, "team.member_joined", {"practitioner": member, "role": "police"}),
            event(case_id, "appointment.attended", attended),
        ]
    )
    assert {a.status_code for a in answers} == {202}
    retraction = {"retracted_event_id": answers[-1].json()["event_id"], "reason": "Recorded on the wrong case"}
    assert stack.post_events([event(case_id, "event.retracted", retraction)])[0].status_code == 202
    eventually(lambda: held(stack, "digest") >= before + 4, 60, "both alerts and both retractions held")
    sleep(4)  # past the session stack's 2 s settle window and 1 s sweep
    assert messages(stack.maildir, case_id) == []

    hour = yaml.safe_load(NotifierSettings().policy_path.read_text())["holding"]["digest_hour_utc"]  # kept by tests
    tomorrow = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(hour), tzinfo=UTC)
    with notifier_clock_at(stack, tomorrow + timedelta(minutes=30)):
        eventually(lambda: len(messages(stack.maildir, case_id)) >= 2, 90, "a digest for each recipient")
    mails = messages(stack.maildir, case_id)
    assert sorted(str(m["To"]) for m in mails) == sorted(str(p["email"]) for p in (manager, member))
    for mail in mails:
        subject = str(mail["Subject"]).strip()
        assert subject == f"[DRR case {case_id}] Your daily digest of low-priority updates: 2 updates (LOW)"
        assert "visit-1" in text_of(mail) and "Earlier notification retracted" in text_of(mail)
