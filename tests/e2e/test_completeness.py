"""The completeness check on the real stack (issue 11): an accepted event the router never decides raises
drr_undecided_events and a completeness.alarm leaf; `audit redrive` sends it through again, the team is
told once and the alarm is resolved; a redrive of an event already delivered sends nothing twice.

On a stack of its own (ports shifted 30 beyond the session stack's) with a 3-second decision deadline,
so that stopping its router disturbs no other test and an alarm comes within seconds. The router
"losing" an event is made as issue 11 saw it: its consumer group's committed offset moved past it.
"""

import asyncio
import json
import re
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.local.demo_case import opening
from deploy.local.mail import messages
from deploy.local.stack import Ports, Stack
from services.audit.completeness.redrive import partition_for
from shared import topics
from tests.e2e.conftest import TEST_PORTS, quick_policy
from tests.e2e.test_case_history import eventually
from tests.e2e.test_notifier_exactly_once import CASE_MANAGER, MEMBER, by_delivery, event

PORTS = Ports(*(port + 30 for port in TEST_PORTS.__dict__.values()))
ENV = {"DRR_AUDIT_DECISION_DEADLINE_S": "3", "DRR_AUDIT_DELIVERY_WINDOW_S": "60", "DRR_AUDIT_GROUP_HOLD_S": "10",
       "DRR_AUDIT_COMPLETENESS_CHECK_S": "0.5", "DRR_NOTIFIER_RETRY_MAX_DELAY_S": "1",
       "DRR_LOG_LEVEL": "INFO"}  # fmt: skip
DEADLINE_S = 120.0


@pytest.fixture(scope="module")
def checked_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("completeness")
    stack = Stack(folder, PORTS, {**ENV, **quick_policy(folder)})
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def audit(stack: Stack, *args: str) -> str:
    """The operator's command; its error output in the failure if it fails."""
    try:
        return stack.audit_cli(*args)
    except subprocess.CalledProcessError as error:
        raise AssertionError(f"audit {' '.join(args)}: {error.stderr}") from error


def gauge(stack: Stack, name: str) -> float:
    text = httpx.get(f"{stack.url('audit')}/metrics").text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} is not on the audit service's /metrics"
    return float(found.group(1))


