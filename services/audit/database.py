"""Connections to the audit database, in its dialect: reads, one write transaction, bulk inserts.

Statements use `:name` parameters, which the dialect adapts to the driver; bulk inserts use the driver's
positional placeholder, which is much cheaper to bind. sqlite_store and postgres_store supply the
connections; the ledger, its tokens and its waiting list share one Database.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from services.audit.schema import Dialect


class Database:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def connect(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def connect_writer(self) -> AbstractContextManager[Any]:
        """The connection appends use; a store may keep one open (its page cache stays warm)."""
        return self.connect()

    def close(self) -> None:
        """Close any connection kept open for reuse."""

    def run(self, db: Any, text: str, params: Mapping[str, Any] | None = None) -> Any:
        return db.execute(self.dialect.named(text), params or {})

    @contextmanager
    def write(self) -> Iterator[Any]:
        """One transaction holding the single-writer lock: all of it commits, or none of it."""
        with self.connect_writer() as db:
            for statement in self.dialect.begin_write:
                db.execute(statement)
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def many(self, db: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str = "") -> None:
        """One executemany with positional parameters."""
        if rows:
            marks = self.dialect.marks(len(columns))
            db.cursor().executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {tail}", rows)
