"""The audit database's schema, written once for SQLite and PostgreSQL: what differs is data (`Dialect`).

Every ledger table only grows: each gets its dialect's append-only triggers (and, in PostgreSQL, grants
letting the service's role INSERT and SELECT only). The completeness check's waiting list (`awaited`) is
operational: no triggers, and the role may change it. Columns added after the first release are
nullable TEXT, added to older databases on open (SQLite) or by `audit db-init` (PostgreSQL).
"""

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

TABLES = {
    "leaves": """idx {int64} PRIMARY KEY CHECK (idx >= 0), dedupe_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        case_id TEXT, event_id TEXT, event_type TEXT, correlation_id TEXT, source_agency TEXT, recipient_id TEXT,
        recipient_role TEXT, recipient_agency TEXT, outcome TEXT, recorded_at TEXT NOT NULL, leaf TEXT NOT NULL,
        hash {blob} NOT NULL CHECK (length(hash) = 32), signer TEXT, signature TEXT""",
    "nodes": "level INTEGER NOT NULL, idx {int64} NOT NULL, hash {blob} NOT NULL CHECK (length(hash) = 32), "
    "PRIMARY KEY (level, idx)",
    "checkpoints": "size {int64} PRIMARY KEY, root {blob} NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL",
    "consumed_offsets": "topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, next_offset {int64} NOT NULL, "
    "PRIMARY KEY (topic, kafka_partition, next_offset)",
    "oversight_tokens": "token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, issued_at TEXT NOT NULL, "
    "expires_at TEXT, agencies TEXT",
    "oversight_token_revocations": "token_sha256 TEXT PRIMARY KEY, revoked_at TEXT NOT NULL",
}
"""The ledger's tables (append-only), their 64-bit integers and byte strings in the dialect's types."""
INDEXES = ("CREATE INDEX IF NOT EXISTS leaves_by_case ON leaves (case_id, idx)",)
ADDED_COLUMNS = {"leaves": ("signer", "signature"), "oversight_tokens": ("expires_at", "agencies")}
"""Missing from ledgers made before records were signed, or before tokens expired and had scopes."""
OPERATIONAL = (
    "CREATE TABLE IF NOT EXISTS awaited (ref TEXT PRIMARY KEY, what TEXT NOT NULL, event_id TEXT NOT NULL, "
    "due_at TEXT NOT NULL, case_id TEXT, event_type TEXT, recipient_id TEXT, held TEXT, alarmed_at TEXT, "
    "announced INTEGER NOT NULL DEFAULT 0, resolved_at TEXT)",
    "CREATE INDEX IF NOT EXISTS awaited_by_due ON awaited (due_at)",
    "CREATE INDEX IF NOT EXISTS awaited_held_by_case ON awaited (case_id) WHERE held IS NOT NULL",
)
"""The completeness check's waiting list (completeness/tables.py): rows are updated and deleted."""
ROLE = {
    "make": "CREATE ROLE {role} LOGIN",
    "make with password": "CREATE ROLE {role} LOGIN PASSWORD {password}",
    "set password": "ALTER ROLE {role} LOGIN PASSWORD {password}",
}
"""PostgreSQL's service role (`audit db-init`); psycopg fills in `{role}` and `{password}`."""
POSITIONAL = {"qmark": "?", "pyformat": "%s"}
Present = Callable[[str], Collection[str]]
"""A table's name -> the columns it has."""


