"""The ledger's SQLite storage: one append-only table, enforced by triggers in the database itself.

Each call opens its own short-lived connection, so the consumer (in a worker thread) and HTTP
handlers (in the threadpool) never share one; WAL mode lets readers run while a batch is written.
"""

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from services.audit.ledger import GENESIS, Entry, Head, extend, first_broken, record_json
from shared.audit_records import AuditRecord

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit_entries (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    record_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    case_id TEXT,
    event_id TEXT,
    event_type TEXT,
    recorded_at TEXT NOT NULL,
    record_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    entry_hash TEXT NOT NULL UNIQUE CHECK (length(entry_hash) = 64)
);
CREATE INDEX IF NOT EXISTS audit_entries_by_case ON audit_entries (case_id, seq);
CREATE TRIGGER IF NOT EXISTS audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_entries_at_head BEFORE INSERT ON audit_entries
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_entries)
  OR NEW.prev_hash IS NOT COALESCE(
       (SELECT entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1), '{GENESIS}')
  OR EXISTS (SELECT 1 FROM audit_entries WHERE record_id = NEW.record_id)
BEGIN SELECT RAISE(ABORT, 'audit_entries only grows at the head of its chain'); END;
"""
_INSERT = """INSERT INTO audit_entries (seq, record_id, kind, case_id, event_id, event_type,
    recorded_at, record_json, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_COLUMNS = "seq, record_json, prev_hash, entry_hash"


class Ledger:
    """Repository of ledger entries in the SQLite file at `path`; build it with `Ledger.open`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: Path) -> "Ledger":
        """Create the file (and its parent folders), the table and its triggers if missing."""
        path.parent.mkdir(parents=True, exist_ok=True)
        ledger = cls(path)
        with ledger._connect() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(SCHEMA)
        return ledger

    def append(self, records: Iterable[AuditRecord]) -> int:
        """Chain the records not already in the ledger (by record_id) onto it; returns how many."""
        with self._connect() as db, _immediate(db):
            fresh = _unseen(db, records)
            entries = extend(_head(db), (record_json(r) for r in fresh))
            db.executemany(_INSERT, [_row(r, e) for r, e in zip(fresh, entries, strict=True)])
        return len(entries)

    def entries(self, case_id: str | None = None, after_seq: int = 0, limit: int = 100) -> list[Entry]:
        """Up to `limit` entries with seq > after_seq, oldest first, optionally one case's only."""
        where = "seq > :after" if case_id is None else "case_id = :case_id AND seq > :after"
        query = f"SELECT {_COLUMNS} FROM audit_entries WHERE {where} ORDER BY seq LIMIT :limit"
        params = {"case_id": case_id, "after": after_seq, "limit": limit}
        with self._connect() as db:
            return [_entry(row) for row in db.execute(query, params)]

    def head(self) -> Head:
        with self._connect() as db:
            return _head(db)

    def first_broken(self) -> int | None:
        """Verify the whole chain in one streaming pass; see ledger.first_broken."""
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM audit_entries ORDER BY seq")
            return first_broken(_entry(row) for row in rows)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10.0, isolation_level=None)) as db:
            # So that a REPLACE's implicit deletes fire the delete trigger too (belt and braces:
            # the insert trigger already refuses a record_id the ledger holds).
            db.execute("PRAGMA recursive_triggers = ON")
            yield db


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken up front so reading the head and appending cannot interleave."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _unseen(db: sqlite3.Connection, records: Iterable[AuditRecord]) -> list[AuditRecord]:
    seen: set[str] = set()
    fresh: list[AuditRecord] = []
    for record in records:
        key = str(record.record_id)
        exists = db.execute("SELECT 1 FROM audit_entries WHERE record_id = ?", (key,)).fetchone()
        if key not in seen and exists is None:
            fresh.append(record)
        seen.add(key)
    return fresh


def _head(db: sqlite3.Connection) -> Head:
    row = db.execute("SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1").fetchone()
    return Head(row[0], row[1]) if row else Head()


def _row(record: AuditRecord, entry: Entry) -> Sequence[object]:
    data = record.model_dump(mode="json")
    return (
        entry.seq,
        data["record_id"],
        data["kind"],
        data["case_id"],
        data["event_id"],
        data["event_type"],
        data["recorded_at"],
        entry.record_json.decode(),
        entry.prev_hash,
        entry.entry_hash,
    )


def _entry(row: tuple[int, str, str, str]) -> Entry:
    return Entry(seq=row[0], record_json=row[1].encode(), prev_hash=row[2], entry_hash=row[3])
