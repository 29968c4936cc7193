"""The sharing policy on the real broker: consent withdrawn mid-stream stops clinical shares from the
next event on; a retraction reaches exactly the recipients of the original event (alone or grouped with
it: all three are normal alerts)."""

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from test_case_history import eventually, mail_to

from deploy.local.demo_case import CASE_MANAGER, MEMBERS, clinical_agreement, opening, practitioner
from deploy.local.demo_case import envelope as demo_envelope
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack

NOW = datetime.now(UTC)
REASON = "Posted for the wrong case."


def envelope(case_id: str, event_type: str, payload: dict[str, Any], agency: str = "probation") -> dict[str, Any]:
    return demo_envelope(case_id, event_type, payload, agency, NOW)


def joined(case_id: str, person: dict[str, str], role: str) -> dict[str, Any]:
    return envelope(case_id, "team.member_joined", {"practitioner": person, "role": role})


def trigger(case_id: str, trigger_type: str, notes: str) -> dict[str, Any]:
    payload = {
        "trigger_type": trigger_type,
        "severity": "high",
        "observed_at": (NOW - timedelta(hours=3)).isoformat(),
        "description": "Withdrawn at supervision.",
        "clinical_notes": notes,
    }
    return envelope(case_id, "trigger.reported", payload)


def wait_for(stack: Stack, case_id: str, count: int, what: str) -> list[EmailMessage]:
    def enough() -> list[EmailMessage] | None:
        found = messages(stack.maildir, case_id)
        return found if len(found) >= count else None

    found = eventually(enough, what=what)
    assert isinstance(found, list)
    return found


def test_withdrawn_consent_stops_clinical_shares_with_the_case_manager_from_the_next_event(stack: Stack) -> None:
    case_id = f"E2E-CONSENT-{uuid.uuid4().hex[:8]}"
    first, second = f"Notes before withdrawal {uuid.uuid4().hex}", f"Notes after withdrawal {uuid.uuid4().hex}"
    history = [
        opening(case_id),
        envelope(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
        joined(case_id, MEMBERS["mental_health"], "mental_health"),
        envelope(case_id, "sharing_agreement.updated", clinical_agreement(NOW), "mental_health"),
        trigger(case_id, "bereavement", first),
        envelope(case_id, "sharing_agreement.updated", clinical_agreement(NOW, "withdrawn", 2), "mental_health"),
        trigger(case_id, "community_rejection", second),
    ]
    assert [a.status_code for a in stack.post_events(history)] == [202] * len(history)
    mails = wait_for(stack, case_id, 4, "two trigger emails each for the case manager and the mental-health lead")
    manager = {("rejection" in str(m["Subject"])): text_of(m) for m in mail_to(mails, CASE_MANAGER)}
    assert first in manager[False]  # under the agreement, with consent
    assert second not in manager[True] and "clinical_notes" in manager[True]  # withheld, with the notice
    clinician = " ".join(text_of(m) for m in mail_to(mails, MEMBERS["mental_health"]))
    assert first in clinician and second in clinician


VISIT = "visit-to-retract"
"""Not hex: a short id like a-9 also turns up inside the delivery ids an email quotes."""


def test_a_retraction_reaches_exactly_the_recipients_of_the_original(stack: Stack) -> None:
    case_id = f"E2E-RETRACT-{uuid.uuid4().hex[:8]}"
    late = practitioner(f"p-late-{case_id}", "Kim Late", "probation")
    team = [
        opening(case_id),
        envelope(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
        joined(case_id, MEMBERS["police"], "police"),
    ]
    missed = envelope(case_id, "appointment.missed", {
        "appointment_id": VISIT, "appointment_type": "supervision", "agency": "probation",
        "scheduled_at": (NOW - timedelta(days=1)).isoformat(),
    })  # fmt: skip
    answers = stack.post_events([*team, missed])
    original = answers[-1].json()["event_id"]
    follow = [
        joined(case_id, late, "probation"),
        envelope(case_id, "event.retracted", {"retracted_event_id": original, "reason": REASON}),
        envelope(case_id, "case.closed", {"reason": "Test over", "closed_on": NOW.date().isoformat()}),
    ]
    assert [a.status_code for a in stack.post_events(follow)] == [202] * 3
    recipients = [CASE_MANAGER, MEMBERS["police"], late]

    def told_of_the_closure() -> dict[str, str] | None:
        """All each recipient read about the case (normal alerts may arrive grouped into one email)."""
        mails = messages(stack.maildir, case_id)
        texts = {p["id"]: "\n".join(text_of(m) for m in mail_to(mails, p)) for p in recipients}
        return texts if all("Case closed" in text for text in texts.values()) else None

    texts = eventually(told_of_the_closure, what="the closure told to all three")
    assert isinstance(texts, dict)
    for person in (CASE_MANAGER, MEMBERS["police"]):
        assert VISIT in texts[person["id"]] and REASON in texts[person["id"]]  # the miss, then its retraction
    assert VISIT not in texts[late["id"]] and REASON not in texts[late["id"]]  # the late joiner: closure only
