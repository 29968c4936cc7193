"""Sensitive fields at rest: the full case history (a release with medication, a trigger with clinical
notes, a risk assessment with police intelligence, an acknowledgement with a comment) reaches the same
people as before, in clear in their emails only; Kafka's own console consumer reading every topic from the
beginning finds none of it in clear, nor do the services' logs."""

import re
import subprocess
import uuid
from email.message import EmailMessage

import httpx

from deploy.local.demo_case import (
    CASE_MANAGER,
    CLINICAL_NOTES,
    MEDICATION,
    MEMBERS,
    TREATMENT,
    case_history,
    envelope,
)
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from tests.e2e.test_case_history import eventually, mail_to

INTELLIGENCE = "Seen with a recruiter known to counter-terrorism police at the Eastgate cafe."
RISK_SUMMARY = "Commitment weakening, yet isolation after the bereavement is a marked concern."
COMMENT = "Spoke to him at the hostel; his sister is staying the week."
MARKERS = (CLINICAL_NOTES, MEDICATION, TREATMENT, INTELLIGENCE, RISK_SUMMARY, COMMENT)


def mail_with(stack: Stack, case_id: str, person: dict[str, str], words: str) -> list[EmailMessage]:
    found = [m for m in mail_to(messages(stack.maildir, case_id), person) if words in str(m["Subject"]).lower()]
    return found


def test_sealed_fields_reach_their_readers_and_no_topic_or_log_holds_them_in_clear(stack: Stack) -> None:
    case_id = f"E2E-SEALED-{uuid.uuid4().hex[:8]}"
    assessment = envelope(case_id, "risk_assessment.updated", {
        "tool": "VERA-2R", "level": "high", "summary": RISK_SUMMARY, "intelligence_detail": INTELLIGENCE,
    }, agency="police")  # fmt: skip
    answers = stack.post_events([*case_history(case_id), assessment])
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers if a.status_code != 202]

    police, mental_health = MEMBERS["police"], MEMBERS["mental_health"]
    [told] = eventually(lambda: mail_with(stack, case_id, police, "risk assessment"), what="the police's email")  # type: ignore[misc]
    assert INTELLIGENCE in text_of(told) and RISK_SUMMARY in text_of(told)
    [flagged] = eventually(lambda: mail_with(stack, case_id, CASE_MANAGER, "risk assessment"), what="the manager's")  # type: ignore[misc]
    assert INTELLIGENCE not in text_of(flagged) and "Police hold intelligence" in text_of(flagged)
    [trigger] = eventually(lambda: mail_with(stack, case_id, mental_health, "trigger"), what="the trigger email")  # type: ignore[misc]
    assert CLINICAL_NOTES in text_of(trigger)
    [release] = eventually(lambda: mail_with(stack, case_id, mental_health, "release"), what="the release email")  # type: ignore[misc]
    assert MEDICATION in text_of(release) and TREATMENT in text_of(release)

    [manager_trigger] = mail_with(stack, case_id, CASE_MANAGER, "trigger")
    link = re.search(r"(http://127\.0\.0\.1:\d+/v1/ack/\S+)", text_of(manager_trigger))
    assert link is not None
    assert httpx.post(link.group(1), data={"comment": COMMENT}).status_code == 202

    read = ["--from-beginning", "--timeout-ms", "20000", "--property", "print.key=true",
            "--property", "print.headers=true"]  # fmt: skip
    done = subprocess.run(stack.kafka.console_consumer("/drr.*/", *read), capture_output=True, text=True, timeout=300)
    on_the_broker = done.stdout
    assert case_id in on_the_broker and '"sealed"' in on_the_broker, done.stderr[-2000:]  # it did read them
    assert [m for m in MARKERS if m in on_the_broker] == []
    logs = "".join(p.read_text(errors="replace") for p in (stack.var_dir / "logs").glob("*.log"))
    assert "delivery handled" in logs and [m for m in MARKERS if m in logs] == []
