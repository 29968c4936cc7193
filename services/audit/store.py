"""The ledger's repository: one interface, the same SQL, over SQLite (default) or PostgreSQL.

Every table only grows (the databases' triggers refuse UPDATE, DELETE and TRUNCATE): leaves, the
perfect-subtree hashes (`nodes`), signed checkpoints, consumed Kafka offsets and hashed oversight
tokens. Leaves and the offsets they came from are written in one transaction (exactly once).
A subclass supplies the schema, a connection and how to take the single-writer lock.
"""

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from services.audit import merkle
from services.audit.leaves import FILTER_COLUMNS, EntryFilter, Leaf, StoredLeaf

Offsets = Mapping[tuple[str, int], int]
"""(topic, partition) -> the next offset to consume."""
LEAF_COLUMNS = ("idx", "dedupe_key", *FILTER_COLUMNS, "recorded_at", "leaf")


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


class SqlLedger:
    """Shared SQL; statements use `:name` parameters, which `_sql` adapts to the driver."""

    PLACEHOLDER = "?"
    """The driver's positional parameter, for bulk inserts."""
    JSON_KEYS = "json_each(:keys) AS j"
    """The rows (column `value`) of the JSON array of strings in parameter `keys`."""

    def _connect(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _begin_write(self, db: Any) -> None:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        return text

    def close(self) -> None:
        """Close any connection kept open for reuse."""

    def _run(self, db: Any, text: str, params: Mapping[str, Any] | None = None) -> Any:
        return db.execute(self._sql(text), params or {})

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._connect() as db:
            self._begin_write(db)
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def append(self, leaves: Sequence[Leaf], offsets: Offsets | None = None) -> int:
        """Add the leaves not seen before (by dedupe key), and record `offsets`, atomically."""
        with self._write() as db:
            size = self._size(db)
            fresh = self._unseen(db, leaves)
            hashes = [merkle.leaf_hash(leaf.text.encode()) for leaf in fresh]
            nodes = merkle.new_nodes(size, hashes, lambda level, index: self._node(db, level, index))
            rows = [
                (size + i, f.dedupe_key, *(f.columns[c] for c in LEAF_COLUMNS[2:-1]), f.text)
                for i, f in enumerate(fresh)
            ]
            self._many(db, "leaves", LEAF_COLUMNS, rows)
            self._many(db, "nodes", ("level", "idx", "hash"), nodes)
            offset_rows = [(topic, part, next_offset) for (topic, part), next_offset in (offsets or {}).items()]
            # ON CONFLICT: a redelivered batch ends where it ended before.
            self._many(
                db,
                "consumed_offsets",
                ("topic", "kafka_partition", "next_offset"),
                offset_rows,
                "ON CONFLICT DO NOTHING",
            )
        return len(fresh)

    def _many(self, db: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str = "") -> None:
        """One executemany with positional parameters (much cheaper to bind than named ones)."""
        if rows:
            marks = ", ".join([self.PLACEHOLDER] * len(columns))
            db.cursor().executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {tail}", rows)

    def _unseen(self, db: Any, leaves: Sequence[Leaf]) -> list[Leaf]:
        if not leaves:
            return []
        # One parameter holding every key as a JSON array: binding thousands of parameters is slow.
        query = f"SELECT l.dedupe_key FROM {self.JSON_KEYS} JOIN leaves l ON l.dedupe_key = j.value"
        seen = {row[0] for row in self._run(db, query, {"keys": json.dumps([leaf.dedupe_key for leaf in leaves])})}
        fresh: list[Leaf] = []
        for leaf in leaves:
            if leaf.dedupe_key not in seen:
                fresh.append(leaf)
                seen.add(leaf.dedupe_key)
        return fresh

    def _size(self, db: Any) -> int:
        return int(self._run(db, "SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves").fetchone()[0])

    def _node(self, db: Any, level: int, index: int) -> bytes:
        row = self._run(db, "SELECT hash FROM nodes WHERE level = :l AND idx = :i", {"l": level, "i": index}).fetchone()
        if row is None:
            raise LookupError(f"no stored node ({level}, {index})")
        return bytes(row[0])

    def size(self) -> int:
        with self._connect() as db:
            return self._size(db)

    @contextmanager
    def reader(self, prefetch: Iterable[tuple[int, int]] = ()) -> Iterator[merkle.Node]:
        """Node reads on one connection, cached: proofs for neighbouring leaves share most nodes.
        The `prefetch` nodes (see merkle.nodes_read) are read up front, in a few queries instead of one each."""
        cache: dict[tuple[int, int], bytes] = {}
        with self._connect() as db:
            wanted = list(prefetch)
            for start in range(0, len(wanted), 400):
                cache.update(self._nodes(db, wanted[start : start + 400]))

            def node(level: int, index: int) -> bytes:
                if (level, index) not in cache:
                    cache[level, index] = self._node(db, level, index)
                return cache[level, index]

            yield node

    def _nodes(self, db: Any, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        pairs = ", ".join([f"({self.PLACEHOLDER}, {self.PLACEHOLDER})"] * len(wanted))
        # A join on the key (not a row-value IN, which SQLite answers with a full scan).
        query = f"SELECT n.level, n.idx, n.hash FROM (VALUES {pairs}) AS w "
        query += "JOIN nodes n ON n.level = w.column1 AND n.idx = w.column2"
        rows = db.execute(query, [value for pair in wanted for value in pair]) if wanted else []
        return {(int(row[0]), int(row[1])): bytes(row[2]) for row in rows}

    def offsets(self) -> dict[tuple[str, int], int]:
        query = "SELECT topic, kafka_partition, MAX(next_offset) FROM consumed_offsets GROUP BY topic, kafka_partition"
        with self._connect() as db:
            return {(row[0], int(row[1])): int(row[2]) for row in self._run(db, query)}

    def entries(
        self, where: EntryFilter, start: int = 0, limit: int = 100, below: int | None = None
    ) -> list[StoredLeaf]:
        """Up to `limit` matching leaves with start <= index (< below, if given), oldest first."""
        condition, params = where.where()
        bound = "" if below is None else " AND idx < :below"
        query = f"SELECT idx, leaf FROM leaves WHERE {condition} AND idx >= :start{bound} ORDER BY idx LIMIT :limit"
        with self._connect() as db:
            rows = self._run(db, query, {**params, "start": start, "below": below, "limit": limit})
            return [StoredLeaf(int(row[0]), str(row[1])) for row in rows]

    def leaves_with_hashes(self, stop: int) -> Iterator[tuple[int, str, bytes]]:
        """Every leaf below `stop` with its stored hash, in order (for an export)."""
        query = """SELECT l.idx, l.leaf, n.hash FROM leaves l JOIN nodes n ON n.level = 0 AND n.idx = l.idx
                   WHERE l.idx < :stop ORDER BY l.idx"""
        with self._connect() as db:
            for row in self._run(db, query, {"stop": stop}):
                yield int(row[0]), str(row[1]), bytes(row[2])

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        with self._write() as db:
            insert = "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (:size, :root, :note, :signed_at)"
            self._run(db, insert, checkpoint.__dict__)

    def checkpoints(self, size: int | None = None) -> list[StoredCheckpoint]:
        """All checkpoints, oldest first, or the one at `size` (a list of at most one)."""
        where = "" if size is None else " WHERE size = :size"
        with self._connect() as db:
            rows = self._run(
                db, f"SELECT size, root, note, signed_at FROM checkpoints{where} ORDER BY size", {"size": size}
            )
            return [StoredCheckpoint(int(r[0]), bytes(r[1]), str(r[2]), str(r[3])) for r in rows]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        query = "SELECT size, root, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1"
        with self._connect() as db:
            row = self._run(db, query).fetchone()
            return None if row is None else StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), str(row[3]))

    def add_token(self, *, token_sha256: str, name: str, issued_at: str) -> None:
        with self._write() as db:
            insert = "INSERT INTO oversight_tokens (token_sha256, name, issued_at) VALUES (:digest, :name, :at)"
            self._run(db, insert, {"digest": token_sha256, "name": name, "at": issued_at})

    def token_name(self, token_sha256: str) -> str | None:
        with self._connect() as db:
            query = "SELECT name FROM oversight_tokens WHERE token_sha256 = :digest"
            row = self._run(db, query, {"digest": token_sha256}).fetchone()
            return None if row is None else str(row[0])


def named_to_pyformat(text: str) -> str:
    """`:name` -> `%(name)s`, for drivers such as psycopg (the statements here hold no `::` casts)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", text)
