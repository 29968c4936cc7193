"""Retry policy and audit trail of one delivery, with a fake mailer and a recorded sleep (no waiting)."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.notifier.email.rendering import Email
from services.notifier.email.smtp import MessageError, PermanentMailError, TransientMailError, UncertainMailError
from services.notifier.priorities import Priority
from services.notifier.sending.sender import RetryPolicy, deliver, gave_up
from services.notifier.states import DeliveryState
from shared.audit_records import AuditKind, AuditRecord
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.roles import Agency, Role
from tests.unit.notifier.fakes import FakeMailer, Sleeps, renderer

ADDRESS = "sam@probation.example"


def a_delivery() -> Delivery:
    event_id = uuid4()
    return Delivery(
        delivery_id=delivery_id_for(event_id, "p-1"),
        event_id=event_id,
        event_type="trigger.reported",
        case_id="C-42",
        occurred_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        correlation_id="corr-1",
        person={"identifiers": [{"type": "prison_number", "value": "A1234BC"}]},
        recipient=Recipient(
            practitioner_id="p-1", name="Sam Lee", email=ADDRESS, agency=Agency.PROBATION, role=Role.PROBATION
        ),
        payload={"trigger_type": "bereavement", "severity": "high"},
        fields_withheld=[],
        rule="skeleton-v1",
    )


async def run(
    mailer: FakeMailer,
    sleeps: Sleeps,
    delivery: Delivery | None = None,
    attempts: int = 5,
    jitter: float = 0.9,
    max_age_s: float = 3600.0,
) -> list[AuditRecord]:
    delivery = delivery or a_delivery()
    return await deliver(
        delivery,
        lambda: renderer().render(delivery, Priority.HIGH),
        mailer,
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=0.5, max_age_s=max_age_s),
        clock=sleeps.clock,
        sleep=sleeps,
        jitter=lambda: jitter,
    )


def states(records: list[AuditRecord]) -> list[str]:
    """The walk through the machine, as the audit trail tells it."""
    names = {AuditKind.EMAIL_CREATED: "created", AuditKind.EMAIL_SENDING: "sending"}
    return [names.get(r.kind) or str(r.outcome) for r in records]


async def test_transient_failures_are_retried_with_growing_delays_then_sent() -> None:
    mailer, sleeps = FakeMailer([TransientMailError("smtp_451"), TransientMailError("timeout")]), Sleeps()
    records = await run(mailer, sleeps)
    assert states(records) == ["created"] + ["sending", "temporary_failure"] * 2 + ["sending", "delivered"]
    assert records[-1].kind == AuditKind.EMAIL_SENT
    assert len(sleeps.delays) == 2 and 0.5 <= sleeps.delays[0] < sleeps.delays[1]
    assert len(mailer.sent) == 3 and gave_up(records) is None


async def test_a_permanent_failure_stops_at_once_and_dead_letters() -> None:
    mailer, sleeps = FakeMailer([PermanentMailError("smtp_550")]), Sleeps()
    records = await run(mailer, sleeps)
    assert states(records) == ["created", "sending", "permanent_failure", "permanent_failure"]
    assert [r.kind for r in records[-2:]] == [AuditKind.EMAIL_FAILED, AuditKind.EMAIL_DEAD_LETTERED]
    assert len(mailer.sent) == 1 and sleeps.delays == []
    assert gave_up(records) is records[-1]


async def test_transient_failures_on_every_attempt_dead_letter_after_max_attempts() -> None:
    mailer, sleeps = FakeMailer([TransientMailError("connection")] * 3), Sleeps()
    records = await run(mailer, sleeps, attempts=3, jitter=0.0)
    assert states(records) == ["created"] + ["sending", "temporary_failure"] * 3 + ["max_attempts_exhausted"]
    assert sleeps.delays == [0.5, 1.0]  # no wait after the last attempt
    assert len(mailer.sent) == 3


async def test_retries_stop_once_the_delivery_is_too_old_by_the_injected_clock() -> None:
    mailer, sleeps = FakeMailer([TransientMailError("connection")] * 50), Sleeps()
    records = await run(mailer, sleeps, attempts=100, jitter=0.0, max_age_s=10.0)
    assert records[-1].outcome == "max_age_exceeded"
    assert sleeps.delays == [0.5, 1.0, 2.0, 4.0]  # 7.5 s waited; the next wait would pass 10 s
    assert len(mailer.sent) == 5


async def test_a_template_that_cannot_render_is_a_technical_failure_never_retried() -> None:
    def broken() -> Email:
        raise KeyError("missing")

    mailer, sleeps = FakeMailer(), Sleeps()
    records = await deliver(a_delivery(), broken, mailer, retry=RetryPolicy(5, 0.5), clock=sleeps.clock, sleep=sleeps)
    assert states(records) == ["created", "technical_failure", "technical_failure"]
    assert gave_up(records) is records[-1] and mailer.sent == []


async def test_test_mode_ends_in_delivered_test() -> None:
    mailer, sleeps = FakeMailer(), Sleeps()
    delivery = a_delivery()
    records = await deliver(
        delivery,
        lambda: renderer().render(delivery, Priority.HIGH),
        mailer,
        retry=RetryPolicy(5, 0.5),
        clock=sleeps.clock,
        delivered=DeliveryState.DELIVERED_TEST,
    )
    assert states(records)[-1] == "delivered_test" and records[-1].kind == AuditKind.EMAIL_SENT


async def test_records_identify_the_delivery_but_hold_no_address_or_content() -> None:
    delivery = a_delivery()
    records = await run(FakeMailer([TransientMailError("smtp_421")]), Sleeps(), delivery)
    for record in records:
        assert (record.case_id, record.event_id, record.correlation_id) == (
            "C-42",
            delivery.event_id,
            "corr-1",
        )
        assert (record.recipient_id, record.recipient_role, record.recipient_agency) == (
            "p-1",
            "probation",
            "probation",
        )
        dumped = record.model_dump_json()
        assert ADDRESS not in dumped and "bereavement" not in dumped and "Sam Lee" not in dumped
    assert len({r.record_id for r in records}) == len(records)


async def test_a_replayed_delivery_yields_the_same_record_ids() -> None:
    delivery = a_delivery()
    first = await run(FakeMailer([TransientMailError("smtp_451")]), Sleeps(), delivery)
    again = await run(FakeMailer([TransientMailError("smtp_451")]), Sleeps(), delivery)
    assert [r.record_id for r in first] == [r.record_id for r in again]


async def test_the_message_carries_delivery_derived_ids() -> None:
    delivery, mailer = a_delivery(), FakeMailer()
    await run(mailer, Sleeps(), delivery)
    [message] = mailer.sent
    assert message["to"] == ADDRESS
    assert message["message_id"] == f"<{delivery.delivery_id}@drr-notify>"
    assert message["headers"] == {"X-DRR-Delivery-Id": str(delivery.delivery_id), "X-DRR-Case-Id": "C-42"}


async def test_a_message_that_cannot_be_composed_is_a_technical_failure_and_logs_no_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer, sleeps = FakeMailer([MessageError("unencodable_address")]), Sleeps()
    records = await run(mailer, sleeps)
    assert states(records) == ["created", "sending", "technical_failure", "technical_failure"]
    assert gave_up(records) is records[-1] and len(mailer.sent) == 1 and sleeps.delays == []
    [logged] = [r for r in caplog.records if r.getMessage() == "composing the message failed"]
    assert (logged.__dict__["error"], logged.exc_info) == ("MessageError", None)
    assert ADDRESS not in caplog.text


async def test_after_a_send_whose_fate_is_unknown_the_next_try_is_marked_a_possible_duplicate() -> None:
    """The server may have stored the message and died before its 250: the retry says it may repeat it."""
    mailer, sleeps = (
        FakeMailer(errors=[UncertainMailError("connection_after_data"), TransientMailError("connection")]),
        Sleeps(),
    )
    records = await run(mailer, sleeps)
    assert states(records)[-1] == DeliveryState.DELIVERED.value
    marks = [m["headers"].get("X-DRR-Possible-Duplicate") for m in mailer.sent]
    assert marks == [None, "yes", "yes"]


async def test_a_connection_refused_before_anything_was_sent_is_retried_unmarked() -> None:
    mailer, sleeps = FakeMailer(errors=[TransientMailError("connection")]), Sleeps()
    await run(mailer, sleeps)
    assert [m["headers"].get("X-DRR-Possible-Duplicate") for m in mailer.sent] == [None, None]
