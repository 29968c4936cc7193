"""Case-level alert pauses on the real broker and the real mail sink: a pause posted by probation tells
the case manager and the panel chair (who, why, until when) and nobody else; a community agency may not
pause; a pause ending within the reminder window reminds its owner at once, exactly once; an expiry in the
past is refused with a machine-readable reason; while a pause is in force only critical alerts go, and
the rest go as one email to each recipient once it is lifted."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from deploy.local.demo_case import CASE_MANAGER, opening, practitioner
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from tests.e2e.clock_shift import case_events_seen, wait_until_folded
from tests.e2e.test_case_history import eventually, mail_to
from tests.e2e.test_escalation_flow import CHAIR
from tests.e2e.test_grouping import held
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
        opening(case_id),
        event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
        event(case_id, "team.member_joined", {"practitioner": CHAIR, "role": "panel_chair"}),
        event(case_id, "team.member_joined", {"practitioner": MEMBER, "role": "police"}),
    ]


def with_subject(stack: Stack, case_id: str, subject: str) -> list[EmailMessage]:
    return [m for m in messages(stack.maildir, case_id) if subject in str(m["Subject"])]


def test_a_pause_by_probation_tells_the_case_manager_and_the_chair_only(stack: Stack) -> None:
    case_id = f"E2E-PAUSE-{uuid.uuid4().hex[:8]}"
    answers = stack.post_events([*a_team(case_id), pause(case_id, timedelta(days=3))])
    assert [a.status_code for a in answers] == [202] * 5

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
    assert [a.status_code for a in answers] == [202] * 5

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


def observed(case_id: str, severity: str, description: str) -> dict[str, Any]:
    payload = {"trigger_type": "other", "severity": severity, "observed_at": "2026-11-25T09:00:00+00:00",
               "description": description}  # fmt: skip
    return event(case_id, "trigger.reported", payload)


def test_a_pause_holds_back_all_but_critical_alerts_until_it_is_lifted(stack: Stack) -> None:
    case_id = f"E2E-PAUSE-{uuid.uuid4().hex[:8]}"
    before = case_events_seen(stack)
    setup = [*a_team(case_id), pause(case_id, timedelta(days=3))]
    assert {a.status_code for a in stack.post_events(setup)} == {202}
    wait_until_folded(stack, before, len(setup))  # the notifier knows of the pause before the alerts come
    held_before = held(stack, "paused")
    alerts = [observed(case_id, "high", "Held high one."), observed(case_id, "medium", "Held normal one."),
              observed(case_id, "critical", "Critical one goes.")]  # fmt: skip
    assert {a.status_code for a in stack.post_events(alerts)} == {202}

    def critical_to_both() -> list[EmailMessage]:
        found = [m for m in with_subject(stack, case_id, "Trigger reported") if "CRITICAL" in str(m["Subject"])]
        return found if len(found) >= 2 else []

    eventually(critical_to_both, 90, "the critical alert, at once, despite the pause")
    eventually(lambda: held(stack, "paused") >= held_before + 4, 60, "the other two held for both recipients")
    assert not [m for m in with_subject(stack, case_id, "Trigger reported") if "CRITICAL" not in str(m["Subject"])]

    resumed = {**event(case_id, "alerts.resumed", {"reason": "Hand-over done."}), "source": {"agency": "probation",
               "system": "e2e"}}  # fmt: skip
    assert {a.status_code for a in stack.post_events([resumed])} == {202}

    def released() -> list[EmailMessage]:
        found = with_subject(stack, case_id, "Alerts held while this case was paused")
        return found if len(found) >= 2 else []

    mails = eventually(released, 90, "the held alerts, released as one email to each")
    assert isinstance(mails, list)
    for person in (CASE_MANAGER, MEMBER):
        [mail] = mail_to(mails, person)
        assert "2 updates (HIGH)" in str(mail["Subject"])  # the most urgent held alert's priority
        assert "Held high one." in text_of(mail) and "Held normal one." in text_of(mail)
