"""The completeness check's plumbing: waits written with each batch, and between batches an alarm for
each one past its due time, published to drr.audit (so it becomes a leaf, visible to oversight by kind
`completeness.alarm`), logged once with ids only, and counted by the gauges `drr_undecided_events` and
`drr_unfinished_deliveries`; when the missing record comes after all, a `completeness.resolved` leaf.

A wait is judged only against what the ledger has seen: `check(seen_until)` is given the time up to which
every record on the topic is stored (the consumer's last poll that reached the end), so a backlog or a
restart never raises an alarm for a record that is merely still on its way. Alarm and resolution record
ids derive from the wait, so one published twice after a crash is one leaf.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.audit.completeness.rules import KINDS, Awaited, Awaiting, Fact, Windows, changes
from services.audit.completeness.tables import CompletenessTables
from services.audit.leaves import Leaf, timestamp
from services.audit.metrics import UNDECIDED, UNFINISHED
from services.audit.records import RecordLog, completeness_record
from shared.audit_records import AuditKind, AuditRecord

log = logging.getLogger(__name__)
OUTCOMES = {
    AuditKind.COMPLETENESS_ALARM: {Awaiting.DECISION: "undecided", Awaiting.FINAL_STATE: "unfinished"},
    AuditKind.COMPLETENESS_RESOLVED: {Awaiting.DECISION: "decided", Awaiting.FINAL_STATE: "finished"},
}


def _record(awaited: Awaited, kind: AuditKind) -> AuditRecord:
    a, outcome = awaited, OUTCOMES[kind][awaited.what]
    return completeness_record(kind, ref=a.ref, event_id=a.event_id, outcome=outcome, case_id=a.case_id,
                               event_type=a.event_type, recipient_id=a.recipient_id)  # fmt: skip


class CompletenessWatch:
    def __init__(
        self,
        tables: CompletenessTables,
        records: RecordLog,
        windows: Windows,
        *,
        every_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._tables, self._records, self.windows = tables, records, windows
        self._every_s, self._clock = every_s, clock
        self._last: datetime | None = None

    def track(self, db: Any, fresh: list[Leaf]) -> None:
        """The waits the batch's new leaves open and end (the `also` of store.SqlLedger.append_sized)."""
        facts = [Fact.of(leaf.values) for leaf in fresh if leaf.values[0] in KINDS]
        if facts:
            now = self._clock()
            self._tables.track(db, changes(facts, now, self.windows), timestamp(now))

    async def check(self, seen_until: datetime | None) -> None:
        """At most every `every_s`: alarms for waits due by `seen_until`, then publish what is pending."""
        now = self._clock()
        if seen_until is None or (self._last is not None and (now - self._last).total_seconds() < self._every_s):
            return
        self._last = now
        await asyncio.to_thread(self._raise_alarms, timestamp(seen_until), timestamp(now))
        try:
            await self._announce()
        except Exception as error:  # Kafka unavailable: the gauges still say it; published next time
            log.warning("completeness records not published", extra={"error": type(error).__name__})
        await asyncio.to_thread(self.refresh_gauges)

    def _raise_alarms(self, until: str, now: str) -> None:
        ended: list[Awaited] = []
        alarmed: list[Awaited] = []
        for awaited in self._tables.due(until):
            (ended if self._tables.ended_in_ledger(awaited) else alarmed).append(awaited)
        self._tables.forget([a.ref for a in ended])
        self._tables.mark([a.ref for a in alarmed], "alarmed_at", now)
        for awaited in alarmed:
            log.warning("completeness alarm", extra=_ids(awaited))

    async def _announce(self) -> None:
        for awaited in await asyncio.to_thread(self._tables.unannounced):
            await self._records.record(record=_record(awaited, AuditKind.COMPLETENESS_ALARM))
            await asyncio.to_thread(self._tables.mark, [awaited.ref], "announced", 1)
        for awaited in await asyncio.to_thread(self._tables.resolved):
            if not awaited.announced:  # resolved before its alarm went out: oversight still learns it was late
                await self._records.record(record=_record(awaited, AuditKind.COMPLETENESS_ALARM))
            await self._records.record(record=_record(awaited, AuditKind.COMPLETENESS_RESOLVED))
            log.info("completeness alarm resolved", extra=_ids(awaited))
            await asyncio.to_thread(self._tables.forget, [awaited.ref])

    def refresh_gauges(self) -> None:
        counts = self._tables.overdue_counts()
        UNDECIDED.set(counts[Awaiting.DECISION])
        UNFINISHED.set(counts[Awaiting.FINAL_STATE])


def _ids(awaited: Awaited) -> dict[str, str | None]:
    return {"awaiting": awaited.what.value, "event_id": awaited.event_id, "recipient_id": awaited.recipient_id,
            "case_id": awaited.case_id, "due_at": awaited.due_at}  # fmt: skip
