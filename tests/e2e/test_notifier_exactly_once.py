"""Exactly one email per delivery on the real broker and the real mail sink: through an SMTP outage, a
SIGKILL of the notifier mid-stream, and a replay of drr.deliveries from offset 0.

SMTP has no two-phase commit: a crash after the server said 250 and before the ledger recorded it leaves
a delivery whose fate cannot be known. Those (at most one per delivery in flight) are sent again with the
same Message-ID and `X-DRR-Possible-Duplicate: yes`, so a mail client folds them; nothing else repeats.
"""

import asyncio
import time
import uuid
from collections import Counter
from email.message import EmailMessage
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from deploy.local.demo_case import CASE_MANAGER, PERSON
from deploy.local.mail import messages
from deploy.local.stack import Stack
from services.notifier.bootstrap import NotifierSettings
from shared import topics
from tests.e2e.test_case_history import eventually

MEMBER = {"id": "p-e2e-2", "name": "Ira Moss", "email": "ira.moss@police.example.org", "agency": "police"}
IN_FLIGHT = NotifierSettings.model_fields["in_flight"].default
"""DRR_NOTIFIER_IN_FLIGHT's default: at most this many sends can be cut short by a crash."""


def event(case_id: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "occurred_at": "2026-11-25T09:00:00+00:00",
        "source": {"agency": "probation", "system": "e2e"},
        "case_id": case_id,
        "person": PERSON,
        "payload": payload,
    }


def a_case_with_observations(stack: Stack, n: int) -> str:
    """A two-person team, then n high-severity observations (sent at once, never held): 2n deliveries."""
    case_id = f"E2E-X-{uuid.uuid4().hex[:10]}"
    team = [
        event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
        event(case_id, "team.member_joined", {"practitioner": MEMBER, "role": "police"}),
    ]
    seen = {"trigger_type": "other", "severity": "high", "observed_at": "2026-11-25T09:00:00+00:00"}
    observations = [event(case_id, "trigger.reported", {**seen, "description": f"Observation {i}"}) for i in range(n)]
    assert {a.status_code for a in stack.post_events(team + observations)} == {202}
    return case_id


def by_delivery(mails: list[EmailMessage]) -> Counter[str]:
    return Counter(str(m["X-DRR-Delivery-Id"]) for m in mails)


def all_arrived(stack: Stack, case_id: str, expected: int, timeout_s: float = 120) -> list[EmailMessage]:
    def check() -> list[EmailMessage] | None:
        mails = messages(stack.maildir, case_id)
        return mails if len(by_delivery(mails)) >= expected else None

    found = eventually(check, timeout_s, f"{expected} distinct deliveries")
    assert isinstance(found, list)
    return found


def test_mail_held_back_by_an_smtp_outage_all_arrives_once_the_server_is_back(stack: Stack) -> None:
    stack.stop_service("mailsink")
    try:
        case_id = a_case_with_observations(stack, 10)
        time.sleep(4)  # the outage itself: the notifier retries meanwhile
        assert messages(stack.maildir, case_id) == []
    finally:
        stack.start_service("mailsink")
    mails = all_arrived(stack, case_id, 20)
    time.sleep(2)  # anything sent twice would land now
    assert set(by_delivery(messages(stack.maildir, case_id)).values()) == {1}
    assert len(mails) == 20


def test_a_notifier_killed_mid_stream_loses_nothing_and_repeats_only_what_it_cannot_know(stack: Stack) -> None:
    case_id = a_case_with_observations(stack, 60)
    eventually(lambda: len(messages(stack.maildir, case_id)) >= 10, 120, "the first emails")
    stack.stop_service("notifier", kill=True)
    stack.start_service("notifier")
    all_arrived(stack, case_id, 120, timeout_s=180)
    time.sleep(2)
    mails = messages(stack.maildir, case_id)
    repeated = {d for d, n in by_delivery(mails).items() if n > 1}
    assert len(repeated) <= IN_FLIGHT and max(by_delivery(mails).values()) <= 2
    for mail in mails:
        if str(mail["X-DRR-Delivery-Id"]) in repeated and mail["X-DRR-Possible-Duplicate"]:
            assert mail["Message-ID"] == f"<{mail['X-DRR-Delivery-Id']}@drr-notify>"
    marked = [m for m in mails if m["X-DRR-Possible-Duplicate"] == "yes"]
    assert {str(m["X-DRR-Delivery-Id"]) for m in marked} >= repeated  # every repeat says so


def test_a_replay_of_the_deliveries_topic_from_offset_zero_sends_nothing_new(stack: Stack) -> None:
    case_id = a_case_with_observations(stack, 5)
    all_arrived(stack, case_id, 10)
    before = settled_count(stack)
    stack.stop_service("notifier")
    asyncio.run(rewind(stack.kafka.bootstrap))
    stack.start_service("notifier")
    eventually(lambda: asyncio.run(caught_up(stack.kafka.bootstrap)), 120, "the notifier re-read the whole topic")
    time.sleep(2)
    assert len(messages(stack.maildir)) == before


def settled_count(stack: Stack) -> int:
    """The mailbox size once nothing more has arrived for three seconds (earlier tests' mail has landed)."""

    def unchanged() -> int | None:
        first = len(messages(stack.maildir))
        time.sleep(3)
        return first if len(messages(stack.maildir)) == first else None

    count = eventually(unchanged, 120, "a quiet mailbox")
    assert isinstance(count, int)
    return count


async def rewind(bootstrap: str) -> None:
    """Commit offset 0 on every drr.deliveries partition for the notifier's (now empty) consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=topics.NOTIFIER_APP_ID, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topics.DELIVERIES, p) for p in range(topics.PARTITIONS)]
        consumer.assign(partitions)
        await consumer.commit({tp: 0 for tp in partitions})
    finally:
        await consumer.stop()


async def caught_up(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(topics.NOTIFIER_APP_ID)
        partitions = [TopicPartition(topics.DELIVERIES, p) for p in range(topics.PARTITIONS)]
        ends = await consumer.end_offsets(partitions)
        return all(tp in committed and committed[tp].offset >= ends[tp] for tp in partitions)
    finally:
        await consumer.stop()
        await admin.close()
