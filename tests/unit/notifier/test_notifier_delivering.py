"""Retry policy and audit trail of one delivery, with a fake mailer and a recorded sleep (no waiting)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from services.notifier.adapters import MailError, PermanentMailError, TransientMailError
from services.notifier.delivering import deliver, gave_up
from shared.audit_records import AuditKind, AuditRecord
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.roles import Agency, Role

ADDRESS = "sam@probation.example"


@dataclass
class FakeMailer:
    """Raises the queued errors in turn, then accepts; records every message it was given."""

    errors: list[MailError] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, *, to: str, subject: str, body: str, message_id: str, headers: Mapping[str, str]) -> None:
        self.sent.append({"to": to, "subject": subject, "message_id": message_id, "headers": dict(headers)})
        if self.errors:
            raise self.errors.pop(0)


@dataclass
class Sleeps:
    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


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
    mailer: FakeMailer, sleeps: Sleeps, delivery: Delivery | None = None, attempts: int = 5, jitter: float = 0.9
) -> list[AuditRecord]:
    return await deliver(
        delivery or a_delivery(),
        mailer,
        max_attempts=attempts,
        base_delay_s=0.5,
        sleep=sleeps,
        jitter=lambda: jitter,
    )


async def test_transient_failures_are_retried_with_growing_delays_then_sent() -> None:
    mailer, sleeps = FakeMailer([TransientMailError("smtp_451"), TransientMailError("timeout")]), Sleeps()
    records = await run(mailer, sleeps)
    assert [r.kind for r in records] == [AuditKind.EMAIL_FAILED] * 2 + [AuditKind.EMAIL_SENT]
    assert [r.outcome for r in records] == ["temporary_failure", "temporary_failure", "delivered"]
    assert len(sleeps.delays) == 2 and 0.5 <= sleeps.delays[0] < sleeps.delays[1]
    assert len(mailer.sent) == 3 and gave_up(records) is None


async def test_a_permanent_failure_stops_at_once_and_dead_letters() -> None:
    mailer, sleeps = FakeMailer([PermanentMailError("smtp_550")]), Sleeps()
    records = await run(mailer, sleeps)
    assert [(r.kind, r.outcome) for r in records] == [
        (AuditKind.EMAIL_FAILED, "permanent_failure"),
        (AuditKind.EMAIL_DEAD_LETTERED, "permanent_failure"),
    ]
    assert len(mailer.sent) == 1 and sleeps.delays == []
    assert gave_up(records) is records[-1]


async def test_transient_failures_on_every_attempt_dead_letter_after_max_attempts() -> None:
    mailer, sleeps = FakeMailer([TransientMailError("connection")] * 3), Sleeps()
    records = await run(mailer, sleeps, attempts=3, jitter=0.0)
    assert [r.kind for r in records] == [AuditKind.EMAIL_FAILED] * 3 + [AuditKind.EMAIL_DEAD_LETTERED]
    assert records[-1].outcome == "max_attempts_exhausted"
    assert sleeps.delays == [0.5, 1.0]  # no wait after the last attempt
    assert len(mailer.sent) == 3


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
