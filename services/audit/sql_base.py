"""Plumbing shared by the ledger's SQL: connections, one write transaction, bulk inserts, parameters.

Statements use `:name` parameters, which `_sql` adapts to the driver; bulk inserts use the driver's
positional placeholder, which is much cheaper to bind. A subclass supplies a connection and how to take
the single-writer lock (sqlite_store, postgres_store).
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any


class SqlBase:
    PLACEHOLDER = "?"
    """The driver's positional parameter, for bulk inserts."""

    def _connect(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _connect_writer(self) -> AbstractContextManager[Any]:
        """The connection appends use; a store may keep one open (its page cache stays warm)."""
        return self._connect()

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
        """One transaction holding the single-writer lock: all of it commits, or none of it."""
        with self._connect_writer() as db:
            self._begin_write(db)
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _many(self, db: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str = "") -> None:
        """One executemany with positional parameters."""
        if rows:
            marks = ", ".join([self.PLACEHOLDER] * len(columns))
            db.cursor().executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {tail}", rows)


def named_to_pyformat(text: str) -> str:
    """`:name` -> `%(name)s`, for drivers such as psycopg (the statements here hold no `::` casts)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", text)
