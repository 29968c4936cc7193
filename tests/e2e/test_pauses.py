"""Case-level alert pauses on the real broker and the real mail sink: a pause posted by probation tells
the case manager and the panel chair (who, why, until when) and nobody else; a community agency may not
pause; a pause ending within the reminder window reminds its owner at once, exactly once; an expiry in the
past is refused with a machine-readable reason."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from deploy.local.demo_case import CASE_MANAGER, practitioner
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from tests.e2e.test_case_history import eventually, mail_to
from tests.e2e.test_escalation_flow import CHAIR
from tests.e2e.test_notifier_exactly_once import MEMBER, event

OWNER = practitioner("p-pause-owner", "Kit Varga", "probation")
REASON = "Hand-over between probation offices this week."
PAUSED, EXPIRING = "Alerts paused for this case", "Your pause of alerts on this case ends soon"


def pause(case_id: str, expires_in: timedelta, agency: str = "probation") -> dict[str, Any]:
    now = datetime.now(UTC)
    payload = {"owner": OWNER, "reason": REASON, "expires_at": (now + expires_in).isoformat(), "pause_id": case_id}
    return {**event(case_id, "alerts.paused", payload), "occurred_at": now.isoformat(), "source": {
        "agency": agency, "system": "e2e"}}  # fmt: skip


def a_team(case_id: str) -> list[dict[str, Any]]:
    return [
        event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
        event(case_id, "team.member_joined", {"practitioner": CHAIR, "role": "panel_chair"}),
        event(case_id, "team.member_joined", {"practitioner": MEMBER, "role": "police"}),
    ]


def with_subject(stack: Stack, case_id: str, subject: str) -> list[EmailMessage]:
    return [m for m in messages(stack.maildir, case_id) if subject in str(m["Subject"])]


def test_a_pause_by_probation_tells_the_case_manager_and_the_chair_only(stack: Stack) -> None:
    case_id = f"E2E-PAUSE-{uuid.uuid4().hex[:8]}"
    answers = stack.post_events([*a_team(case_id), pause(case_id, timedelta(days=3))])
    assert [a.status_code for a in answers] == [202] * 4

    def told() -> list[EmailMessage]:
        found = with_subject(stack, case_id, PAUSED)
        return found if len(found) >= 2 else []

    mails = eventually(told, 90, "the pause email to the case manager and the chair")
    assert isinstance(mails, list) and len(mails) == 2
    assert len(mail_to(mails, CASE_MANAGER)) == 1 and len(mail_to(mails, CHAIR)) == 1
    for mail in mails:
        text = text_of(mail)
        assert OWNER["name"] in text and REASON in text and "critical alerts still go out at once" in text
    assert mail_to(messages(stack.maildir, case_id), MEMBER) == []  # the police member is not told


def test_a_community_agency_may_not_pause_a_case(stack: Stack) -> None:
    [answer] = stack.post_events([pause(f"E2E-PAUSE-{uuid.uuid4().hex[:8]}", timedelta(days=1), "community")])
    assert answer.status_code == 403 and answer.json()["error"] == "event_type_not_allowed"


def test_a_pause_ending_within_the_reminder_window_reminds_its_owner_once(stack: Stack) -> None:
    case_id = f"E2E-PAUSE-{uuid.uuid4().hex[:8]}"
    answers = stack.post_events([*a_team(case_id), pause(case_id, timedelta(hours=2))])
    assert [a.status_code for a in answers] == [202] * 4

    reminders = eventually(lambda: with_subject(stack, case_id, EXPIRING), 90, "the owner's expiry reminder")
    assert isinstance(reminders, list)
    [reminder] = reminders
    assert OWNER["email"] in str(reminder["To"]) and "/v1/ack/" in text_of(reminder)  # HIGH: with an ack link
    assert REASON not in text_of(reminder)
    time.sleep(12)  # two more sweeps (every 5 s): the reminder is taken, not sent again
    assert len(with_subject(stack, case_id, EXPIRING)) == 1


def test_a_pause_with_an_expiry_in_the_past_is_refused(stack: Stack) -> None:
    [answer] = stack.post_events([pause(f"E2E-PAUSE-{uuid.uuid4().hex[:8]}", timedelta(minutes=-5))])
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_event" and [e["type"] for e in body["errors"]] == ["pause_expiry_not_in_future"]
