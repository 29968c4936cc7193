"""The notifier agent without a broker: faust's test_context feeds it, a fake mailer answers, and the
topic sends are recorded (monkeypatched at the Topic class, since the app builds its topics itself)."""

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from prometheus_client import REGISTRY

from services.notifier.app import build
from services.notifier.bootstrap import NotifierSettings
from services.notifier.email.smtp import PermanentMailError
from services.notifier.sending.ledger import EmailLedger
from services.notifier.states import DeliveryState
from shared import topics
from shared.audit_records import AuditKind, AuditRecord
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.roles import Agency, Role
from tests.faust_agents import fed
from tests.unit.notifier.fakes import FakeClock, FakeMailer, FakeTable


def dead_letters(reason: str) -> float:
    return REGISTRY.get_sample_value("drr_notifier_dead_letters_total", {"reason": reason}) or 0.0


def a_delivery(event_type: str = "risk_assessment.updated") -> Delivery:
    """High priority by default: sent at once, never held."""
    event_id = uuid4()
    recipient = Recipient(
        practitioner_id="p-1", name="Sam", email="sam@x.example", agency=Agency.POLICE, role=Role.POLICE
    )
    return Delivery(
        delivery_id=delivery_id_for(event_id, "p-1"),
        event_id=event_id,
        event_type=event_type,
        case_id="C-7",
        occurred_at=datetime(2026, 11, 20, tzinfo=UTC),
        person={"identifiers": [{"type": "pnc", "value": "1"}]},
        recipient=recipient,
        payload={},
        fields_withheld=[],
        rule="skeleton-v1",
    )


async def run(mailer: FakeMailer, *values: bytes, ledger: EmailLedger | None = None) -> None:
    ledger = ledger or EmailLedger(FakeTable(), FakeClock())
    app = build(NotifierSettings(max_attempts=2, retry_base_s=0), mailer, FakeClock(), ledger)
    async with fed(app, "services.notifier.app.notify") as put:
        for value in values:
            await put(value, key=b"C-7")


async def test_a_sent_delivery_is_audited_by_case(sent: list[tuple[str, dict[str, Any]]]) -> None:
    delivery = a_delivery()
    await run(FakeMailer(), delivery.model_dump_json().encode())
    assert REGISTRY.get_sample_value("drr_notifier_deliveries_under_way") == 0  # handled and acknowledged
    assert {topic for topic, _ in sent} == {topics.AUDIT} and {k["key"] for _, k in sent} == {b"C-7"}
    kinds = [AuditRecord.model_validate_json(kwargs["value"]).kind for _, kwargs in sent]
    assert kinds == [AuditKind.EMAIL_CREATED, AuditKind.EMAIL_SENDING, AuditKind.EMAIL_SENT]


async def test_a_delivery_given_up_on_is_dead_lettered_whole(sent: list[tuple[str, dict[str, Any]]]) -> None:
    delivery, before = a_delivery(), dead_letters("permanent_failure")
    await run(FakeMailer([PermanentMailError("smtp_550")]), delivery.model_dump_json().encode())
    assert [t for t, _ in sent] == [topics.DEAD_LETTERS] + [topics.AUDIT] * 4
    dead = sent[0][1]
    assert Delivery.model_validate_json(dead["value"]) == delivery
    assert dict(dead["headers"]) == {"source": topics.DELIVERIES.encode(), "error": b"permanent_failure"}
    assert dead_letters("permanent_failure") == before + 1


