"""The ledger's repository: the same SQL over SQLite (default) or PostgreSQL (sqlite_store, postgres_store).

Every ledger table only grows (the databases' triggers refuse UPDATE, DELETE and TRUNCATE): leaves with
their hashes (level 0 of the tree, in the leaf's own row), the perfect-subtree hashes above them
(`nodes`), signed checkpoints and consumed Kafka offsets. Appending is deduplicated and atomic with the
offsets; proofs and roots are folded from the stored hashes (tree_reads). Beside the ledger, in the same
database: the oversight tokens (`tokens`) and the completeness check's waiting list (`waits`).
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from services.audit import merkle, tree_reads
from services.audit.completeness.tables import CompletenessTables
from services.audit.database import Database
from services.audit.leaves import COLUMNS, EntryFilter, Leaf, StoredLeaf
from services.audit.schema import ADDED_COLUMNS
from services.audit.token_store import StoredToken, TokenTables

__all__ = ["Offsets", "SqlLedger", "StoredCheckpoint", "StoredToken", "OutdatedSchema"]
Offsets = Mapping[tuple[str, int], int]
"""(topic, partition) -> the next offset to consume."""
LEAF_COLUMNS = ("idx", "dedupe_key", *COLUMNS, "leaf", "hash")
AlsoWrite = Callable[[Any, list[Leaf]], None]
"""Given the write transaction's connection and the leaves not seen before."""
PROBES = (
    (("SELECT hash, signer, signature FROM leaves WHERE idx < 0",),
     "the leaves table lacks the hash column (replay the audit topic into a new ledger) or the signature columns "
     "(PostgreSQL: run `audit db-init`)"),
    (("SELECT ref FROM awaited WHERE ref IS NULL",), "no completeness table (awaited): run `audit db-init` again"),
    ((f"SELECT {', '.join(ADDED_COLUMNS['oversight_tokens'])} FROM oversight_tokens WHERE token_sha256 IS NULL",
      "SELECT revoked_at FROM oversight_token_revocations WHERE token_sha256 IS NULL"),
     "tokens lack expiry, scope or revocation: run `audit db-init` again"),
)  # fmt: skip
"""Queries reading what this version writes, and what to do when they fail."""


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


class Appended(NamedTuple):
    new: int
    """Leaves added (the others were seen before)."""
    size: int
    """The tree's size after the append."""


class OutdatedSchema(RuntimeError):
    """The ledger was made by an older version (leaf hashes kept apart): replay the topic into a new one."""


