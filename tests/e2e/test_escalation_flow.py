"""Escalation on the real broker and mail sink, on a stack of its own where policy.yaml's minutes are
seconds (DRR_NOTIFIER_ESCALATION_UNIT_S=1): a critical trigger nobody acknowledges reaches the panel chair
(the first level) with operational content only, audited; an acknowledged one reaches nobody else; a
SIGKILL while one is pending neither loses nor repeats it."""

import json
import re
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from deploy.local.demo_case import CASE_MANAGER, opening
from deploy.local.mail import messages, text_of
from deploy.local.stack import Ports, Stack
from tests.e2e.conftest import TEST_PORTS
from tests.e2e.test_case_history import eventually
from tests.e2e.test_notifier_exactly_once import event

PORTS = Ports(*(port + 20 for port in TEST_PORTS.__dict__.values()))
CHAIR = {"id": "p-e2e-chair", "name": "Rae Holt", "email": "rae.holt@council.example.org", "agency": "social_care"}
DESCRIPTION = "Told to leave the family home after the funeral."
ENV = {"DRR_NOTIFIER_ESCALATION_UNIT_S": "1", "DRR_NOTIFIER_ESCALATION_SWEEP_S": "1", "DRR_LOG_LEVEL": "INFO"}


@pytest.fixture(scope="module")
def fast_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("escalation"), PORTS, ENV)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def critical_case(stack: Stack, label: str) -> str:
    case_id = f"E2E-ESC-{label}-{uuid.uuid4().hex[:6]}"
    trigger = {"trigger_type": "bereavement", "severity": "critical", "observed_at": "2026-11-25T08:00:00+00:00",
               "description": DESCRIPTION}  # fmt: skip
    answers = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "team.member_joined", {"practitioner": CHAIR, "role": "panel_chair"}),
            event(case_id, "trigger.reported", trigger),
        ]
    )
    assert {a.status_code for a in answers} == {202}
    return case_id


def escalations(stack: Stack, case_id: str) -> list[EmailMessage]:
    return [m for m in messages(stack.maildir, case_id) if "escalated" in str(m["Subject"])]


def alert_to_manager(stack: Stack, case_id: str) -> EmailMessage:
    def found() -> list[EmailMessage]:
        return [m for m in messages(stack.maildir, case_id) if CASE_MANAGER["email"] in str(m["To"])]

    mails = eventually(found, 60, "the critical alert to the case manager")
    assert isinstance(mails, list)
    return mails[0]


def audited_escalations(stack: Stack, case_id: str) -> list[dict[str, object]]:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    url = f"{stack.url('audit')}/v1/audit/entries"
    body = httpx.get(url, params={"case_id": case_id}, headers=headers).json()
    leaves = [json.loads(e["leaf"]) for e in body["entries"]]
    return [leaf for leaf in leaves if leaf["kind"] == "notification.escalated"]


def test_an_unacknowledged_critical_trigger_escalates_and_an_acknowledged_one_does_not(fast_stack: Stack) -> None:
    acknowledged, ignored = critical_case(fast_stack, "ACK"), critical_case(fast_stack, "NOACK")
    link = re.search(r"(http://127\.0\.0\.1:\d+/v1/ack/\S+)", text_of(alert_to_manager(fast_stack, acknowledged)))
    assert link is not None
    assert httpx.post(link.group(1), data={"comment": "On it."}).status_code == 202
    alert_to_manager(fast_stack, ignored)

    mails = eventually(lambda: escalations(fast_stack, ignored), 120, "the escalation to the panel chair")
    assert isinstance(mails, list)
    [mail] = mails
    assert CHAIR["email"] in str(mail["To"])
    text = text_of(mail)
    assert "trigger.reported" in text and DESCRIPTION not in text and "bereavement" not in text
    records = eventually(lambda: audited_escalations(fast_stack, ignored), 60, "the escalation in the audit trail")
    assert isinstance(records, list) and records[0]["recipient_id"] == CHAIR["id"]

    # the acknowledged alert went out first, so its window ended first: a few sweeps more, still nothing
    time.sleep(5)  # a negative can only be shown by waiting: five sweeps of one second
    assert escalations(fast_stack, acknowledged) == []
    assert audited_escalations(fast_stack, acknowledged) == []


def test_a_notifier_killed_while_an_escalation_is_pending_escalates_once_after_restart(fast_stack: Stack) -> None:
    case_id = critical_case(fast_stack, "KILL")
    alert_to_manager(fast_stack, case_id)
    fast_stack.stop_service("notifier", kill=True)  # SIGKILL: the pending escalation is only on Kafka now
    fast_stack.start_service("notifier")

    eventually(lambda: escalations(fast_stack, case_id), 120, "the escalation after the restart")
    time.sleep(5)  # five more sweeps: a duplicate would have arrived by now
    to_chair = [m for m in escalations(fast_stack, case_id) if CHAIR["email"] in str(m["To"])]
    assert len(to_chair) == 1  # the next level (the duty manager, a window later) may have come too
