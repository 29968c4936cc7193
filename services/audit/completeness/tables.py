"""The waiting list in the audit database: operational, not part of the ledger, so rows are updated and
deleted (the ledger's tables stay append-only). Written in the same transaction as the batch of leaves it
comes from, so a restart neither forgets a wait nor counts one twice; a wait is deleted once it ends.

Columns: `ref` (event id, or event id/recipient id), what is awaited, ids, the due time, the hold kind,
and how far the check has got (alarmed, alarm published, resolved after the alarm).
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from services.audit.completeness.rules import DECIDED, FAILED, FINAL_FAILURES, FINISHED, Awaited, Awaiting, Changes
from services.audit.database import Database

TABLE = "awaited"
COLUMNS = ("ref", "what", "event_id", "due_at", "case_id", "event_type", "recipient_id", "held")
STATE = ("alarmed_at", "announced", "resolved_at")
_quoted = ", ".join  # a helper for literal lists built from the rules' own constants, never from input


def _literals(values: Iterable[str]) -> str:
    return _quoted(f"'{value}'" for value in sorted(values))


CLOSING = {
    Awaiting.DECISION: f"kind IN ({_literals(DECIDED)})",
    Awaiting.FINAL_STATE: f"recipient_id = :recipient AND (kind IN ({_literals(FINISHED)}) "
    f"OR (kind = '{FAILED}' AND outcome IN ({_literals(FINAL_FAILURES)})))",
}
"""The leaves that end a wait (rules.py), as SQL over the leaves' own columns."""


class CompletenessTables:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._keys = db.dialect.json_keys

    def track(self, db: Any, found: Changes, resolved_at: str) -> None:
        """Apply one batch's changes inside the batch's own write transaction (`db`)."""
        self._db.many(db, TABLE, COLUMNS, [_row(a) for a in found.opened.values()], "ON CONFLICT DO NOTHING")
        held = "ON CONFLICT (ref) DO UPDATE SET due_at = excluded.due_at, held = excluded.held"
        self._db.many(db, TABLE, COLUMNS, [_row(a) for a in found.held.values()], held)
        for case_id, due in found.paused.items():
            query = f"UPDATE {TABLE} SET due_at = :due WHERE case_id = :case AND held IS NOT NULL AND due_at < :due"
            self._db.run(db, query, {"case": case_id, "due": due})
        if found.closed:
            keys = {"keys": json.dumps(sorted(found.closed)), "at": resolved_at}
            refs = f"ref IN (SELECT value FROM {self._keys})"
            self._db.run(db, f"DELETE FROM {TABLE} WHERE {refs} AND alarmed_at IS NULL", keys)
            self._db.run(db, f"UPDATE {TABLE} SET resolved_at = :at WHERE {refs} AND resolved_at IS NULL", keys)

    def due(self, until: str, limit: int = 1000) -> list[Awaited]:
        """Waits past their due time that no alarm was raised for yet, oldest first."""
        where = "alarmed_at IS NULL AND due_at <= :until ORDER BY due_at LIMIT :limit"
        return self._select(where, {"until": until, "limit": limit})

    def overdue(self) -> list[Awaited]:
        """Alarmed and not yet resolved: what the gauges count."""
        return self._select("alarmed_at IS NOT NULL AND resolved_at IS NULL ORDER BY due_at", {})

    def overdue_counts(self) -> dict[Awaiting, int]:
        query = f"SELECT what, COUNT(*) FROM {TABLE} WHERE alarmed_at IS NOT NULL AND resolved_at IS NULL GROUP BY what"
        with self._db.connect() as db:
            counts = {Awaiting(row[0]): int(row[1]) for row in self._db.run(db, query)}
        return {what: counts.get(what, 0) for what in Awaiting}

    def unannounced(self) -> list[Awaited]:
        return self._select("alarmed_at IS NOT NULL AND announced = 0 AND resolved_at IS NULL", {})

    def resolved(self) -> list[Awaited]:
        return self._select("resolved_at IS NOT NULL", {})

    def ended_in_ledger(self, awaited: Awaited) -> bool:
        """Whether a leaf ending this wait is already stored (it reached the ledger before the wait began)."""
        query = f"SELECT 1 FROM leaves WHERE case_id = :case AND event_id = :event AND {CLOSING[awaited.what]} LIMIT 1"
        params = {"case": awaited.case_id, "event": awaited.event_id, "recipient": awaited.recipient_id}
        with self._db.connect() as db:
            return self._db.run(db, query, params).fetchone() is not None

    def mark(self, refs: Sequence[str], column: str, value: str | int) -> None:
        """Set `alarmed_at` (a time) or `announced` (1) on these waits."""
        assert column in ("alarmed_at", "announced"), column
        self._for_refs(f"UPDATE {TABLE} SET {column} = :value WHERE ref IN (SELECT value FROM {{keys}})", refs,
                       {"value": value})  # fmt: skip

    def forget(self, refs: Sequence[str]) -> None:
        self._for_refs(f"DELETE FROM {TABLE} WHERE ref IN (SELECT value FROM {{keys}})", refs, {})

    def received(self, event_id: str) -> tuple[str, str | None, str] | None:
        """The case, event type and time intake recorded an event as accepted (a scan: operator use only)."""
        query = "SELECT case_id, event_type, recorded_at FROM leaves WHERE kind = 'event.received' AND event_id = :e"
        with self._db.connect() as db:
            row = self._db.run(db, query + " LIMIT 1", {"e": event_id}).fetchone()
            return None if row is None else (str(row[0]), row[1], str(row[2]))

    def _for_refs(self, statement: str, refs: Sequence[str], params: dict[str, Any]) -> None:
        if refs:
            with self._db.write() as db:
                self._db.run(db, statement.format(keys=self._keys), {**params, "keys": json.dumps(list(refs))})

    def _select(self, where: str, params: dict[str, Any]) -> list[Awaited]:
        query = f"SELECT {', '.join((*COLUMNS, *STATE))} FROM {TABLE} WHERE {where}"
        with self._db.connect() as db:
            return [_awaited(row) for row in self._db.run(db, query, params)]


def _row(awaited: Awaited) -> tuple[str | None, ...]:
    values = [getattr(awaited, name) for name in COLUMNS]
    return tuple(value.value if isinstance(value, Awaiting) else value for value in values)


def _awaited(row: Sequence[Any]) -> Awaited:
    ref, what, event_id, due_at, case_id, event_type, recipient_id, held, alarmed_at, announced, resolved = row
    return Awaited(
        ref, Awaiting(what), event_id, due_at, case_id, event_type, recipient_id, held, alarmed_at, bool(announced),
        resolved,
    )  # fmt: skip
