"""The claims (table `receipts`) are pruned by claim time: accepted claims past the cutoff go, a pending claim goes
only when also stale, in bounded batches, with an index on claimed_at (added to existing files too)."""

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from services.intake.store import Claim, SqliteStore

NOW = 1_000_000.0


def add(store: SqliteStore, claimed_at: float, state: str = "accepted") -> str:
    key = f"event:{uuid.uuid4()}"
    won, _ = store.claim(claim=Claim(key, "digest", key[6:], "pending", claimed_at), stale_before=0, agency="probation")
    assert won
    if state == "accepted":
        store.confirm(idempotency_key=key)
    return key


@contextmanager
def raw_db(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A second connection to the file, committed and closed on the way out."""
    with closing(sqlite3.connect(db_path)) as raw, raw:
        yield raw


def remaining(db_path: Path) -> set[str]:
    with raw_db(db_path) as raw:
        return {row[0] for row in raw.execute("SELECT idempotency_key FROM receipts")}


@pytest.mark.parametrize(
    ("claimed_at", "state", "kept"),
    [
        (NOW - 200, "accepted", False),  # past the retention: pruned
        (NOW - 50, "accepted", True),  # within the retention: kept
        (NOW - 50, "pending", True),  # a young claim: its request may still be publishing
        (NOW - 200, "pending", False),  # older than the retention and stale: its request died
        (NOW - 101, "pending", True),  # past the retention but not yet stale: kept
        (NOW - 100, "accepted", True),  # exactly at the cutoff: not older than it
    ],
)
def test_prune_by_age_and_state(store: SqliteStore, db_path: Path, claimed_at: float, state: str, kept: bool) -> None:
    key = add(store, claimed_at, state)
    deleted = store.prune(older_than=NOW - 100, stale_before=NOW - 150)
    assert (key in remaining(db_path)) is kept
    assert deleted == (0 if kept else 1)


def test_without_a_stale_cutoff_pending_claims_go_at_the_retention(store: SqliteStore, db_path: Path) -> None:
    old, young = add(store, NOW - 101, "pending"), add(store, NOW - 99, "pending")
    assert store.prune(older_than=NOW - 100) == 1
    assert remaining(db_path) == {young} and old not in remaining(db_path)


@pytest.mark.parametrize("old_rows", [2_500, 2_000])  # a partial last batch, and an exact multiple
def test_a_backlog_is_deleted_in_batches(store: SqliteStore, db_path: Path, old_rows: int) -> None:
    kept = {add(store, NOW - 10) for _ in range(30)}
    for _ in range(old_rows):
        add(store, NOW - 500)
    deletes: list[str] = []
    store._db.set_trace_callback(lambda sql: deletes.append(sql) if sql.startswith("DELETE") else None)
    try:
        assert store.prune(older_than=NOW - 100, batch=1_000) == old_rows
    finally:
        store._db.set_trace_callback(None)
    assert len(deletes) == old_rows // 1_000 + 1  # never one statement for the whole backlog
    assert remaining(db_path) == kept


def test_the_default_batch_is_bounded_and_covers_a_larger_backlog(store: SqliteStore, db_path: Path) -> None:
    with raw_db(db_path) as raw:  # 12,000 old claims written directly: faster than 12,000 claims
        rows = [(f"event:{n}", "d", str(uuid.uuid4()), "accepted", NOW - 500) for n in range(12_000)]
        raw.executemany("INSERT INTO receipts VALUES (?, ?, ?, ?, ?)", rows)
    young = add(store, NOW)
    assert store.prune(older_than=NOW - 100) == 12_000
    assert remaining(db_path) == {young}


def test_claimed_at_is_indexed_and_the_index_is_added_to_an_existing_database(tmp_path: Path) -> None:
    db_path = tmp_path / "old.sqlite3"
    with raw_db(db_path) as raw:  # a database written before the index existed
        raw.execute(
            "CREATE TABLE receipts (idempotency_key TEXT PRIMARY KEY, digest TEXT NOT NULL, "
            "event_id TEXT NOT NULL, state TEXT NOT NULL, claimed_at REAL NOT NULL)"
        )
        raw.execute("INSERT INTO receipts VALUES ('event:x', 'd', 'x', 'accepted', 1.0)")
    SqliteStore(db_path).close()
    with raw_db(db_path) as raw:
        indexes = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
        plan = raw.execute("EXPLAIN QUERY PLAN SELECT rowid FROM receipts WHERE claimed_at < 5").fetchall()
        assert raw.execute("SELECT count(*) FROM receipts").fetchone() == (1,)
    assert any("claimed_at" in (sql or "") for _, sql in indexes)
    assert "receipts_by_claimed_at" in str(plan)