class SqlLedger:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.tokens = TokenTables(db)
        self.waits = CompletenessTables(db)

    def close(self) -> None:
        self.db.close()

    def check_schema(self) -> None:
        """Fail at start-up, not on the first event, when the tables lack what this version writes."""
        for queries, message in PROBES:
            with self.db.connect() as db:
                try:
                    for query in queries:
                        self.db.run(db, query)
                except Exception as error:
                    raise OutdatedSchema(message) from error

    def append(self, leaves: Sequence[Leaf], offsets: Offsets | None = None) -> int:
        """Add the leaves not seen before (by dedupe key), and record `offsets`, atomically; how many were new."""
        return self.append_sized(leaves, offsets).new

    def append_sized(
        self, leaves: Sequence[Leaf], offsets: Offsets | None = None, also: AlsoWrite | None = None
    ) -> Appended:
        """append, also telling the tree's size after it (saves the consumer a query per batch).

        The batch's new tree nodes are computed in memory (reading at most log2(n) stored ones) and
        inserted with one statement, as are the leaves, each with its hash. `also` writes what follows
        from the new leaves (the completeness check's waits) in the same transaction."""
        with self.db.write() as db:
            size = self._size(db)
            fresh = self._unseen(db, leaves)
            if also is not None:
                also(db, fresh)
            hashes = [merkle.leaf_hash(leaf.text.encode()) for leaf in fresh]
            nodes = merkle.new_nodes(size, hashes, lambda level, index: tree_reads.node(self.db, db, level, index))
            pairs = enumerate(zip(fresh, hashes, strict=True))
            rows = [(size + i, f.dedupe_key, *f.values, f.text, h) for i, (f, h) in pairs]
            self.db.many(db, "leaves", LEAF_COLUMNS, rows)
            self.db.many(db, "nodes", ("level", "idx", "hash"), nodes)
            offset_rows = [(topic, part, next_offset) for (topic, part), next_offset in (offsets or {}).items()]
            # ON CONFLICT: a redelivered batch ends where it ended before.
            columns = ("topic", "kafka_partition", "next_offset")
            self.db.many(db, "consumed_offsets", columns, offset_rows, "ON CONFLICT DO NOTHING")
        return Appended(len(fresh), size + len(fresh))

    def _unseen(self, db: Any, leaves: Sequence[Leaf]) -> list[Leaf]:
        if not leaves:
            return []
        # One parameter holding every key as a JSON array: binding thousands of parameters is slow.
        query = f"SELECT l.dedupe_key FROM {self.db.dialect.json_keys} JOIN leaves l ON l.dedupe_key = j.value"
        seen = {row[0] for row in self.db.run(db, query, {"keys": json.dumps([leaf.dedupe_key for leaf in leaves])})}
        fresh: list[Leaf] = []
        for leaf in leaves:
            if leaf.dedupe_key not in seen:
                fresh.append(leaf)
                seen.add(leaf.dedupe_key)
        return fresh

    def stored_texts(self, keys: Sequence[str]) -> dict[str, str]:
        """Dedupe key -> stored leaf text, for those of `keys` the ledger holds (to tell a redelivery from a
        conflicting record with a known id before the batch is appended)."""
        if not keys:
            return {}
        query = f"SELECT l.dedupe_key, l.leaf FROM {self.db.dialect.json_keys} JOIN leaves l ON l.dedupe_key = j.value"
        with self.db.connect_writer() as db:  # its page cache holds the dedupe index
            return {str(row[0]): str(row[1]) for row in self.db.run(db, query, {"keys": json.dumps(list(keys))})}

    def _size(self, db: Any) -> int:
        return int(self.db.run(db, "SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves").fetchone()[0])

    def size(self) -> int:
        with self.db.connect() as db:
            return self._size(db)

    def offsets(self) -> dict[tuple[str, int], int]:
        query = "SELECT topic, kafka_partition, MAX(next_offset) FROM consumed_offsets GROUP BY topic, kafka_partition"
        with self.db.connect() as db:
            return {(row[0], int(row[1])): int(row[2]) for row in self.db.run(db, query)}

    @contextmanager
    def reader(self, prefetch: Iterable[tuple[int, int]] = ()) -> Iterator[merkle.Node]:
        """Node reads on one connection, cached: proofs for neighbouring leaves share most nodes.
        The `prefetch` nodes (see merkle.nodes_read) are read up front, in a few queries instead of one each."""
        with self.db.connect() as db:
            yield tree_reads.cached(self.db, db, prefetch)

    def entries(
        self, where: EntryFilter, start: int = 0, limit: int = 100, below: int | None = None, newest_first: bool = False
    ) -> list[StoredLeaf]:
        """Up to `limit` matching leaves with start <= index (< below, if given), oldest first (or newest)."""
        condition, params = where.where()
        bound = "" if below is None else " AND idx < :below"
        query = (
            f"SELECT idx, leaf, signer, signature FROM leaves WHERE {condition} AND idx >= :start{bound} "
            f"ORDER BY idx{' DESC' if newest_first else ''} LIMIT :limit"
        )
        with self.db.connect() as db:
            rows = self.db.run(db, query, {**params, "start": start, "below": below, "limit": limit})
            return [StoredLeaf(int(row[0]), str(row[1]), row[2], row[3]) for row in rows]

    def leaves_with_hashes(self, stop: int) -> Iterator[tuple[StoredLeaf, bytes]]:
        """Every leaf below `stop` with its stored hash, in order (for an export)."""
        query = "SELECT idx, leaf, signer, signature, hash FROM leaves WHERE idx < :stop ORDER BY idx"
        with self.db.connect() as db:
            for row in self.db.run(db, query, {"stop": stop}):
                yield StoredLeaf(int(row[0]), str(row[1]), row[2], row[3]), bytes(row[4])

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        with self.db.write() as db:
            insert = "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (:size, :root, :note, :signed_at)"
            self.db.run(db, insert, checkpoint.__dict__)

    def checkpoints(self, size: int | None = None) -> list[StoredCheckpoint]:
        """All checkpoints, oldest first, or the one at `size` (a list of at most one)."""
        where = "" if size is None else " WHERE size = :size"
        query = f"SELECT size, root, note, signed_at FROM checkpoints{where} ORDER BY size"
        with self.db.connect() as db:
            return [
                StoredCheckpoint(int(r[0]), bytes(r[1]), str(r[2]), str(r[3]))
                for r in self.db.run(db, query, {"size": size})
            ]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        query = "SELECT size, root, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1"
        with self.db.connect() as db:
            row = self.db.run(db, query).fetchone()
            return None if row is None else StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), str(row[3]))
