"""Ledger fixtures: every storage test runs on SQLite and on a private PostgreSQL 15 cluster.

The cluster is made with initdb in a temp folder, listens on 127.0.0.1 only, on a port shifted by
DRR_E2E_PORT_OFFSET, and is stopped (pg_ctl, by its data folder) at the end of the session. initdb
refuses to run as root, so as root it runs as the `postgres` user that Debian's package creates.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from services.audit.postgres_store import PostgresLedger, create_schema
from services.audit.sqlite_store import SqliteLedger
from services.audit.store import SqlLedger

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    """A port nobody listens on now: a fixed one collided with other clusters on a shared machine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PG_PORT = _free_port()
ROLE = "drr_audit"


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """The owner's URL of a fresh cluster; the service role exists, without privileges yet."""
    folder = Path(tempfile.mkdtemp(prefix="drr-audit-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "owner", "-A", "trust"]),
                   check=True, capture_output=True)  # fmt: skip
    options = f"-h 127.0.0.1 -p {PG_PORT} -k {folder} -c fsync=off"
    start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start"]
    try:
        subprocess.run(_as_postgres(start), check=True, capture_output=True)
        url = f"postgresql://owner@127.0.0.1:{PG_PORT}/postgres"
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"CREATE ROLE {ROLE} LOGIN")
        yield url
    finally:
        stop = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        subprocess.run(_as_postgres(stop), capture_output=True)  # nothing to stop if the start failed
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_ledger(postgres: str) -> Iterator[PostgresLedger]:
    """A new database per test, its schema made by the owner; the ledger connects as the service role."""
    name = f"t{os.urandom(6).hex()}"
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}".encode())
    owner_url = postgres.rsplit("/", 1)[0] + f"/{name}"
    create_schema(owner_url, ROLE)
    ledger = PostgresLedger.open(f"postgresql://{ROLE}@127.0.0.1:{PG_PORT}/{name}")
    yield ledger
    ledger.close()
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute(f"DROP DATABASE {name} WITH (FORCE)".encode())


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlLedger]:
    if request.param == "sqlite":
        sqlite = SqliteLedger.open(tmp_path / "nested" / "audit.sqlite3")
        yield sqlite
        sqlite.close()
    else:
        ledger: SqlLedger = request.getfixturevalue("pg_ledger")
        yield ledger
