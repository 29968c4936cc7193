"""The completeness check over the real ledger on SQLite and PostgreSQL: waits written with the leaves in one
transaction, alarms only for what the ledger has seen, records published once, resolved and forgotten."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from prometheus_client import REGISTRY

from services.audit.completeness.rules import Windows, delivery_ref
from services.audit.completeness.watch import CompletenessWatch
from services.audit.leaves import Leaf, leaf_of
from services.audit.store import SqlLedger
from shared.audit_records import AuditKind, AuditRecord, record_id_for

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
WINDOWS = Windows(60, 600, {"group": 120, "digest": 3600, "paused": 7200})


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def later(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class Published:
    """The RecordLog fake: keeps what was published; can be made to fail like an unreachable broker."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self.failing = False

    async def record(self, *, record: AuditRecord) -> None:
        if self.failing:
            raise ConnectionError("no broker")
        self.records.append(record)

    def kinds(self) -> list[tuple[str, str | None, str | None]]:
        return [(r.kind.value, r.recipient_id, r.outcome) for r in self.records]


def rec(kind: str, event_id: UUID, case_id: str = "C-1", **fields: Any) -> Leaf:
    record = AuditRecord.model_validate(
        {"record_id": uuid4(), "kind": kind, "service": "t", "case_id": case_id, "event_id": event_id,
         "event_type": "trigger.reported", **fields}
    )  # fmt: skip
    return leaf_of(record)


