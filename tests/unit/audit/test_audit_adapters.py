"""The SQLite ledger on a real file: append, dedupe, append-only triggers, filtering and paging."""

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from uuid import uuid4

import pytest

from services.audit.adapters import Ledger
from services.audit.ledger import GENESIS
from shared.audit_records import AuditRecord, canonical_json


def _record(case_id: str | None = "case-1", kind: str = "event.received") -> AuditRecord:
    fields = {"record_id": uuid4(), "kind": kind, "service": "t", "case_id": case_id}
    return AuditRecord.model_validate(fields)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger.open(tmp_path / "nested" / "dir" / "audit.sqlite3")


@pytest.fixture
def raw(ledger: Ledger) -> Iterator[sqlite3.Connection]:
    """A plain connection to the same file, as someone bypassing the service would use."""
    with closing(sqlite3.connect(ledger.path, isolation_level=None)) as db:
        yield db


def test_open_makes_parent_dirs_uses_wal_and_is_repeatable(ledger: Ledger, raw: sqlite3.Connection) -> None:
    ledger.append([_record()])
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert Ledger.open(ledger.path).head().seq == 1


def test_append_chains_records_from_genesis_as_specified(ledger: Ledger) -> None:
    records = [_record(), _record(case_id=None), _record(kind="email.sent")]
    assert ledger.append(records) == 3
    entries = ledger.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    prev = GENESIS
    for record, entry in zip(records, entries, strict=True):
        assert entry.record_json == canonical_json(record.model_dump(mode="json"))
        assert entry.prev_hash == prev
        assert entry.entry_hash == hashlib.sha256(prev.encode() + entry.record_json).hexdigest()
        prev = entry.entry_hash
    assert (ledger.head().seq, ledger.head().entry_hash) == (3, prev)


def test_append_continues_the_chain_across_calls(ledger: Ledger) -> None:
    ledger.append([_record()])
    first = ledger.head()
    ledger.append([_record()])
    assert ledger.entries(after_seq=1)[0].prev_hash == first.entry_hash
    assert ledger.first_broken() is None


def test_a_redelivered_record_is_skipped_not_appended_twice(ledger: Ledger) -> None:
    one, two = _record(), _record()
    assert ledger.append([one, two]) == 2
    head = ledger.head()
    assert ledger.append([two, one]) == 0
    assert ledger.append([two, _record(), two]) == 1
    assert ledger.head().seq == head.seq + 1
    assert [e.seq for e in ledger.entries()] == [1, 2, 3]


def test_an_empty_ledger_has_a_genesis_head_and_verifies(ledger: Ledger) -> None:
    assert (ledger.head().seq, ledger.head().entry_hash) == (0, GENESIS)
    assert ledger.entries() == []
    assert ledger.first_broken() is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET case_id = 'other' WHERE seq = 1",
        "UPDATE audit_entries SET record_json = '{}'",
        "DELETE FROM audit_entries WHERE seq = 2",
        "DELETE FROM audit_entries",
    ],
)
def test_the_database_refuses_updates_and_deletes(ledger: Ledger, raw: sqlite3.Connection, statement: str) -> None:
    ledger.append([_record(), _record()])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(statement)
    assert ledger.head().seq == 2 and ledger.first_broken() is None


def test_the_database_refuses_inserts_off_the_head_or_replacing_a_record(
    ledger: Ledger, raw: sqlite3.Connection
) -> None:
    existing = _record()
    ledger.append([existing, _record()])
    head = ledger.head()
    insert = "INSERT {} INTO audit_entries VALUES (?, ?, 'kind', NULL, NULL, NULL, 'x', '{{}}', ?, ?)"
    attempts = [
        ("", (2, str(uuid4()), head.entry_hash, "a" * 64)),  # seq taken
        ("", (4, str(uuid4()), head.entry_hash, "a" * 64)),  # gap
        ("", (3, str(uuid4()), GENESIS, "a" * 64)),  # not linked to the head
        ("OR REPLACE", (3, str(existing.record_id), head.entry_hash, "a" * 64)),
    ]
    for conflict, row in attempts:
        with pytest.raises(sqlite3.IntegrityError, match="head of its chain"):
            raw.execute(insert.format(conflict), row)
    assert [e.seq for e in ledger.entries()] == [1, 2]


def test_entries_filter_by_case_and_page_by_seq(ledger: Ledger) -> None:
    ledger.append([_record("a"), _record("b"), _record("a"), _record(None), _record("a"), _record("b")])
    assert [e.seq for e in ledger.entries(case_id="a")] == [1, 3, 5]
    assert [e.seq for e in ledger.entries(case_id="a", after_seq=1, limit=1)] == [3]
    assert [e.seq for e in ledger.entries(case_id="a", after_seq=5)] == []
    assert [e.seq for e in ledger.entries(after_seq=2, limit=3)] == [3, 4, 5]
    assert ledger.entries(case_id="nobody") == []


def test_tampering_around_the_triggers_is_detected(ledger: Ledger, raw: sqlite3.Connection) -> None:
    ledger.append([_record() for _ in range(4)])
    raw.execute("DROP TRIGGER audit_entries_no_update")
    raw.execute("UPDATE audit_entries SET record_json = replace(record_json, 'case-1', 'x') WHERE seq = 3")
    assert ledger.first_broken() == 2