def leaves(stack: Stack, **params: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    answer = httpx.get(f"{stack.url('audit')}/v1/audit/entries", params={**params, "limit": "1000"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return [json.loads(entry["leaf"]) for entry in answer.json()["entries"]]


def of_event(stack: Stack, kind: str, event_id: str, **params: str) -> list[dict[str, Any]]:
    return [leaf for leaf in leaves(stack, kind=kind, **params) if leaf["event_id"] == event_id]


def trigger(case_id: str, description: str) -> dict[str, Any]:
    payload = {"trigger_type": "other", "severity": "high", "observed_at": "2026-11-25T09:00:00+00:00",
               "description": description}  # fmt: skip
    return {**event(case_id, "trigger.reported", payload), "event_id": str(uuid.uuid4())}


def a_team(stack: Stack) -> str:
    """A case with a manager and a police member, both folded by the router (two team.updated leaves)."""
    case_id = f"E2E-COMPLETE-{uuid.uuid4().hex[:8]}"
    team = [opening(case_id), event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "team.member_joined", {"practitioner": MEMBER, "role": "police"})]  # fmt: skip
    assert {a.status_code for a in stack.post_events(team)} == {202}
    eventually(lambda: len(leaves(stack, case_id=case_id, kind="team.updated")) >= 2, DEADLINE_S, "the team folded")
    return case_id


def told_once(stack: Stack, case_id: str, event_id: str) -> None:
    """Each of the two team members received this event's email, and nobody anything twice."""

    def sent() -> bool:
        return len(of_event(stack, "email.sent", event_id, case_id=case_id)) == 2

    eventually(sent, DEADLINE_S, "both emails sent")
    mails = messages(stack.maildir, case_id)
    assert set(by_delivery(mails).values()) == {1}, by_delivery(mails)


async def _commit_router_past_end(stack: Stack, case_id: str) -> None:
    """What issue 11 saw after a crash: the router's group committed past messages it never processed."""
    where = TopicPartition(topics.EVENTS, partition_for(case_id, topics.PARTITIONS))
    group = AIOKafkaConsumer(**stack.kafka.client_options(), group_id=topics.ROUTER_APP_ID, enable_auto_commit=False)
    await group.start()
    try:
        group.assign([where])
        end = (await group.end_offsets([where]))[where]
        await group.commit({where: end})
    finally:
        await group.stop()


def test_an_event_the_router_skipped_is_alarmed_and_redriven_once(checked_stack: Stack) -> None:
    stack = checked_stack
    case_id = a_team(stack)
    assert gauge(stack, "drr_undecided_events") == 0
    stack.stop_service("router")
    lost = trigger(case_id, "Seen near the old group's meeting place.")
    assert stack.post_events([lost])[0].status_code == 202
    eventually(lambda: gauge(stack, "drr_undecided_events") >= 1, DEADLINE_S, "the undecided gauge raised")
    [alarm] = eventually(lambda: of_event(stack, "completeness.alarm", lost["event_id"]), DEADLINE_S, "an alarm leaf")
    assert (alarm["service"], alarm["outcome"], alarm["case_id"]) == ("audit", "undecided", case_id)
    assert lost["event_id"] in audit(stack, "completeness")

    asyncio.run(_commit_router_past_end(stack, case_id))
    stack.start_service("router")
    later = trigger(case_id, "Spoke to a worker about leaving.")
    assert stack.post_events([later])[0].status_code == 202
    told_once(stack, case_id, later["event_id"])  # the router runs, and went past the lost event
    assert of_event(stack, "sharing.decided", lost["event_id"]) == [] and gauge(stack, "drr_undecided_events") >= 1

    said = audit(stack, "redrive", lost["event_id"], "--by", "Duty Operator")
    assert f"event {lost['event_id']} sent again" in said
    told_once(stack, case_id, lost["event_id"])
    eventually(lambda: gauge(stack, "drr_undecided_events") == 0, DEADLINE_S, "the undecided gauge back to 0")
    [resolved] = eventually(lambda: of_event(stack, "completeness.resolved", lost["event_id"]), DEADLINE_S, "resolved")
    assert resolved["outcome"] == "decided"
    [redriven] = of_event(stack, "event.redriven", lost["event_id"])
    assert (redriven["actor"], redriven["outcome"], redriven["case_id"]) == ("Duty Operator", "republished", case_id)
    assert "0 undecided events, 0 unfinished deliveries" in audit(stack, "completeness")
    assert gauge(stack, "drr_unfinished_deliveries") == 0


def router_events(stack: Stack) -> float:
    text = httpx.get(f"{stack.url('router')}/metrics").text
    found = re.search(r'^drr_router_events_total\{event_type="trigger.reported"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def kinds_of(stack: Stack, case_id: str) -> Counter[str]:
    """The case's leaves by kind, leaving out the queries that read them (each is a leaf of the case too)."""
    return Counter(leaf["kind"] for leaf in leaves(stack, case_id=case_id) if leaf["kind"] != "audit.queried")


def notifier_duplicates(stack: Stack) -> float:
    text = httpx.get(f"{stack.url('notifier')}/metrics").text
    found = re.search(r"^drr_notifier_duplicates_skipped_total (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_redrive_of_an_event_already_delivered_sends_no_second_email(checked_stack: Stack) -> None:
    stack = checked_stack
    case_id = a_team(stack)
    delivered = trigger(case_id, "Declined the mentoring session.")
    assert stack.post_events([delivered])[0].status_code == 202
    told_once(stack, case_id, delivered["event_id"])
    routed, skipped, facts = router_events(stack), notifier_duplicates(stack), kinds_of(stack, case_id)

    audit(stack, "redrive", delivered["event_id"], "--by", "Duty Operator")
    eventually(lambda: router_events(stack) >= routed + 1, DEADLINE_S, "the copy routed again")
    eventually(lambda: notifier_duplicates(stack) >= skipped + 2, DEADLINE_S, "both deliveries seen again")
    eventually(lambda: of_event(stack, "event.redriven", delivered["event_id"]), DEADLINE_S, "the redrive audited")
    mails = messages(stack.maildir, case_id)
    assert len(mails) == 2 and set(by_delivery(mails).values()) == {1}
    assert kinds_of(stack, case_id) == facts + Counter({"event.redriven": 1})  # every other fact was known
    assert gauge(stack, "drr_undecided_events") == 0 and gauge(stack, "drr_unfinished_deliveries") == 0


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "intake-key"])
def test_completeness_records_are_for_oversight_tokens_only(checked_stack: Stack, authorization: str | None) -> None:
    if authorization == "intake-key":
        authorization = f"Bearer {checked_stack.api_keys['probation']}"
    headers = {"Authorization": authorization} if authorization else {}
    url = f"{checked_stack.url('audit')}/v1/audit/entries"
    answer = httpx.get(url, params={"kind": "completeness.alarm"}, headers=headers)
    expected = (401, "oversight_token_required") if authorization is None else (403, "not_an_oversight_token")
    assert (answer.status_code, answer.json()["detail"]["reason"]) == expected
