"""The ledger in one SQLite file (WAL), the default. Triggers refuse any change to what is stored.

Each read opens its own short-lived connection, so the consumer (in a worker thread) and HTTP
handlers (in the threadpool) never share one; writes go through one connection kept open, whose page
cache keeps the indexes an append touches in memory. WAL lets readers run while a batch is written.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Self

from services.audit.database import Database
from services.audit.schema import SQLITE
from services.audit.store import SqlLedger


def schema() -> str:
    return "\n".join(f"{statement};" for statement in SQLITE.statements())


def _add_columns(db: sqlite3.Connection) -> None:
    """A ledger made by an older version gains the (nullable TEXT) columns; its older rows keep none."""
    for statement in SQLITE.additions(lambda table: {row[1] for row in db.execute(f"PRAGMA table_info({table})")}):
        db.execute(statement)


class SqliteDatabase(Database):
    """Durability: WAL with `synchronous = NORMAL`. A commit is in the WAL before it returns, so a crashed
    or killed process loses nothing committed; only a power cut or OS crash may lose the last few commits.
    That is acceptable here, and only here, because each commit holds a batch's leaves *and* the Kafka
    offsets after it: a lost commit loses both, and the consumer reads the same records again, in the same
    order (one partition), rebuilding the identical tree (a checkpoint lost with it is re-signed over the
    same root). FULL would add an fsync to every commit for no guarantee the ledger relies on.
    """

    WRITER_CACHE_KIB = 65_536
    """The writer's page cache: the dedupe index is written at random (UUID keys), so it must stay cached."""
    WAL_PAGES = 10_000
    """Checkpoint the WAL into the database every ~40 MB, not every 4 MB: hot index pages are copied once."""

    def __init__(self, path: Path) -> None:
        super().__init__(SQLITE)
        self.path = path
        self._writer: sqlite3.Connection | None = None
        self._writer_lock = threading.Lock()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection per read, so the consumer and HTTP handlers never share one."""
        with closing(self._open()) as db:
            yield db

    def _open(self, check_same_thread: bool = True) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=check_same_thread)
        db.execute("PRAGMA recursive_triggers = ON")  # a REPLACE's implicit delete fires the trigger too
        db.execute("PRAGMA synchronous = NORMAL")  # see the class docstring
        return db

    @contextmanager
    def connect_writer(self) -> Iterator[sqlite3.Connection]:
        """The one writing connection, kept open (its cache warm) and used by one thread at a time."""
        with self._writer_lock:
            if self._writer is None:
                self._writer = self._open(check_same_thread=False)
                self._writer.execute(f"PRAGMA cache_size = -{self.WRITER_CACHE_KIB}")
                self._writer.execute(f"PRAGMA wal_autocheckpoint = {self.WAL_PAGES}")
            try:
                yield self._writer
            except BaseException:
                self._close_writer()  # whatever state a failure left it in, the next write starts afresh
                raise

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> None:
        with self._writer_lock:
            self._close_writer()


class SqliteLedger(SqlLedger):
    def __init__(self, path: Path) -> None:
        super().__init__(SqliteDatabase(path))
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Self:
        """Create the file (and its parent folders), the tables and their triggers if missing."""
        path.parent.mkdir(parents=True, exist_ok=True)
        ledger = cls(path)
        with ledger.db.connect() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(schema())
            _add_columns(db)  # records were not signed at first, nor did tokens expire
        ledger.check_schema()
        return ledger
