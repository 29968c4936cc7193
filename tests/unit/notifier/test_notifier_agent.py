"""The notifier agent without a broker: faust's test_context feeds it, a fake mailer answers, and the
topic sends are recorded (monkeypatched at the Topic class, since the app builds its topics itself)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import faust
import pytest
from prometheus_client import REGISTRY

from services.notifier.adapters import MailError, PermanentMailError
from services.notifier.app import build
from services.notifier.bootstrap import NotifierSettings
from shared import topics
from shared.audit_records import AuditKind, AuditRecord
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.roles import Agency, Role


@dataclass
class FakeMailer:
    errors: list[MailError] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    async def send(self, *, to: str, subject: str, body: str, message_id: str, headers: Mapping[str, str]) -> None:
        self.sent.append(message_id)
        if self.errors:
            raise self.errors.pop(0)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    records: list[tuple[str, dict[str, Any]]] = []

    async def record(self: faust.Topic, **kwargs: Any) -> None:
        records.append((self.get_topic_name(), kwargs))

    monkeypatch.setattr(faust.Topic, "send", record)
    return records


def dead_letters(reason: str) -> float:
    return REGISTRY.get_sample_value("drr_notifier_dead_letters_total", {"reason": reason}) or 0.0


def a_delivery() -> Delivery:
    event_id = uuid4()
    recipient = Recipient(
        practitioner_id="p-1", name="Sam", email="sam@x.example", agency=Agency.POLICE, role=Role.POLICE
    )
    return Delivery(
        delivery_id=delivery_id_for(event_id, "p-1"),
        event_id=event_id,
        event_type="appointment.missed",
        case_id="C-7",
        occurred_at=datetime(2026, 11, 20, tzinfo=UTC),
        person={"identifiers": [{"type": "pnc", "value": "1"}]},
        recipient=recipient,
        payload={},
        fields_withheld=[],
        rule="skeleton-v1",
    )


async def run(mailer: FakeMailer, *values: bytes) -> None:
    app = build(NotifierSettings(max_attempts=2, retry_base_s=0), mailer)
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    agent = app.agents["services.notifier.app.notify"]
    try:
        async with agent.test_context() as test_agent:
            for value in values:
                await test_agent.put(value, key=b"C-7")
    finally:
        # iterating the stream made faust create its consumer, whose never-started thread owns an
        # event loop nobody else will close (a ResourceWarning, an error under filterwarnings=error)
        app.consumer._thread.thread_loop.close()


async def test_a_sent_delivery_is_audited_by_case(sent: list[tuple[str, dict[str, Any]]]) -> None:
    delivery = a_delivery()
    await run(FakeMailer(), delivery.model_dump_json().encode())
    [(topic, kwargs)] = sent
    assert topic == topics.AUDIT and kwargs["key"] == b"C-7"
    assert AuditRecord.model_validate_json(kwargs["value"]).kind == AuditKind.EMAIL_SENT


async def test_a_delivery_given_up_on_is_dead_lettered_whole(sent: list[tuple[str, dict[str, Any]]]) -> None:
    delivery, before = a_delivery(), dead_letters("permanent_failure")
    await run(FakeMailer([PermanentMailError("smtp_550")]), delivery.model_dump_json().encode())
    assert [t for t, _ in sent] == [topics.DEAD_LETTERS, topics.AUDIT, topics.AUDIT]
    dead = sent[0][1]
    assert Delivery.model_validate_json(dead["value"]) == delivery
    assert dict(dead["headers"]) == {"source": topics.DELIVERIES.encode(), "error": b"permanent_failure"}
    assert dead_letters("permanent_failure") == before + 1


async def test_an_unparseable_delivery_is_dead_lettered_and_the_stream_goes_on(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    mailer = FakeMailer()
    await run(mailer, b"not json", a_delivery().model_dump_json().encode())
    assert [t for t, _ in sent] == [topics.DEAD_LETTERS, topics.AUDIT]
    assert len(mailer.sent) == 1
