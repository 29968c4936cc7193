"""The ledger in one SQLite file (WAL), the default. Triggers refuse any change to what is stored.

Each call opens its own short-lived connection, so the consumer (in a worker thread) and HTTP
handlers (in the threadpool) never share one; WAL lets readers run while a batch is written.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from services.audit.store import SqlLedger

TABLES = {
    "leaves": """idx INTEGER PRIMARY KEY CHECK (idx >= 0), dedupe_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        case_id TEXT, event_id TEXT, event_type TEXT, correlation_id TEXT, source_agency TEXT, recipient_id TEXT,
        recipient_role TEXT, recipient_agency TEXT, outcome TEXT, recorded_at TEXT NOT NULL, leaf TEXT NOT NULL""",
    "nodes": "level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL CHECK (length(hash) = 32), "
    "PRIMARY KEY (level, idx)",
    "checkpoints": "size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL",
    "consumed_offsets": "topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, "
    "PRIMARY KEY (topic, kafka_partition, next_offset)",
    "oversight_tokens": "token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, issued_at TEXT NOT NULL",
}


def schema() -> str:
    parts = []
    for table, columns in TABLES.items():
        # nodes are only ever read by their key: WITHOUT ROWID stores each once, in the key's own b-tree.
        rowid = " WITHOUT ROWID" if table == "nodes" else ""
        parts.append(f"CREATE TABLE IF NOT EXISTS {table} ({columns}){rowid};")
        for action in ("UPDATE", "DELETE"):
            parts.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
            )
    parts.append("CREATE INDEX IF NOT EXISTS leaves_by_case ON leaves (case_id, idx);")
    parts.append(
        "CREATE TRIGGER IF NOT EXISTS leaves_at_the_end BEFORE INSERT ON leaves "
        "WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves) "
        "BEGIN SELECT RAISE(ABORT, 'leaves only grow at the end'); END;"
    )
    return "\n".join(parts)


class SqliteLedger(SqlLedger):
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: Path) -> "SqliteLedger":
        """Create the file (and its parent folders), the tables and their triggers if missing."""
        path.parent.mkdir(parents=True, exist_ok=True)
        ledger = cls(path)
        with ledger._connect() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(schema())
        return ledger

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30.0, isolation_level=None)) as db:
            db.execute("PRAGMA recursive_triggers = ON")  # a REPLACE's implicit delete fires the trigger too
            # In WAL mode NORMAL loses no committed transaction on a process crash; a power cut may lose the
            # last few, leaves and offsets together, which the consumer then simply reads again.
            db.execute("PRAGMA synchronous = NORMAL")
            yield db

    def _begin_write(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")  # the write lock up front: reading the size and appending cannot interleave
