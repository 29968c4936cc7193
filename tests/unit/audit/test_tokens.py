"""Oversight tokens on both databases: expiry, scope and revocation as rows that only grow, and ledgers
made before tokens had them (SQLite on open, PostgreSQL on `audit db-init`) that keep working."""

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from services.audit.postgres_store import PostgresLedger, create_schema
from services.audit.sqlite_store import SqliteLedger
from services.audit.store import OutdatedSchema, SqlLedger
from services.audit.tokens import MAX_DAYS, Grant, holder, issue, listing, revoke, token_digest
from tests.unit.audit.conftest import ROLE
from tests.unit.audit.test_store import raw

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_token_expires_after_its_days(ledger: SqlLedger) -> None:
    token = issue(ledger, "ICO", days=10, now=NOW)
    grant = holder(ledger, f"Bearer {token}")
    assert grant is not None and grant.expires_at == "2026-03-11T12:00:00.000000Z" and grant.scope is None
    assert grant.refusal(NOW + timedelta(days=9, hours=23)) is None
    assert grant.refusal(NOW + timedelta(days=10)) == "token_expired"
    with pytest.raises(ValueError, match="days"):
        issue(ledger, "ICO", days=MAX_DAYS + 1)


def test_a_scope_is_kept_sorted_and_without_repeats(ledger: SqlLedger) -> None:
    token = issue(ledger, "HMIP", agencies=("prison", "police", "prison"))
    grant = holder(ledger, f"Bearer {token}")
    assert grant is not None and grant.scope == ("police", "prison")


def test_revocation_is_a_row_of_its_own_and_the_first_one_stands(ledger: SqlLedger) -> None:
    first, second = issue(ledger, "IOPC", now=NOW), issue(ledger, "IOPC", now=NOW)
    other = issue(ledger, "ICO", now=NOW)
    first_id = Grant.id_of(first)
    [revoked] = revoke(ledger, token_id=first_id, now=NOW + timedelta(days=1))
    assert revoked.id == first_id and revoked.revoked_at == "2026-03-02T12:00:00.000000Z"
    assert revoke(ledger, token_id=first_id) == []  # already revoked: nothing changes
    assert [g.id for g in revoke(ledger, name="IOPC", now=NOW + timedelta(days=2))] == [Grant.id_of(second)]
    states = {g.id: g.revoked_at for g in listing(ledger)}
    assert states == {first_id: "2026-03-02T12:00:00.000000Z", Grant.id_of(second): "2026-03-03T12:00:00.000000Z",
                      Grant.id_of(other): None}  # fmt: skip
    grant = holder(ledger, f"Bearer {first}")
    assert grant is not None and grant.refusal(NOW) == "token_revoked"
    assert revoke(ledger, token_id=None, name=None) == []


def test_the_database_refuses_to_forget_a_revocation(ledger: SqlLedger) -> None:
    token = issue(ledger, "ICO")
    revoke(ledger, name="ICO")
    statement = "DELETE FROM oversight_token_revocations"
    with pytest.raises(Exception, match="append-only|permission denied"):
        raw(ledger, statement)
    grant = holder(ledger, f"Bearer {token}")
    assert grant is not None and grant.revoked_at is not None


def test_an_unknown_or_foreign_bearer_is_no_holder(ledger: SqlLedger) -> None:
    issue(ledger, "ICO")
    assert holder(ledger, "Bearer drr_ovs_guessed") is None
    assert holder(ledger, "Basic drr_ovs_x") is None and holder(ledger, None) is None


OLD_TOKENS = (
    "CREATE TABLE oversight_tokens (token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, issued_at TEXT NOT NULL)"
)
OLD_ROW = "INSERT INTO oversight_tokens VALUES ('{digest}', 'ICO', '2026-01-01T00:00:00.000000Z')"


def test_a_sqlite_ledger_with_old_tokens_gains_the_columns_and_its_tokens_expire(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.execute(OLD_TOKENS)
        db.execute(OLD_ROW.format(digest=token_digest("drr_ovs_old")))
    db.close()
    ledger = SqliteLedger.open(tmp_path / "old.sqlite3")
    grant = holder(ledger, "Bearer drr_ovs_old")
    assert grant is not None and grant.scope is None and grant.revoked_at is None
    assert grant.expires_at == "2027-01-01T00:00:00.000000Z"  # MAX_DAYS after it was issued
    assert [g.name for g in revoke(ledger, name="ICO")] == ["ICO"]
    issue(ledger, "new", agencies=("police",))
    assert [(g.name, g.scope) for g in listing(ledger)] == [("ICO", None), ("new", ("police",))]
    ledger.close()


def test_a_postgres_ledger_with_old_tokens_is_refused_until_db_init_adds_the_columns(postgres: str) -> None:
    name = f"t{os.urandom(6).hex()}"
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}".encode())
    owner = postgres.rsplit("/", 1)[0] + f"/{name}"
    try:
        create_schema(owner, ROLE)
        with psycopg.connect(owner, autocommit=True) as db:  # as an older version left it
            db.execute(b"DROP TABLE oversight_tokens, oversight_token_revocations")
            db.execute(OLD_TOKENS.encode())
            db.execute(OLD_ROW.format(digest=token_digest("drr_ovs_old")).encode())
            db.execute(f"GRANT SELECT, INSERT ON oversight_tokens TO {ROLE}".encode())
        url = f"postgresql://{ROLE}@{owner.split('@', 1)[1]}"  # the cluster's own port (the fixture's)
        with pytest.raises(OutdatedSchema, match="db-init"):
            PostgresLedger.open(url)
        create_schema(owner, ROLE)  # `audit db-init` again
        ledger = PostgresLedger.open(url)
        grant = holder(ledger, "Bearer drr_ovs_old")
        assert grant is not None and grant.expires_at == "2027-01-01T00:00:00.000000Z"
        assert [g.name for g in revoke(ledger, name="ICO")] == ["ICO"]
        ledger.close()
    finally:
        with psycopg.connect(postgres, autocommit=True) as db:
            db.execute(f"DROP DATABASE {name} WITH (FORCE)".encode())
