"""The ledger's repository: one interface, the same SQL, over SQLite (default) or PostgreSQL.

Every table only grows (the databases' triggers refuse UPDATE, DELETE and TRUNCATE): leaves with their
hashes, the perfect-subtree hashes above them (`nodes`), signed checkpoints, consumed Kafka offsets and
hashed oversight tokens with their revocations. Appending and the tree's reads live in tree_store, tokens
in token_store; this adds what oversight reads and checkpoints. A subclass supplies the schema, a
connection and the single-writer lock.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from services.audit.completeness.tables import CompletenessTables
from services.audit.leaves import EntryFilter, StoredLeaf
from services.audit.schema import ADDED_COLUMNS
from services.audit.token_store import StoredToken, TokenTables
from services.audit.tree_store import Offsets, TreeStore

__all__ = ["Offsets", "SqlLedger", "StoredCheckpoint", "StoredToken", "OutdatedSchema"]


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


class OutdatedSchema(RuntimeError):
    """The ledger was made by an older version (leaf hashes kept apart): replay the topic into a new one."""


class SqlLedger(TreeStore, CompletenessTables, TokenTables):
    def check_schema(self) -> None:
        """Fail at start-up, not on the first event, when the tables lack what this version writes."""
        with self._connect() as db:
            try:
                self._run(db, "SELECT hash, signer, signature FROM leaves WHERE idx < 0")
            except Exception as error:
                message = (
                    "the leaves table lacks the hash column (replay the audit topic into a new ledger) or the "
                    "signature columns (PostgreSQL: run `audit db-init`)"
                )
                raise OutdatedSchema(message) from error
        with self._connect() as db:
            try:
                self._run(db, "SELECT ref FROM awaited WHERE ref IS NULL")
            except Exception as error:
                raise OutdatedSchema("no completeness table (awaited): run `audit db-init` again") from error
        with self._connect() as db:
            try:
                columns = ", ".join(ADDED_COLUMNS["oversight_tokens"])
                self._run(db, f"SELECT {columns} FROM oversight_tokens WHERE token_sha256 IS NULL")
                self._run(db, "SELECT revoked_at FROM oversight_token_revocations WHERE token_sha256 IS NULL")
            except Exception as error:
                raise OutdatedSchema("tokens lack expiry, scope or revocation: run `audit db-init` again") from error

    def entries(
        self, where: EntryFilter, start: int = 0, limit: int = 100, below: int | None = None
    ) -> list[StoredLeaf]:
        """Up to `limit` matching leaves with start <= index (< below, if given), oldest first."""
        condition, params = where.where()
        bound = "" if below is None else " AND idx < :below"
        query = (
            f"SELECT idx, leaf, signer, signature FROM leaves WHERE {condition} AND idx >= :start{bound} "
            "ORDER BY idx LIMIT :limit"
        )
        with self._connect() as db:
            rows = self._run(db, query, {**params, "start": start, "below": below, "limit": limit})
            return [StoredLeaf(int(row[0]), str(row[1]), row[2], row[3]) for row in rows]

    def leaves_with_hashes(self, stop: int) -> Iterator[tuple[StoredLeaf, bytes]]:
        """Every leaf below `stop` with its stored hash, in order (for an export)."""
        query = "SELECT idx, leaf, signer, signature, hash FROM leaves WHERE idx < :stop ORDER BY idx"
        with self._connect() as db:
            for row in self._run(db, query, {"stop": stop}):
                yield StoredLeaf(int(row[0]), str(row[1]), row[2], row[3]), bytes(row[4])

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
