"""A message the notifier cannot use, on any topic it reads, is dead-lettered with its error and the
agent takes the next one: never a crash (which would only bring the same message back)."""

import json
from typing import Any

import pytest

from services.notifier.app import build
from services.notifier.bootstrap import NotifierSettings
from services.notifier.sending.ledger import EmailLedger
from shared import topics
from shared.audit_records import AuditKind, AuditRecord
from shared.deliveries import Delivery
from tests.faust_agents import fed
from tests.unit.notifier.fakes import FakeClock, FakeMailer, FakeTable
from tests.unit.notifier.test_notifier_agent import a_delivery, dead_letters

Sent = list[tuple[str, dict[str, Any]]]


async def feed(agent: str, topic_values: list[bytes], mailer: FakeMailer | None = None) -> None:
    app = build(NotifierSettings(max_attempts=2, retry_base_s=0), mailer or FakeMailer(), FakeClock(),
                EmailLedger(FakeTable(), FakeClock()))  # fmt: skip
    async with fed(app, agent) as put:
        for value in topic_values:
            await put(value, key=b"C-7")


def letters(sent: Sent) -> list[dict[str, Any]]:
    return [{**kwargs, "headers": dict(kwargs["headers"])} for topic, kwargs in sent if topic == topics.DEAD_LETTERS]


async def test_a_delivery_that_parses_but_cannot_be_handled_is_a_technical_failure(sent: Sent) -> None:
    """Its payload's severity is a list: the priority rule trips on it (before any send)."""
    bad = a_delivery("trigger.reported").model_copy(update={"payload": {"severity": ["critical"]}})
    good, mailer, before = a_delivery(), FakeMailer(), dead_letters("technical_failure")
    await feed("services.notifier.app.notify", [d.model_dump_json().encode() for d in (bad, good)], mailer)
    [letter] = letters(sent)
    assert Delivery.model_validate_json(letter["value"]) == bad
    assert letter["headers"] == {"source": topics.DELIVERIES.encode(), "error": b"technical_failure"}
    records = [AuditRecord.model_validate_json(k["value"]) for t, k in sent if t == topics.AUDIT]
    given_up = [r for r in records if r.kind == AuditKind.EMAIL_DEAD_LETTERED]
    assert [(r.event_id, r.outcome) for r in given_up] == [(bad.event_id, "technical_failure")]
    assert dead_letters("technical_failure") == before + 1
    assert [m["message_id"] for m in mailer.sent] == [f"<{good.delivery_id}@drr-notify>"]  # the next one went


COMMANDS = [b"not json", b"[]", b"{}", json.dumps({"add": {"delivery_id": "x"}}).encode()]


@pytest.mark.parametrize(
    ("agent", "source", "bad"),
    [
        *[("notifier.holds", topics.HOLDS, bad) for bad in COMMANDS],
        *[
            ("notifier.escalations", topics.ESCALATIONS, bad)
            for bad in [*COMMANDS[:3], b'{"alert_id": ["x"]}', b'{"kind": "no.such", "case_id": "C-1"}']
        ],
        *[("services.notifier.acknowledging.endpoint.acknowledge", topics.ACKS, bad) for bad in COMMANDS[:3]],
    ],
)
async def test_a_malformed_internal_message_is_dead_lettered_and_the_next_taken(
    agent: str, source: str, bad: bytes, sent: Sent
) -> None:
    """Taken twice, with a message between: each time dead-lettered, and the agent goes on."""
    between = {
        topics.ACKS: b'{"delivery_id": ["d-1"]}',
        topics.HOLDS: b'{"release": "none", "opened_at": "x"}',
        topics.ESCALATIONS: b'{"kind": "chase", "alert_id": "none", "step": 0}',  # stale: taken, sends nothing
    }[source]
    await feed(agent, [bad, between, bad])
    found = letters(sent)
    assert [letter["value"] for letter in found] == ([bad, between, bad] if source == topics.ACKS else [bad, bad])
    assert {letter["headers"]["source"] for letter in found} == {source.encode()}
