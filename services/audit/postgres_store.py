"""The ledger in PostgreSQL, for production. The same SQL as SQLite (store.SqlLedger, schema.py); the schema
adds triggers refusing UPDATE, DELETE and TRUNCATE, and the service's role gets INSERT and SELECT only.

`create_schema` runs once as the database owner (`audit db-init`); the service connects as its role.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from services.audit.database import Database
from services.audit.schema import POSTGRES, ROLE
from services.audit.store import SqlLedger


def schema(role: str) -> list[sql.Composed]:
    return [sql.SQL(statement).format(role=sql.Identifier(role)) for statement in POSTGRES.statements()]


def create_schema(owner_url: str, role: str) -> None:
    """Tables, triggers and grants; `role` (which must exist) may then only read and append."""
    with psycopg.connect(owner_url, autocommit=True) as db:
        for statement in schema(role):
            db.execute(statement)


def create_role(owner_url: str, role: str, password: str | None) -> bool:
    """The service's login role, made if missing (its password set when one is given); True if made."""
    with psycopg.connect(owner_url, autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None
        who = sql.Identifier(role)
        if password is not None:
            statement = ROLE["set password" if exists else "make with password"]
            db.execute(sql.SQL(statement).format(role=who, password=sql.Literal(password)))
        elif not exists:
            db.execute(sql.SQL(ROLE["make"]).format(role=who))
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


class PostgresDatabase(Database):
    """Connections are kept for reuse (up to `pool_size` idle ones); one in an unknown state is closed."""

    def __init__(self, url: str, pool_size: int = 4) -> None:
        super().__init__(POSTGRES)
        self.url, self._pool_size = url, pool_size
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
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


class PostgresLedger(SqlLedger):
    def __init__(self, url: str, pool_size: int = 4) -> None:
        super().__init__(PostgresDatabase(url, pool_size))
        self.url = url

    @classmethod
    def open(cls, url: str) -> Self:
        ledger = cls(url)
        ledger.check_schema()  # fails now, not on the first event, when the schema or the grants are missing
        return ledger