@dataclass(frozen=True)
class Dialect:
    """What SQLite and PostgreSQL spell differently; the statements and queries are otherwise the same."""

    int64: str
    """A 64-bit integer column (in SQLite only `INTEGER PRIMARY KEY` makes the key the rowid)."""
    blob: str
    paramstyle: Literal["qmark", "pyformat"]
    """The driver's (DB-API): `qmark` (sqlite3) takes the statements' `:name` parameters as they are and `?`
    for positional ones; `pyformat` (psycopg) takes `%(name)s`, and `%s` for positional ones."""
    json_keys: str
    """The rows (column `value`) of the JSON array of strings in parameter `keys`."""
    begin_write: tuple[str, ...]
    """Begins a write transaction holding the single-writer lock."""
    append_only: tuple[str, ...]
    """Per ledger table (`{table}`): the triggers refusing change, and grants to the service's `{role}`."""
    add_column: str
    """Adds one of ADDED_COLUMNS to an older database."""
    add_column_in_schema: bool
    """The schema adds them all (IF NOT EXISTS); SQLite has no such clause: its store adds the missing ones."""
    before: tuple[str, ...] = ()
    """Run ahead of the tables (PostgreSQL's trigger function)."""
    nodes_options: str = ""
    """Appended to the `nodes` table's definition."""
    guards: tuple[str, ...] = ()
    """Further triggers of this dialect's alone."""
    operational_grants: tuple[str, ...] = ()
    """The service's rights on the operational tables (PostgreSQL; SQLite has no roles)."""

    def named(self, text: str) -> str:
        """A statement with `:name` parameters as the driver takes it."""
        return _named_to_pyformat(text) if self.paramstyle == "pyformat" else text

    def marks(self, count: int) -> str:
        """Positional parameters, for bulk inserts: much cheaper to bind than named ones."""
        return ", ".join([POSITIONAL[self.paramstyle]] * count)

    def columns(self, table: str) -> str:
        """The table's columns, typed in this dialect."""
        return TABLES[table].format(int64=self.int64, blob=self.blob)

    def statements(self) -> list[str]:
        """The schema, in order; for PostgreSQL with `{role}` left for psycopg to fill in."""
        statements = [*self.before]
        for table in TABLES:
            options = self.nodes_options if table == "nodes" else ""
            statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({self.columns(table)}){options}")
            statements += [template.format(table=table, role="{role}") for template in self.append_only]
        statements += [*INDEXES, *self.guards]
        if self.add_column_in_schema:
            statements += self.additions(lambda table: ())
        return [*statements, *OPERATIONAL, *self.operational_grants]

    def additions(self, present: Present) -> list[str]:
        """ALTER TABLE for each added column that the table (whose columns `present` tells) lacks."""
        return [
            self.add_column.format(table=table, column=column)
            for table, columns in ADDED_COLUMNS.items()
            for column in columns
            if column not in present(table)
        ]


def _named_to_pyformat(text: str) -> str:
    """`:name` -> `%(name)s` (the statements here hold no `::` casts)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", text)


def _sqlite_refusals(action: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {{table}}_no_{action.lower()} BEFORE {action} ON {{table}} "
        "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    )


def _postgres_refusals(events: str, each: str, name: str) -> str:
    return (
        f"CREATE OR REPLACE TRIGGER {{table}}_{name} BEFORE {events} ON {{table}} "
        f"FOR EACH {each} EXECUTE FUNCTION drr_audit_refuse_change()"
    )


SQLITE = Dialect(
    int64="INTEGER",
    blob="BLOB",
    paramstyle="qmark",
    json_keys="json_each(:keys) AS j",
    begin_write=("BEGIN IMMEDIATE",),  # the write lock up front: reading the size and appending cannot interleave
    append_only=(_sqlite_refusals("UPDATE"), _sqlite_refusals("DELETE")),
    add_column="ALTER TABLE {table} ADD COLUMN {column} TEXT",
    add_column_in_schema=False,
    # nodes are only ever read by their key: WITHOUT ROWID stores each once, in the key's own b-tree.
    nodes_options=" WITHOUT ROWID",
    guards=(
        "CREATE TRIGGER IF NOT EXISTS leaves_at_the_end BEFORE INSERT ON leaves "
        "WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves) "
        "BEGIN SELECT RAISE(ABORT, 'leaves only grow at the end'); END",
    ),
)
POSTGRES = Dialect(
    int64="BIGINT",
    blob="BYTEA",
    paramstyle="pyformat",
    json_keys="json_array_elements_text(CAST(:keys AS json)) AS j(value)",
    # One writer at a time (readers are not blocked): the next index is read, then appended.
    # An advisory lock, since LOCK TABLE would need privileges beyond INSERT and SELECT.
    begin_write=("BEGIN", "SELECT pg_advisory_xact_lock(6962)"),
    append_only=(
        _postgres_refusals("UPDATE OR DELETE", "ROW", "append_only"),
        _postgres_refusals("TRUNCATE", "STATEMENT", "no_truncate"),
        "REVOKE ALL ON {table} FROM {role}",
        "GRANT SELECT, INSERT ON {table} TO {role}",
    ),
    add_column="ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} TEXT",
    add_column_in_schema=True,
    before=(
        """CREATE OR REPLACE FUNCTION drr_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$""",
    ),
    operational_grants=("GRANT SELECT, INSERT, UPDATE, DELETE ON awaited TO {role}",),
)
