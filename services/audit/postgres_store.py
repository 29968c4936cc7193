"""The ledger in PostgreSQL, for production. The same SQL as SQLite (store.SqlLedger); the schema adds
triggers refusing UPDATE, DELETE and TRUNCATE, and the service's role gets INSERT and SELECT only.

`create_schema` runs once as the database owner (`audit db-init`); the service connects as its role.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from services.audit.store import SqlLedger, named_to_pyformat

TABLES = {
    "leaves": """idx BIGINT PRIMARY KEY CHECK (idx >= 0), dedupe_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        case_id TEXT, event_id TEXT, event_type TEXT, correlation_id TEXT, source_agency TEXT, recipient_id TEXT,
        recipient_role TEXT, recipient_agency TEXT, outcome TEXT, recorded_at TEXT NOT NULL, leaf TEXT NOT NULL""",
    "nodes": "level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL CHECK (length(hash) = 32), "
    "PRIMARY KEY (level, idx)",
    "checkpoints": "size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL",
    "consumed_offsets": "topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, "
    "PRIMARY KEY (topic, kafka_partition, next_offset)",
    "oversight_tokens": "token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, issued_at TEXT NOT NULL",
}
REFUSE = """CREATE OR REPLACE FUNCTION drr_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"""


def schema(role: str) -> list[str]:
    statements = [REFUSE]
    for table, columns in TABLES.items():
        statements += [
            f"CREATE TABLE IF NOT EXISTS {table} ({columns})",
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION drr_audit_refuse_change()",
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION drr_audit_refuse_change()",
            f"REVOKE ALL ON {table} FROM {role}",
            f"GRANT SELECT, INSERT ON {table} TO {role}",
        ]
    return [*statements, "CREATE INDEX IF NOT EXISTS leaves_by_case ON leaves (case_id, idx)"]


def create_schema(owner_url: str, role: str) -> None:
    """Tables, triggers and grants; `role` (which must exist) may then only read and append."""
    with psycopg.connect(owner_url, autocommit=True) as db:
        for statement in schema(role):
            db.execute(statement.encode())


class PostgresLedger(SqlLedger):
    PLACEHOLDER = "%s"
    JSON_KEYS = "json_array_elements_text(CAST(:keys AS json)) AS j(value)"

    def __init__(self, url: str) -> None:
        self.url = url

    @classmethod
    def open(cls, url: str) -> "PostgresLedger":
        ledger = cls(url)
        ledger.size()  # fails now, not on the first event, when the schema or the grants are missing
        return ledger

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(self.url, autocommit=True) as db:
            yield db

    def _begin_write(self, db: psycopg.Connection) -> None:
        db.execute("BEGIN")
        # One writer at a time (readers are not blocked): the next index is read, then appended.
        # An advisory lock, since LOCK TABLE would need privileges beyond INSERT and SELECT.
        db.execute("SELECT pg_advisory_xact_lock(6962)")

    def _sql(self, text: str) -> str:
        return named_to_pyformat(text)
