"""A realistic case history, posted through intake, ends as emails in the mailbox and in the audit trail."""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from drr_verify.notes import parse_verifier_key
from drr_verify.pages import unproven_entries

from deploy.local.demo import post_history
from deploy.local.demo_case import CASE_MANAGER, CLINICAL_NOTES, FORMER_MEMBER, MEMBERS, case_history
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack
from shared import topics

SHARED_EVENTS = 4  # release, trigger, missed appointment, panel decision: after the team is formed
TEAM = [CASE_MANAGER, *MEMBERS.values()]


def eventually(check: Callable[[], object], timeout_s: float = 90, what: str = "condition") -> object:
    """Poll with a deadline instead of sleeping a fixed time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"{what} not met within {timeout_s}s")


def mail_to(mails: list[EmailMessage], person: dict[str, str]) -> list[EmailMessage]:
    return [m for m in mails if person["email"] in str(m["To"])]


def test_the_team_is_told_what_each_may_know_and_the_audit_trail_shows_it(stack: Stack) -> None:
    case_id = f"E2E-{uuid.uuid4().hex[:10]}"
    answers = post_history(stack, case_id)
    assert [a.status_code for a in answers] == [202] * len(case_history(case_id))

    expected = SHARED_EVENTS * len(TEAM)

    def all_mail() -> list[EmailMessage] | None:
        found = messages(stack.maildir, case_id)
        return found if len(found) >= expected else None

    mails = eventually(all_mail, what=f"{expected} emails")
    assert isinstance(mails, list) and len(mails) == expected

    for person in TEAM:
        assert len(mail_to(mails, person)) == SHARED_EVENTS, person["name"]
    assert mail_to(mails, FORMER_MEMBER) == []

    trigger_mails = [m for m in mails if "trigger" in str(m["Subject"]).lower()]
    assert len(trigger_mails) == len(TEAM)
    for person in (MEMBERS["police"], MEMBERS["probation"]):
        assert CLINICAL_NOTES not in text_of(mail_to(trigger_mails, person)[0])
    assert CLINICAL_NOTES in text_of(mail_to(trigger_mails, MEMBERS["mental_health"])[0])
    # the case manager sees it only under the clinical agreement, with consent, that the history records
    assert CLINICAL_NOTES in text_of(mail_to(trigger_mails, CASE_MANAGER)[0])

    event_ids = {a.json()["event_id"] for a in answers}
    assert_audit_trail(stack, case_id, event_ids, deliveries=expected)


def assert_audit_trail(stack: Stack, case_id: str, event_ids: set[str], deliveries: int) -> None:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    url = f"{stack.url('audit')}/v1/audit/entries"
    assert httpx.get(url, params={"case_id": case_id}).status_code == 401

    def entries() -> dict[str, Any] | None:
        body: dict[str, Any] = httpx.get(url, params={"case_id": case_id, "limit": 1000}, headers=headers).json()
        facts = [e for e in body["entries"] if json.loads(e["leaf"])["kind"] != "audit.queried"]
        kinds = [json.loads(e["leaf"])["kind"] for e in facts]
        proven = all(e["proof"] is not None for e in facts)  # covered by a signed checkpoint
        return {**body, "entries": facts} if kinds.count("email.sent") >= deliveries and proven else None

    body = eventually(entries, what="audit entries covered by a signed checkpoint")
    assert isinstance(body, dict)
    key = httpx.get(f"{stack.url('audit')}/v1/checkpoint", headers=headers).json()["verifier_key"]
    assert unproven_entries(body, parse_verifier_key(key)) == []
    records = [json.loads(e["leaf"]) for e in body["entries"]]
    received = {r["event_id"] for r in records if r["kind"] == "event.received"}
    assert received == event_ids
    shared = [r for r in records if r["kind"] == "sharing.decided" and r["outcome"] == "shared"]
    assert len(shared) == deliveries
    assert len({(r["event_id"], r["recipient_id"]) for r in shared}) == deliveries
    assert CLINICAL_NOTES not in str(records)


def test_an_invalid_event_gets_a_422_and_nothing_reaches_kafka(stack: Stack) -> None:
    case_id = f"E2E-BAD-{uuid.uuid4().hex[:8]}"
    bad = {**case_history(case_id)[0], "occurred_at": "2026-01-01T10:00:00"}
    answer = httpx.post(f"{stack.url('intake')}/v1/events", json=bad, headers=stack.auth_for(bad))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["occurred_at"]
    [good] = stack.post_events([case_history(case_id)[0]])
    assert good.status_code == 202
    keys = asyncio.run(keys_in_topic(stack.kafka.client_options(), topics.EVENTS))
    assert keys.count(case_id.encode()) == 1  # the valid one only


async def keys_in_topic(options: dict[str, object], topic: str) -> list[bytes]:
    """Every key in the topic now, read from the start up to the current end offsets."""
    consumer = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.assignment() or set()
        while not partitions:
            await asyncio.sleep(0.1)
            partitions = consumer.assignment()
        ends = await consumer.end_offsets(list(partitions))
        keys: list[bytes] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            batch = await consumer.getmany(timeout_ms=1000)
            keys += [m.key for msgs in batch.values() for m in msgs if m.key is not None]
        return keys
    finally:
        await consumer.stop()
