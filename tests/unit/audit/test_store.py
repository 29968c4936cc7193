"""The repository on both databases: append, dedupe, offsets in the same transaction, filters, and a
database that refuses every change to what it stores (SQLite and PostgreSQL alike)."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from drr_verify.proofs import Accumulator, leaf_hash, verify_inclusion

from services.audit import merkle, tree_reads
from services.audit.leaves import EntryFilter, Leaf, leaf_of
from services.audit.postgres_store import PostgresDatabase, PostgresLedger
from services.audit.schema import SQLITE
from services.audit.sqlite_store import SqliteLedger
from services.audit.store import OutdatedSchema, SqlLedger, StoredCheckpoint
from shared.audit_records import AuditRecord


def record(**fields: Any) -> AuditRecord:
    return AuditRecord.model_validate({"record_id": uuid4(), "kind": "sharing.decided", "service": "t", **fields})


def leaves(count: int, **fields: Any) -> list[Leaf]:
    return [leaf_of(record(case_id=f"case-{i % 3}", **fields)) for i in range(count)]


def test_append_builds_the_rfc6962_tree_over_the_exact_leaf_text(ledger: SqlLedger) -> None:
    batch = leaves(11)
    assert ledger.append(batch[:4]) == 4 and ledger.append(batch[4:]) == 7
    expected = Accumulator()
    for leaf in batch:
        expected.add(leaf_hash(leaf.text.encode()))
    with ledger.reader() as node:
        assert merkle.root(11, node) == expected.root()
        proof = merkle.inclusion_proof(5, 11, node)
    assert verify_inclusion(5, 11, leaf_hash(batch[5].text.encode()), proof, expected.root())
    assert [s.text for s in ledger.entries(EntryFilter(), 0, 100)] == [leaf.text for leaf in batch]


def test_redelivered_facts_are_skipped_and_offsets_kept_with_the_leaves(ledger: SqlLedger) -> None:
    batch = leaves(3)
    assert ledger.append(batch, {("drr.audit", 0): 3}) == 3
    assert ledger.append([batch[1], batch[0], leaves(1)[0], batch[2]], {("drr.audit", 0): 7}) == 1
    assert ledger.size() == 4
    assert ledger.offsets() == {("drr.audit", 0): 7}


def test_a_failed_append_stores_neither_leaves_nor_offsets(ledger: SqlLedger) -> None:
    ledger.append(leaves(2), {("drr.audit", 0): 2})
    columns = {**leaves(1)[0].columns, "kind": None}  # kind is NOT NULL: the second insert fails
    broken = Leaf("new-key", "{}", tuple(columns.values()))
    with pytest.raises(Exception, match="(?i)null"):
        ledger.append([leaves(1)[0], broken], {("drr.audit", 0): 9})
    assert ledger.size() == 2 and ledger.offsets() == {("drr.audit", 0): 2}
    assert ledger.append(leaves(1), {("drr.audit", 0): 3}) == 1  # the writer recovers from the failure
    assert ledger.size() == 3 and ledger.offsets() == {("drr.audit", 0): 3}


def test_each_leaf_row_holds_its_rfc6962_hash_and_nodes_hold_only_the_levels_above(ledger: SqlLedger) -> None:
    batch = leaves(5)
    ledger.append(batch)
    exported = list(ledger.leaves_with_hashes(5))
    assert [(stored.index, stored.text, digest) for stored, digest in exported] == [
        (i, leaf.text, leaf_hash(leaf.text.encode())) for i, leaf in enumerate(batch)
    ]
    with ledger.db.connect() as db:
        levels = sorted(tuple(row) for row in db.execute("SELECT level, idx FROM nodes"))
    assert levels == [(1, 0), (1, 1), (2, 0)]


def test_a_ledger_made_before_leaf_hashes_were_stored_is_refused_at_start(tmp_path: Any) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        columns_before = SQLITE.columns("leaves").split("hash BLOB")[0].strip().rstrip(",")  # those before the hash
        assert "hash" not in columns_before
        db.execute(f"CREATE TABLE leaves ({columns_before})")
    db.close()
    with pytest.raises(OutdatedSchema, match="replay the audit topic"):
        SqliteLedger.open(tmp_path / "old.sqlite3")


def test_a_sqlite_ledger_made_before_records_were_signed_gains_the_signature_columns(tmp_path: Any) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.execute(f"CREATE TABLE leaves ({SQLITE.columns('leaves').split(', signer')[0]})")
    db.close()
    ledger = SqliteLedger.open(tmp_path / "old.sqlite3")
    ledger.append(leaves(1))
    assert [(e.signer, e.signature) for e in ledger.entries(EntryFilter())] == [(None, None)]
    ledger.close()


def test_entries_filter_and_page(ledger: SqlLedger) -> None:
    now = datetime.now(UTC)
    facts = [
        record(case_id="a", recipient_role="police", recipient_agency="police", recorded_at=now),
        record(case_id="b", source_agency="prison", event_type="release.scheduled", recorded_at=now),
        record(case_id="a", recipient_id="p-1", outcome="no_team_members", recorded_at=now + timedelta(hours=1)),
        record(case_id="a", correlation_id="corr-9", kind="email.sent", recorded_at=now + timedelta(hours=2)),
    ]
    ledger.append([leaf_of(f) for f in facts])

    def indexes(where: EntryFilter, start: int = 0, limit: int = 100) -> list[int]:
        return [s.index for s in ledger.entries(where, start, limit)]

    assert indexes(EntryFilter(case_id="a")) == [0, 2, 3]
    assert indexes(EntryFilter(case_id="a"), start=1, limit=1) == [2]
    assert indexes(EntryFilter(agency="police")) == [0] and indexes(EntryFilter(agency="prison")) == [1]
    assert indexes(EntryFilter(role="police")) == [0] and indexes(EntryFilter(recipient="p-1")) == [2]
    assert indexes(EntryFilter(event_type="release.scheduled")) == [1]
    assert indexes(EntryFilter(decision="no_team_members")) == [2]
    assert indexes(EntryFilter(correlation_id="corr-9")) == [3] and indexes(EntryFilter(kind="email.sent")) == [3]
    window = EntryFilter(since=now + timedelta(minutes=30), until=now + timedelta(minutes=90))
    assert indexes(window) == [2]


def raw(ledger: SqlLedger, statement: str) -> None:
    """Bypass the service: a plain connection with the same credentials, as an intruder would use."""
    if isinstance(ledger, SqliteLedger):
        import sqlite3

        with sqlite3.connect(ledger.path, isolation_level=None) as db:
            db.execute(statement)
    else:
        assert isinstance(ledger, PostgresLedger)
        with psycopg.connect(ledger.url, autocommit=True) as db:
            db.execute(statement.encode())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE leaves SET case_id = 'other' WHERE idx = 1",
        "DELETE FROM leaves WHERE idx = 1",
        "UPDATE nodes SET hash = hash",
        "DELETE FROM checkpoints",
        "DELETE FROM consumed_offsets",
        "UPDATE oversight_tokens SET name = 'x'",
    ],
)
def test_the_database_refuses_updates_and_deletes(ledger: SqlLedger, statement: str) -> None:
    ledger.append(leaves(3), {("drr.audit", 0): 3})
    ledger.add_checkpoint(StoredCheckpoint(3, b"r" * 32, "note", "t"))
    ledger.tokens.add(token_sha256="d" * 64, name="ICO", issued_at="t")
    with pytest.raises(Exception, match="append-only|permission denied"):
        raw(ledger, statement)
    assert ledger.size() == 3 and ledger.offsets() == {("drr.audit", 0): 3}


def test_postgres_refuses_truncate_even_to_its_owner(pg_ledger: PostgresLedger, postgres: str) -> None:
    pg_ledger.append(leaves(2))
    owner = postgres.rsplit("/", 1)[0] + "/" + pg_ledger.url.rsplit("/", 1)[1]
    for statement in ("TRUNCATE leaves", "UPDATE leaves SET leaf = '{}'", "DELETE FROM nodes"):
        with psycopg.connect(owner, autocommit=True) as db, pytest.raises(psycopg.Error, match="append-only"):
            db.execute(statement.encode())
    with pytest.raises(psycopg.Error, match="permission denied"):
        raw(pg_ledger, "TRUNCATE leaves")
    assert pg_ledger.size() == 2


def test_sqlite_refuses_leaves_off_the_end(tmp_path: Any) -> None:
    ledger = SqliteLedger.open(tmp_path / "a.sqlite3")
    ledger.append(leaves(2))
    for idx in (1, 5):
        with pytest.raises(Exception, match="grow at the end"):
            raw(
                ledger,
                f"INSERT INTO leaves (idx, dedupe_key, kind, recorded_at, leaf) VALUES ({idx}, 'k', 'x', 'x', '{{}}')",
            )


def test_a_prefetching_reader_reads_every_node_a_proof_needs_in_one_go(ledger: SqlLedger) -> None:
    batch = leaves(13)
    ledger.append(batch)
    indexes = [0, 6, 12]
    wanted = merkle.nodes_read(lambda node: [merkle.inclusion_proof(i, 13, node) for i in indexes])
    with ledger.reader() as plain:
        expected = [merkle.inclusion_proof(i, 13, plain) for i in indexes]
        root = merkle.root(13, plain)
    with ledger.reader(wanted) as node:
        proofs = [merkle.inclusion_proof(i, 13, node) for i in indexes]
    assert proofs == expected and len(wanted) < 3 * 4
    with ledger.db.connect() as db:  # the one query the prefetch makes finds every node the proofs read
        assert set(tree_reads.nodes(ledger.db, db, sorted(wanted))) == wanted
    for index, proof in zip(indexes, proofs, strict=True):
        assert verify_inclusion(index, 13, leaf_hash(batch[index].text.encode()), proof, root)


def test_postgres_connections_are_reused_until_closed(pg_ledger: PostgresLedger) -> None:
    def backend() -> int:
        with pg_ledger.db.connect() as db:
            return int(db.execute("SELECT pg_backend_pid()").fetchone()[0])

    first = backend()
    assert backend() == first
    with pytest.raises(psycopg.errors.UndefinedTable), pg_ledger.db.connect() as db:
        db.execute("SELECT * FROM nowhere")
    assert backend() != first  # the one that failed was closed, not handed out again
    pg_ledger.close()
    assert isinstance(pg_ledger.db, PostgresDatabase) and pg_ledger.db._idle == []
