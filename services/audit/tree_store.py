"""The tree's side of the ledger: appending leaves (deduplicated, with their consumed offsets, atomically)
and reading the stored hashes that proofs and roots are folded from.

A leaf's hash (level 0) is stored in its own row; the `nodes` table holds the perfect subtrees above it.
Every table only grows: the databases' triggers refuse UPDATE, DELETE and TRUNCATE.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from services.audit import merkle
from services.audit.leaves import COLUMNS, Leaf
from services.audit.sql_base import SqlBase

Offsets = Mapping[tuple[str, int], int]
"""(topic, partition) -> the next offset to consume."""
LEAF_COLUMNS = ("idx", "dedupe_key", *COLUMNS, "leaf", "hash")
AlsoWrite = Callable[[Any, list[Leaf]], None]
"""Given the write transaction's connection and the leaves not seen before."""


class Appended(NamedTuple):
    new: int
    """Leaves added (the others were seen before)."""
    size: int
    """The tree's size after the append."""


class TreeStore(SqlBase):
    JSON_KEYS = "json_each(:keys) AS j"
    """The rows (column `value`) of the JSON array of strings in parameter `keys`."""

    def append(self, leaves: Sequence[Leaf], offsets: Offsets | None = None) -> int:
        """Add the leaves not seen before (by dedupe key), and record `offsets`, atomically; how many were new."""
        return self.append_sized(leaves, offsets).new

    def append_sized(
        self, leaves: Sequence[Leaf], offsets: Offsets | None = None, also: "AlsoWrite | None" = None
    ) -> Appended:
        """append, also telling the tree's size after it (saves the consumer a query per batch).

        The batch's new tree nodes are computed in memory (reading at most log2(n) stored ones) and
        inserted with one statement, as are the leaves, each with its hash. `also` writes what follows
        from the new leaves (the completeness check's waits) in the same transaction."""
        with self._write() as db:
            size = self._size(db)
            fresh = self._unseen(db, leaves)
            if also is not None:
                also(db, fresh)
            hashes = [merkle.leaf_hash(leaf.text.encode()) for leaf in fresh]
            nodes = merkle.new_nodes(size, hashes, lambda level, index: self._node(db, level, index))
            pairs = enumerate(zip(fresh, hashes, strict=True))
            rows = [(size + i, f.dedupe_key, *f.values, f.text, h) for i, (f, h) in pairs]
            self._many(db, "leaves", LEAF_COLUMNS, rows)
            self._many(db, "nodes", ("level", "idx", "hash"), nodes)
            offset_rows = [(topic, part, next_offset) for (topic, part), next_offset in (offsets or {}).items()]
            # ON CONFLICT: a redelivered batch ends where it ended before.
            columns = ("topic", "kafka_partition", "next_offset")
            self._many(db, "consumed_offsets", columns, offset_rows, "ON CONFLICT DO NOTHING")
        return Appended(len(fresh), size + len(fresh))

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

    def size(self) -> int:
        with self._connect() as db:
            return self._size(db)

    def offsets(self) -> dict[tuple[str, int], int]:
        query = "SELECT topic, kafka_partition, MAX(next_offset) FROM consumed_offsets GROUP BY topic, kafka_partition"
        with self._connect() as db:
            return {(row[0], int(row[1])): int(row[2]) for row in self._run(db, query)}

    def _node(self, db: Any, level: int, index: int) -> bytes:
        if level == 0:
            row = self._run(db, "SELECT hash FROM leaves WHERE idx = :i", {"i": index}).fetchone()
        else:
            query = "SELECT hash FROM nodes WHERE level = :l AND idx = :i"
            row = self._run(db, query, {"l": level, "i": index}).fetchone()
        if row is None:
            raise LookupError(f"no stored node ({level}, {index})")
        return bytes(row[0])

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
        found: dict[tuple[int, int], bytes] = {}
        leaves = [index for level, index in wanted if level == 0]
        if leaves:
            marks = ", ".join([self.PLACEHOLDER] * len(leaves))
            rows = db.execute(f"SELECT idx, hash FROM leaves WHERE idx IN ({marks})", leaves)
            found.update({(0, int(row[0])): bytes(row[1]) for row in rows})
        inner = [value for level, index in wanted if level > 0 for value in (level, index)]
        if inner:
            pairs = ", ".join([f"({self.PLACEHOLDER}, {self.PLACEHOLDER})"] * (len(inner) // 2))
            # A join on the key (not a row-value IN, which SQLite answers with a full scan).
            query = f"SELECT n.level, n.idx, n.hash FROM (VALUES {pairs}) AS w "
            query += "JOIN nodes n ON n.level = w.column1 AND n.idx = w.column2"
            found.update({(int(row[0]), int(row[1])): bytes(row[2]) for row in db.execute(query, inner)})
        return found
