"""The tree's stored hashes, read back for proofs, roots and appends: one node, or many in a few queries.

A leaf's hash (level 0) is stored in its own row of `leaves`; the `nodes` table holds the perfect
subtrees above it (store.SqlLedger writes both).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from services.audit import merkle
from services.audit.database import Database

PREFETCH_CHUNK = 400
"""Nodes asked for in one query (a proof needs about 2 log2(n))."""


def node(database: Database, db: Any, level: int, index: int) -> bytes:
    if level == 0:
        row = database.run(db, "SELECT hash FROM leaves WHERE idx = :i", {"i": index}).fetchone()
    else:
        query = "SELECT hash FROM nodes WHERE level = :l AND idx = :i"
        row = database.run(db, query, {"l": level, "i": index}).fetchone()
    if row is None:
        raise LookupError(f"no stored node ({level}, {index})")
    return bytes(row[0])


def cached(database: Database, db: Any, prefetch: Iterable[tuple[int, int]] = ()) -> merkle.Node:
    """Node reads on connection `db`, cached, the `prefetch` nodes read up front (see merkle.nodes_read)."""
    cache: dict[tuple[int, int], bytes] = {}
    wanted = list(prefetch)
    for start in range(0, len(wanted), PREFETCH_CHUNK):
        cache.update(nodes(database, db, wanted[start : start + PREFETCH_CHUNK]))

    def read(level: int, index: int) -> bytes:
        if (level, index) not in cache:
            cache[level, index] = node(database, db, level, index)
        return cache[level, index]

    return read


def nodes(database: Database, db: Any, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The wanted nodes that are stored, in at most two queries."""
    found: dict[tuple[int, int], bytes] = {}
    marks = database.dialect.marks
    leaves = [index for level, index in wanted if level == 0]
    if leaves:
        rows = db.execute(f"SELECT idx, hash FROM leaves WHERE idx IN ({marks(len(leaves))})", leaves)
        found.update({(0, int(row[0])): bytes(row[1]) for row in rows})
    inner = [value for level, index in wanted if level > 0 for value in (level, index)]
    if inner:
        pairs = ", ".join([f"({marks(2)})"] * (len(inner) // 2))
        # A join on the key (not a row-value IN, which SQLite answers with a full scan).
        query = f"SELECT n.level, n.idx, n.hash FROM (VALUES {pairs}) AS w "
        query += "JOIN nodes n ON n.level = w.column1 AND n.idx = w.column2"
        found.update({(int(row[0]), int(row[1])): bytes(row[2]) for row in db.execute(query, inner)})
    return found
