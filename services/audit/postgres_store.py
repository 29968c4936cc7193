"""The ledger in PostgreSQL, for production. The same SQL as SQLite (store.SqlLedger); the schema adds
triggers refusing UPDATE, DELETE and TRUNCATE, and the service's role gets INSERT and SELECT only.

`create_schema` runs once as the database owner (`audit db-init`); the service connects as its role.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from services.audit import token_store
from services.audit.completeness import tables as completeness
from services.audit.sql_base import named_to_pyformat
from services.audit.store import SqlLedger

TABLES = {
    "leaves": """idx BIGINT PRIMARY KEY CHECK (idx >= 0), dedupe_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        case_id TEXT, event_id TEXT, event_type TEXT, correlation_id TEXT, source_agency TEXT, recipient_id TEXT,
        recipient_role TEXT, recipient_agency TEXT, outcome TEXT, recorded_at TEXT NOT NULL, leaf TEXT NOT NULL,
        hash BYTEA NOT NULL CHECK (length(hash) = 32), signer TEXT, signature TEXT""",
    "nodes": "level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL CHECK (length(hash) = 32), "
    "PRIMARY KEY (level, idx)",
    "checkpoints": "size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL",
    "consumed_offsets": "topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, "
    "PRIMARY KEY (topic, kafka_partition, next_offset)",
    "oversight_tokens": token_store.TOKEN_COLUMNS,
    "oversight_token_revocations": token_store.REVOCATION_COLUMNS,
}
REFUSE = """CREATE OR REPLACE FUNCTION drr_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"""


def schema(role: str) -> list[sql.SQL | sql.Composed]:
    statements: list[sql.SQL | sql.Composed] = [sql.SQL(REFUSE)]
    who = sql.Identifier(role)
    for table, columns in TABLES.items():
        statements += [
            sql.SQL(f"CREATE TABLE IF NOT EXISTS {table} ({columns})"),
            sql.SQL(f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION drr_audit_refuse_change()"),
            sql.SQL(f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION drr_audit_refuse_change()"),
            sql.SQL(f"REVOKE ALL ON {table} FROM {{}}").format(who),
            sql.SQL(f"GRANT SELECT, INSERT ON {table} TO {{}}").format(who),
        ]  # fmt: skip
    statements.append(sql.SQL("CREATE INDEX IF NOT EXISTS leaves_by_case ON leaves (case_id, idx)"))
    # A ledger made before records were signed gains the columns; its older leaves keep none.
    added = ("signer", "signature")
    statements += [sql.SQL(f"ALTER TABLE leaves ADD COLUMN IF NOT EXISTS {name} TEXT") for name in added]
    # Tokens issued before tokens expired or had scopes gain the columns too (NULL: see tokens.py).
    tokens = token_store.ADDED_COLUMNS
    statements += [sql.SQL(f"ALTER TABLE oversight_tokens ADD COLUMN IF NOT EXISTS {name} TEXT") for name in tokens]
    # The completeness check's waiting list is operational: no triggers, and the role may change it.
    statements += [sql.SQL(statement) for statement in completeness.DDL]
    grant = f"GRANT SELECT, INSERT, UPDATE, DELETE ON {completeness.TABLE} TO {{}}"
    return [*statements, sql.SQL(grant).format(who)]


def create_schema(owner_url: str, role: str) -> None:
    """Tables, triggers and grants; `role` (which must exist) may then only read and append."""
    with psycopg.connect(owner_url, autocommit=True) as db:
        for statement in schema(role):
            db.execute(statement)


def create_role(owner_url: str, role: str, password: str | None) -> bool:
    """The service's login role, made if missing (its password set when one is given); True if made."""
    with psycopg.connect(owner_url, autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None
        verb = "ALTER" if exists else "CREATE"
        if password is None:
            if not exists:
                db.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        else:
            statement = sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}")
            db.execute(statement.format(sql.Identifier(role), sql.Literal(password)))
        return not exists


def db_init(owner_url: str, service_url: str) -> str:
    """`audit db-init`: the role the service's URL names (with its password), the schema and the grants.
    Run as the database owner; the service then connects as a role that may only INSERT and SELECT."""
    service = conninfo_to_dict(service_url)
    role = str(service.get("user") or "")
    if not role:
        raise ValueError("the service's database URL names no user: the role to create")
    password = service.get("password")
    create_role(owner_url, role, None if password is None else str(password))
    create_schema(owner_url, role)
    return role


class PostgresLedger(SqlLedger):
    """Connections are kept for reuse (up to `pool_size` idle ones); one in an unknown state is closed."""

    PLACEHOLDER = "%s"
    JSON_KEYS = "json_array_elements_text(CAST(:keys AS json)) AS j(value)"

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url, self._pool_size = url, pool_size
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    @classmethod
    def open(cls, url: str) -> "PostgresLedger":
        ledger = cls(url)
        ledger.check_schema()  # fails now, not on the first event, when the schema or the grants are missing
        return ledger

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None or db.closed:
            db = psycopg.connect(self.url, autocommit=True)
        try:
            yield db
        except BaseException:
            db.close()
            raise
        self._give_back(db)

    def _give_back(self, db: psycopg.Connection) -> None:
        with self._lock:
            if not db.closed and db.info.transaction_status == TransactionStatus.IDLE:
                if len(self._idle) < self._pool_size:
                    self._idle.append(db)
                    return
        db.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    def _begin_write(self, db: psycopg.Connection) -> None:
        db.execute("BEGIN")
        # One writer at a time (readers are not blocked): the next index is read, then appended.
        # An advisory lock, since LOCK TABLE would need privileges beyond INSERT and SELECT.
        db.execute("SELECT pg_advisory_xact_lock(6962)")

    def _sql(self, text: str) -> str:
        return named_to_pyformat(text)
