"""Compliance and ownership on the real broker, the notifier folding drr.events itself. Two missed
appointments within 30 days send one compliance alert each to the case manager and the panel chair listing
the misses (operational fields only, never the reason given); an event on a case with no case manager
alerts the chair at once."""

import uuid

from deploy.local.demo_case import CASE_MANAGER, opening
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from tests.e2e.test_case_history import eventually
from tests.e2e.test_escalation_flow import CHAIR
from tests.e2e.test_notifier_exactly_once import event

REASON = "Said he was visiting his brother in hospital."


def missed(case_id: str, day: str, appointment_type: str) -> dict[str, object]:
    payload = {"appointment_id": f"a-{day}", "appointment_type": appointment_type, "agency": "probation",
               "scheduled_at": f"2026-11-{day}T09:30:00+00:00", "reason": REASON}  # fmt: skip
    return event(case_id, "appointment.missed", payload)


def test_two_misses_within_the_window_alert_the_case_manager_and_the_chair(stack: Stack) -> None:
    case_id = f"E2E-MISS-{uuid.uuid4().hex[:8]}"
    answers = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "team.member_joined", {"practitioner": CHAIR, "role": "panel_chair"}),
            missed(case_id, "03", "probation supervision"),
            missed(case_id, "17", "mentoring session"),
        ]
    )
    assert {a.status_code for a in answers} == {202}

    def alerts() -> list[object]:
        found = [m for m in messages(stack.maildir, case_id) if "Missed appointments add up" in str(m["Subject"])]
        return found if len(found) >= 2 else []

    mails = eventually(alerts, 90, "a compliance alert to each of the case manager and the chair")
    assert isinstance(mails, list)
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in mails) == sorted(
        [CASE_MANAGER["email"], CHAIR["email"]]
    )
    for mail in mails:
        text = text_of(mail)
        assert "probation supervision" in text and "mentoring session" in text and "2026-11-03" in text
        assert REASON not in text


def test_an_event_on_a_case_nobody_owns_alerts_the_panel_chair_at_once(stack: Stack) -> None:
    case_id = f"E2E-OWNER-{uuid.uuid4().hex[:8]}"
    answers = stack.post_events(
        [
            opening(case_id),
            event(case_id, "team.member_joined", {"practitioner": CHAIR, "role": "panel_chair"}),
            missed(case_id, "05", "probation supervision"),
        ]
    )
    assert {a.status_code for a in answers} == {202}

    def alerts() -> list[object]:
        return [m for m in messages(stack.maildir, case_id) if "no responsible case manager" in str(m["Subject"])]

    mails = eventually(alerts, 90, "the ownership alert to the chair")
    assert isinstance(mails, list)
    [mail] = mails
    assert CHAIR["email"] in str(mail["To"]) and REASON not in text_of(mail)
