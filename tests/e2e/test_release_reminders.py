"""The release countdown on the real broker and mail sink: release.scheduled then release.rescheduled moves
the reminders (with the notifier's clock moved to the new date's T-7 day, the team gets that reminder, the
mental-health lead's with the care-handover checklist, and nothing for the old date, whose T-7 and T-1
would be due by then); release.cancelled cancels them."""

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from deploy.local.demo_case import CASE_MANAGER, opening
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from tests.e2e.clock_shift import case_events_seen, notifier_clock_at, wait_until_folded
from tests.e2e.test_case_history import eventually
from tests.e2e.test_notifier_exactly_once import event

NURSE = {"id": "p-e2e-mh-r", "name": "Ada Bell", "email": "ada.bell@nhs.example.org", "agency": "mental_health"}
REMINDER = "Release coming up"


def release_case(stack: Stack, label: str, release: date, then: tuple[str, dict[str, str]]) -> tuple[str, int]:
    """A case manager and a mental-health lead, a release, then a change to it; (case id, events posted)."""
    case_id = f"E2E-REL-{label}-{uuid.uuid4().hex[:6]}"
    prison = {"agency": "prison", "system": "e2e"}
    scheduled = {"release_date": release.isoformat(), "establishment": "HMP Example", "medication": "Sertraline"}
    events = [
        opening(case_id),
        event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
        event(case_id, "team.member_joined", {"practitioner": NURSE, "role": "mental_health"}),
        {**event(case_id, "release.scheduled", scheduled), "source": prison},
        {**event(case_id, then[0], then[1]), "source": prison},
    ]
    assert {a.status_code for a in stack.post_events(events)} == {202}
    return case_id, len(events)


def reminders(stack: Stack, case_id: str) -> list[EmailMessage]:
    return [m for m in messages(stack.maildir, case_id) if REMINDER in str(m["Subject"])]


def test_a_rescheduled_release_moves_its_reminders_and_a_cancelled_one_has_none(stack: Stack) -> None:
    today = datetime.now(UTC).date()
    first, moved = today + timedelta(days=10), today + timedelta(days=20)
    before = case_events_seen(stack)
    rescheduled = {"release_date": moved.isoformat(), "previous_release_date": first.isoformat(), "reason": "Parole"}
    moved_case, n = release_case(stack, "MOVED", first, ("release.rescheduled", rescheduled))
    cancelled = {"previous_release_date": first.isoformat(), "reason": "Recall on new charge"}
    cancelled_case, m = release_case(stack, "CANCELLED", first, ("release.cancelled", cancelled))
    wait_until_folded(stack, before, n + m)  # on real time: the countdowns are set before the clock moves

    t_minus_7 = datetime.combine(moved - timedelta(days=7), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    with notifier_clock_at(stack, t_minus_7):

        def both() -> list[EmailMessage] | None:
            found = reminders(stack, moved_case)
            return found if len(found) >= 2 else None

        eventually(both, 120, "the T-7 reminders of the new date")
        time.sleep(6)  # a sweep (5 s) more: the old date's or the cancelled release's would have come
        mails = reminders(stack, moved_case)
        assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in mails) == sorted(
            [CASE_MANAGER["email"], NURSE["email"]]
        )
        for mail in mails:
            text = text_of(mail)
            assert f"Release date: {moved.isoformat()}" in text and "Days to go: 7" in text
            assert first.isoformat() not in text
        [nurse_mail] = [m for m in mails if NURSE["email"] in str(m["To"])]
        assert "Medication: supply on release" in text_of(nurse_mail) and "Sertraline" not in text_of(nurse_mail)
        assert reminders(stack, cancelled_case) == []
