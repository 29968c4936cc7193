"""Grouping, daily digests and pauses: which alerts wait, for how long, and the one email they become."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import escape

from services.notifier.holding.batches import Holds
from services.notifier.holding.rules import Holding, HoldKind, Placement, added, is_due, next_digest, placement, release
from services.notifier.priorities import Priority
from services.notifier.states import DeliveryState
from shared.audit_records import AuditKind, AuditRecord
from shared.deliveries import Delivery
from shared.roles import Role
from tests.unit.notifier.fakes import FakeClock, renderer
from tests.unit.notifier.test_notifier_templates import CLINICAL_SECRET, delivery_for

RULE = Holding(settle_seconds=120, digest_hour_utc=7, max_items=3)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_critical_and_high_go_at_once_normal_settles_low_waits_for_the_digest() -> None:
    d = delivery_for("appointment.missed")
    assert placement(d, Priority.CRITICAL, NOW, RULE, None) is None
    assert placement(d, Priority.HIGH, NOW, RULE, None) is None
    group = placement(d, Priority.NORMAL, NOW, RULE, None)
    assert group is not None and (group.kind, group.batch_key, group.route_key) == ("group", "group:C-123:p-1", "C-123")
    assert group.release_at == NOW + timedelta(seconds=120)
    digest = placement(d, Priority.LOW, NOW, RULE, None)
    assert digest is not None and (digest.batch_key, digest.route_key) == ("digest:p-1", "p-1")
    assert digest.release_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert placement(d, Priority.NORMAL, NOW, Holding(settle_seconds=0), None) is None


def test_a_pause_holds_everything_but_critical_until_it_ends() -> None:
    d, until = delivery_for("risk_assessment.updated"), NOW + timedelta(days=3)
    assert placement(d, Priority.CRITICAL, NOW, RULE, until) is None
    for priority in (Priority.HIGH, Priority.NORMAL, Priority.LOW):
        held = placement(d, priority, NOW, RULE, until)
        assert held is not None
        assert (held.kind, held.batch_key, held.release_at) == ("paused", "paused:C-123:p-1", until)


def test_the_news_of_a_pause_is_never_held_by_it() -> None:
    until = NOW + timedelta(days=3)
    for event_type in ("alerts.paused", "alerts.resumed"):
        assert placement(delivery_for(event_type), Priority.NORMAL, NOW, RULE, until) is None


def test_a_released_batch_is_never_held_again() -> None:
    batch = batch_of([delivery_for("appointment.missed")])
    email, _ = release("group:C-123:p-1", batch, NOW)
    assert placement(email, Priority.NORMAL, NOW, RULE, NOW + timedelta(days=1)) is None


def test_the_digest_goes_at_the_configured_hour_today_if_still_ahead_else_tomorrow() -> None:
    assert next_digest(datetime(2026, 11, 25, 6, 59, tzinfo=UTC), RULE) == datetime(2026, 11, 25, 7, tzinfo=UTC)
    assert next_digest(datetime(2026, 11, 25, 7, 0, tzinfo=UTC), RULE) == datetime(2026, 11, 26, 7, tzinfo=UTC)


def batch_of(deliveries: list[Delivery], priority: Priority = Priority.NORMAL, at: datetime = NOW) -> dict[str, Any]:
    batch: dict[str, Any] | None = None
    for d in deliveries:
        place = placement(d, priority, at, RULE, None)
        assert place is not None
        batch = added(batch, place, d, priority, RULE, at)
    assert batch is not None
    return batch


def test_a_batch_ignores_a_repeat_keeps_its_first_release_time_and_goes_early_when_full() -> None:
    first, second = delivery_for("appointment.missed"), delivery_for("case.closed")
    batch = batch_of([first, first])
    assert len(batch["items"]) == 1
    later = added(batch, placement(second, Priority.NORMAL, NOW, RULE, None), second, Priority.NORMAL, RULE,  # type: ignore[arg-type]
                  NOW + timedelta(seconds=60))  # fmt: skip
    assert len(later["items"]) == 2 and later["release_at"] == batch["release_at"]  # no starvation
    assert not is_due(later, NOW + timedelta(seconds=119), None) and is_due(later, NOW + timedelta(seconds=120), None)
    full = batch_of([delivery_for("appointment.missed") for _ in range(3)])
    assert is_due(full, NOW, None)


def test_a_paused_batch_is_due_once_the_pause_is_over_whatever_its_time() -> None:
    d, until = delivery_for("appointment.missed"), NOW + timedelta(days=3)
    place = placement(d, Priority.HIGH, NOW, RULE, until)
    assert place is not None
    batch = added(None, place, d, Priority.HIGH, RULE, NOW)
    assert not is_due(batch, NOW + timedelta(days=10), until)  # still paused (extended): waits
    assert is_due(batch, NOW + timedelta(minutes=1), None)  # lifted early: goes now


def test_the_released_email_has_a_stable_id_the_batch_priority_and_every_alert_in_it() -> None:
    deliveries = [delivery_for("appointment.missed"), delivery_for("case.closed")]
    email, priority = release("group:C-123:p-1", batch_of(deliveries), NOW)
    again, _ = release("group:C-123:p-1", batch_of(list(reversed(deliveries))), NOW + timedelta(hours=1))
    assert email.delivery_id == again.delivery_id and priority is Priority.NORMAL
    assert (email.event_type, email.case_id, email.recipient) == ("updates.grouped", "C-123", deliveries[0].recipient)
    assert [i["delivery"]["delivery_id"] for i in email.payload["items"]] == [str(d.delivery_id) for d in deliveries]


def test_a_paused_batch_goes_at_its_most_urgent_alerts_priority() -> None:
    until = NOW + timedelta(days=1)
    batch: dict[str, Any] | None = None
    alerts = [(delivery_for("appointment.missed"), Priority.NORMAL), (delivery_for("panel.decision"), Priority.HIGH)]
    for d, p in alerts:
        place = placement(d, p, NOW, RULE, until)
        assert place is not None
        batch = added(batch, place, d, p, RULE, NOW)
    assert batch is not None
    email, priority = release("paused:C-123:p-1", batch, NOW)
    assert (email.event_type, priority) == ("updates.released", Priority.HIGH)


def test_one_email_shows_each_alert_as_it_would_alone_and_nothing_withheld() -> None:
    deliveries = [delivery_for("trigger.reported", Role.PROBATION), delivery_for("appointment.missed", Role.PROBATION)]
    email, priority = release("group:C-123:p-1", batch_of(deliveries), NOW)
    rendered = renderer().render(email, priority)
    assert rendered.subject == "[DRR case C-123] Updates on this case: 2 updates (NORMAL)"
    notice = deliveries[0].withheld_notice
    assert notice and notice in rendered.body and escape(notice) in rendered.html
    for part in (rendered.body, rendered.html):
        assert "Trigger reported: bereavement" in part and "Appointment missed" in part
        assert all(str(d.delivery_id) in part for d in deliveries)
        assert CLINICAL_SECRET not in part
    assert "ALERT" not in rendered.body


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, dict[str, Any]]] = []

    async def send(self, *, key: bytes, value: bytes) -> None:
        self.sent.append((key, json.loads(value)))


async def test_holds_add_then_release_one_email_and_record_each_alert_as_sent_in_it() -> None:
    clock, table, commands, audit = FakeClock(NOW), {}, Recorder(), Recorder()
    emails: list[tuple[Delivery, Priority]] = []

    async def send(delivery: Delivery, priority: Priority) -> DeliveryState:
        emails.append((delivery, priority))
        return DeliveryState.DELIVERED

    holds = Holds(RULE, clock, table, (commands, audit), Paused(None), send)
    deliveries = [delivery_for("appointment.missed"), delivery_for("case.closed")]
    for d in deliveries:
        await holds.on_command(add_command(holds, d))
    await holds.sweep()
    assert commands.sent == []  # settling
    clock.advance(120)
    await holds.sweep()
    [(key, command)] = commands.sent
    await holds.on_command(command)
    await holds.on_command(command)  # a repeated release finds the batch gone
    assert key == b"C-123" and table == {}
    [(email, priority)] = emails
    assert len(email.payload["items"]) == 2 and priority is Priority.NORMAL
    records = [AuditRecord.model_validate(r) for _, r in audit.sent]
    assert [(r.kind, r.event_id) for r in records] == [(AuditKind.EMAIL_SENT, d.event_id) for d in deliveries]
    assert {r.outcome for r in records} == {f"in_email:{email.delivery_id}"}


def add_command(holds: Holds, d: Delivery) -> dict[str, Any]:
    place = holds.placement(d, Priority.NORMAL)
    assert place is not None and place.kind is HoldKind.GROUP
    return add_command_at(d, place)


def add_command_at(d: Delivery, place: Placement) -> dict[str, Any]:
    return {"add": d.model_dump(mode="json"), "priority": "normal", "batch": place.batch_key, "kind": place.kind.value,
            "route_key": place.route_key, "release_at": place.release_at.isoformat()}  # fmt: skip


async def nothing_sent(delivery: Delivery, priority: Priority) -> DeliveryState:
    raise AssertionError("nothing is sent here")


class Paused:
    def __init__(self, until: datetime | None) -> None:
        self.until = until

    def active_until(self, case_id: str, now: datetime) -> datetime | None:
        return self.until


async def test_a_group_whose_case_was_paused_while_it_settled_waits_for_the_pause() -> None:
    clock, table, pauses = FakeClock(NOW), {}, Paused(None)
    holds = Holds(RULE, clock, table, (Recorder(), Recorder()), pauses, nothing_sent)
    await holds.on_command(add_command(holds, delivery_for("appointment.missed")))
    pauses.until = NOW + timedelta(days=2)
    clock.advance(120)
    await holds.on_command({"release": "group:C-123:p-1", "opened_at": NOW.isoformat()})
    assert list(table) == ["paused:C-123:p-1"] and table["paused:C-123:p-1"]["kind"] == "paused"


async def test_a_paused_batch_whose_case_is_paused_again_before_its_release_keeps_waiting() -> None:
    clock, table, pauses = FakeClock(NOW), {}, Paused(NOW + timedelta(days=1))
    holds = Holds(RULE, clock, table, (Recorder(), Recorder()), pauses, nothing_sent)
    d = delivery_for("appointment.missed")
    place = holds.placement(d, Priority.NORMAL)
    assert place is not None and place.kind is HoldKind.PAUSED
    await holds.on_command(add_command_at(d, place))
    await holds.on_command({"release": place.batch_key, "opened_at": NOW.isoformat()})  # a new pause began
    assert list(table) == [place.batch_key]
