"""A critical trigger's email carries a signed acknowledgement link to the notifier; following it with a
comment and an outcome is recorded in the audit trail (the comment as a digest only, the outcome as its
reason code); a tampered link is refused."""

import json
import re
import uuid

import httpx

from deploy.local.demo_case import opening
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from tests.e2e.test_case_history import eventually
from tests.e2e.test_notifier_exactly_once import CASE_MANAGER, event

COMMENT = "Called him at 10:05; visiting this afternoon."


def test_a_critical_alert_is_acknowledged_through_its_link_and_audited(stack: Stack) -> None:
    case_id = f"E2E-ACK-{uuid.uuid4().hex[:8]}"
    trigger = {
        "trigger_type": "community_rejection",
        "severity": "critical",
        "observed_at": "2026-11-25T08:00:00+00:00",
        "description": "Asked to leave the mosque committee.",
    }
    posted = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "trigger.reported", trigger),
        ]
    )
    assert {a.status_code for a in posted} == {202}
    mails = eventually(lambda: messages(stack.maildir, case_id), 60, "the critical alert")
    assert isinstance(mails, list)
    [mail] = mails
    assert "(CRITICAL)" in str(mail["Subject"])
    match = re.search(r"(http://127\.0\.0\.1:\d+/v1/ack/\S+)", text_of(mail))
    assert match is not None
    link = match.group(1)

    assert httpx.get(link + "x").status_code == 403
    assert httpx.get(link).status_code == 200
    refused = httpx.post(link, data={"comment": COMMENT, "outcome": "ignored_it"})
    assert refused.status_code == 422 and refused.json()["reason"] == "unknown_outcome"
    answer = httpx.post(link, data={"comment": COMMENT, "outcome": "contacted_person"})
    assert answer.status_code == 202 and answer.json()["status"] == "acknowledged"

    def acknowledged() -> list[dict[str, object]]:
        headers = {"Authorization": f"Bearer {stack.oversight_token}"}
        url = f"{stack.url('audit')}/v1/audit/entries"
        body = httpx.get(url, params={"case_id": case_id}, headers=headers).json()
        leaves = [json.loads(e["leaf"]) for e in body["entries"]]
        return [leaf for leaf in leaves if leaf["kind"] == "alert.acknowledged"]

    records = eventually(acknowledged, 60, "the acknowledgement in the audit trail")
    assert isinstance(records, list) and len(records) == 1
    assert COMMENT not in str(records) and set(records[0]["field_digests"]) == {"comment"}
    assert records[0]["reason"] == "contacted_person", "the outcome is the record's reason code"