async def test_an_unparseable_delivery_is_dead_lettered_and_the_stream_goes_on(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    mailer = FakeMailer()
    await run(mailer, b"not json", a_delivery().model_dump_json().encode())
    assert [t for t, _ in sent] == [topics.DEAD_LETTERS] + [topics.AUDIT] * 3
    assert len(mailer.sent) == 1


async def test_a_delivery_already_sent_is_not_sent_again(sent: list[tuple[str, dict[str, Any]]]) -> None:
    """Redelivery or a replay from offset 0: the ledger says delivered, so nothing leaves."""
    mailer, delivery = FakeMailer(), a_delivery()
    ledger = EmailLedger(FakeTable(), FakeClock())
    await run(mailer, delivery.model_dump_json().encode(), delivery.model_dump_json().encode(), ledger=ledger)
    assert len(mailer.sent) == 1
    entry = {"state": "delivered", "at": "2026-11-25T09:00:00+00:00", "priority": "high"}
    assert ledger.table == {f"email:{delivery.delivery_id}": entry}


async def test_a_delivery_interrupted_mid_send_goes_again_marked_as_a_possible_duplicate(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    mailer, delivery = FakeMailer(), a_delivery()
    ledger = EmailLedger(FakeTable({f"email:{delivery.delivery_id}": {"state": "sending", "at": "x"}}), FakeClock())
    await run(mailer, delivery.model_dump_json().encode(), ledger=ledger)
    [message] = mailer.sent
    assert message["headers"]["X-DRR-Possible-Duplicate"] == "yes"
    assert message["message_id"] == f"<{delivery.delivery_id}@drr-notify>"


async def test_a_normal_delivery_is_held_durably_before_the_ledger_says_so(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    """No email yet: an `add` on the holds topic, then the ledger's `held`, then the audit record."""
    mailer, delivery = FakeMailer(), a_delivery("appointment.missed")
    ledger = EmailLedger(FakeTable(), FakeClock())
    await run(mailer, delivery.model_dump_json().encode(), delivery.model_dump_json().encode(), ledger=ledger)
    assert mailer.sent == []
    assert [t for t, _ in sent] == [topics.HOLDS, topics.AUDIT]  # the repeat found it held: nothing more
    add = json.loads(sent[0][1]["value"])
    assert (add["kind"], add["batch"], add["priority"]) == ("group", "group:C-7:p-1", "normal")
    assert sent[0][1]["key"] == b"C-7"
    assert AuditRecord.model_validate_json(sent[1][1]["value"]).kind == AuditKind.EMAIL_HELD
    assert ledger.state(delivery) == DeliveryState.HELD


async def test_a_low_delivery_waits_for_the_recipients_digest(sent: list[tuple[str, dict[str, Any]]]) -> None:
    await run(FakeMailer(), a_delivery("appointment.attended").model_dump_json().encode())
    add = json.loads(sent[0][1]["value"])
    assert (sent[0][0], sent[0][1]["key"], add["batch"]) == (topics.HOLDS, b"p-1", "digest:p-1")
    assert add["release_at"] == "2026-11-26T07:00:00+00:00"  # the fake clock says 09:00: tomorrow's digest


def retraction_of(original: Delivery) -> Delivery:
    event_id = uuid4()
    return original.model_copy(update={
        "event_id": event_id, "delivery_id": delivery_id_for(event_id, original.recipient.practitioner_id),
        "event_type": "event.retracted", "payload": {"retracted_event_id": str(original.event_id), "reason": "x"},
    })  # fmt: skip


async def test_a_retraction_of_a_digest_item_waits_for_the_same_digest(sent: list[tuple[str, dict[str, Any]]]) -> None:
    """On its own a retraction is normal (the settle window): it would reach the recipient before the item."""
    original = a_delivery("appointment.attended")
    await run(FakeMailer(), original.model_dump_json().encode(), retraction_of(original).model_dump_json().encode())
    adds = [json.loads(kwargs["value"]) for topic, kwargs in sent if topic == topics.HOLDS]
    assert [(add["batch"], add["priority"]) for add in adds] == [("digest:p-1", "low")] * 2


async def test_a_retraction_of_an_alert_sent_at_once_goes_at_once(sent: list[tuple[str, dict[str, Any]]]) -> None:
    mailer, original = FakeMailer(), a_delivery()
    retraction = retraction_of(original)
    await run(mailer, original.model_dump_json().encode(), retraction.model_dump_json().encode())
    ids = [m["headers"]["X-DRR-Delivery-Id"] for m in mailer.sent]
    assert ids == [str(original.delivery_id), str(retraction.delivery_id)]
    assert not any(topic == topics.HOLDS for topic, _ in sent)


class BrokenMailer(FakeMailer):
    async def send(self, **message: Any) -> None:
        raise RuntimeError("a bug, not a mail error")


async def test_an_unexpected_failure_stops_the_worker_rather_than_skipping_the_delivery() -> None:
    app = build(NotifierSettings(), BrokenMailer(), FakeClock(), EmailLedger(FakeTable(), FakeClock()))
    async with fed(app, "services.notifier.app.notify") as put:
        event = await put(a_delivery().model_dump_json().encode(), key=b"C-7")
        await asyncio.sleep(0)
    assert isinstance(app.crash_reason, RuntimeError)
    assert not event.message.acked  # left for the restarted worker
    assert REGISTRY.get_sample_value("drr_notifier_deliveries_under_way") == 1