def gauge(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def watch(ledger: SqlLedger, published: Published, clock: Clock) -> CompletenessWatch:
    return CompletenessWatch(ledger.waits, published, WINDOWS, every_s=0, clock=clock)


def append(ledger: SqlLedger, watch: CompletenessWatch, *leaves: Leaf) -> None:
    ledger.append_sized(list(leaves), None, watch.track)


def check(watch: CompletenessWatch, clock: Clock) -> None:
    asyncio.run(watch.check(clock.now))


def test_an_event_decided_in_time_raises_nothing_and_leaves_no_row(
    ledger: SqlLedger, watch: CompletenessWatch, clock: Clock, published: Published
) -> None:
    event = uuid4()
    append(ledger, watch, rec("event.received", event, outcome="accepted"))
    clock.later(30)
    append(ledger, watch, rec("sharing.decided", event, outcome="no_team_members"))
    clock.later(60)
    check(watch, clock)
    assert published.records == [] and ledger.waits.due("9999") == [] and ledger.waits.overdue() == []


def test_an_undecided_event_is_alarmed_once_then_resolved_and_forgotten(
    ledger: SqlLedger, watch: CompletenessWatch, clock: Clock, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    event = uuid4()
    append(ledger, watch, rec("event.received", event, outcome="accepted"))
    clock.later(59)
    check(watch, clock)
    assert published.records == [] and gauge("drr_undecided_events") == 0
    clock.later(2)
    with caplog.at_level(logging.INFO, logger="services.audit.completeness.watch"):
        check(watch, clock)
        check(watch, clock)
    assert published.kinds() == [("completeness.alarm", None, "undecided")]
    assert published.records[0].record_id == record_id_for(AuditKind.COMPLETENESS_ALARM, str(event))
    assert gauge("drr_undecided_events") == 1
    [line] = [r for r in caplog.records if r.message == "completeness alarm"]
    assert line.event_id == str(event) and line.awaiting == "event"  # type: ignore[attr-defined]

    append(ledger, watch, rec("team.updated", event, outcome="applied"))
    assert gauge("drr_undecided_events") == 1  # until the next check
    check(watch, clock)
    assert published.kinds()[1:] == [("completeness.resolved", None, "decided")]
    assert gauge("drr_undecided_events") == 0 and ledger.waits.overdue() == [] and ledger.waits.resolved() == []


def test_nothing_is_alarmed_beyond_what_the_ledger_has_seen(
    ledger: SqlLedger, watch: CompletenessWatch, clock: Clock, published: Published
) -> None:
    append(ledger, watch, rec("event.received", uuid4(), outcome="accepted"))
    clock.later(3600)
    asyncio.run(watch.check(None))  # the consumer has not reached the end of the topic
    asyncio.run(watch.check(START + timedelta(seconds=59)))  # it has, but only as of a minute ago
    assert published.records == []
    check(watch, clock)
    assert len(published.records) == 1


def test_a_decision_stored_before_its_receipt_ends_the_wait_without_an_alarm(
    ledger: SqlLedger, watch: CompletenessWatch, clock: Clock, published: Published
) -> None:
    event, recipient = uuid4(), "p-1"
    append(ledger, watch, rec("email.sent", event, recipient_id=recipient, outcome="delivered"))
    append(ledger, watch, rec("sharing.decided", event, recipient_id=recipient, outcome="shared"))
    append(ledger, watch, rec("event.received", event, outcome="accepted"))
    assert {a.ref for a in ledger.waits.due("9999")} == {str(event), delivery_ref(str(event), recipient)}
    clock.later(700)
    check(watch, clock)
    assert published.records == [] and ledger.waits.due("9999") == []


def test_a_delivery_with_no_final_state_is_alarmed_after_its_window_and_a_held_one_later(
    ledger: SqlLedger, watch: CompletenessWatch, clock: Clock, published: Published
) -> None:
    sent_alone, held = uuid4(), uuid4()
    append(ledger, watch, rec("sharing.decided", sent_alone, recipient_id="p-1", outcome="shared"),
           rec("sharing.decided", held, recipient_id="p-1", outcome="shared"),
           rec("email.held", held, recipient_id="p-1", outcome="group"))  # fmt: skip
    clock.later(601)
    check(watch, clock)
    assert published.kinds() == [("completeness.alarm", "p-1", "unfinished")]
    assert published.records[0].event_id == sent_alone and gauge("drr_unfinished_deliveries") == 1
    clock.later(120)
    check(watch, clock)
    assert [r.event_id for r in published.records[1:]] == [held] and gauge("drr_unfinished_deliveries") == 2
    append(ledger, watch, rec("email.sent", held, recipient_id="p-1", outcome=f"in_email:{uuid4()}"),
           rec("email.dead_lettered", sent_alone, recipient_id="p-1", outcome="max_age_exceeded"))  # fmt: skip
    check(watch, clock)
    assert [r.kind for r in published.records[2:]] == [AuditKind.COMPLETENESS_RESOLVED] * 2
    assert gauge("drr_unfinished_deliveries") == 0


def test_a_pause_accepted_later_extends_the_wait_of_the_case_s_held_alerts(
    ledger: SqlLedger, watch: CompletenessWatch, clock: Clock, published: Published
) -> None:
    held, pause = uuid4(), uuid4()
    append(ledger, watch, rec("email.held", held, recipient_id="p-1", outcome="group"))
    clock.later(60)
    append(ledger, watch, rec("event.received", pause, outcome="accepted", event_type="alerts.paused"),
           rec("sharing.decided", pause, recipient_id="p-1", outcome="shared"),
           rec("email.sent", pause, recipient_id="p-1", outcome="delivered"))  # fmt: skip
    clock.later(2000)
    check(watch, clock)
    assert published.records == []
    clock.later(7200 + 600)
    check(watch, clock)
    assert [r.event_id for r in published.records] == [held]


def test_an_alarm_not_published_is_counted_and_published_next_time(
    ledger: SqlLedger, watch: CompletenessWatch, clock: Clock, published: Published
) -> None:
    event = uuid4()
    append(ledger, watch, rec("event.received", event, outcome="accepted"))
    clock.later(61)
    published.failing = True
    check(watch, clock)
    assert gauge("drr_undecided_events") == 1 and published.records == []
    published.failing = False
    append(ledger, watch, rec("sharing.decided", event, outcome="no_team_members"))
    check(watch, clock)  # resolved before its alarm went out: both are published, in order
    assert published.kinds() == [("completeness.alarm", None, "undecided"), ("completeness.resolved", None, "decided")]
    assert gauge("drr_undecided_events") == 0


def test_waits_are_written_with_their_leaves_or_not_at_all(ledger: SqlLedger, watch: CompletenessWatch) -> None:
    received = rec("event.received", uuid4(), outcome="accepted")
    broken = Leaf("new-key", "{}", tuple({**received.columns, "kind": None}.values()))
    with pytest.raises(Exception, match="(?i)null"):
        append(ledger, watch, received, broken)
    assert ledger.waits.due("9999") == [] and ledger.size() == 0
    append(ledger, watch, received)
    append(ledger, watch, received)  # redelivered: not a new fact, not a second wait
    assert len(ledger.waits.due("9999")) == 1


def test_the_service_may_change_its_waits_but_never_the_ledger(ledger: SqlLedger, watch: CompletenessWatch) -> None:
    append(ledger, watch, rec("event.received", uuid4(), outcome="accepted"))
    [awaited] = ledger.waits.due("9999")
    ledger.waits.mark([awaited.ref], "alarmed_at", "2026-12-02T09:00:00.000000Z")
    assert [a.ref for a in ledger.waits.overdue()] == [awaited.ref]
    ledger.waits.forget([awaited.ref])
    assert ledger.waits.overdue() == []
    with pytest.raises(Exception, match="append-only|permission denied"), ledger.db.write() as db:
        ledger.db.run(db, "DELETE FROM leaves")


def test_received_finds_what_intake_recorded(ledger: SqlLedger, watch: CompletenessWatch) -> None:
    event = uuid4()
    append(ledger, watch, rec("event.received", event, case_id="C-9", outcome="accepted"))
    found = ledger.waits.received(str(event))
    assert found is not None and found[:2] == ("C-9", "trigger.reported")
    assert ledger.waits.received(str(uuid4())) is None
