"""The operator's `audit` command and the reader's `drr-verify`, each subcommand on real files.

`audit` reads its settings from the environment, as in production; drr-verify gets files written
from a real ledger (checkpoint notes, an entries page, a consistency proof, an export).
"""

import json
import os
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from drr_verify import cli as verify_cli
from psycopg import sql

from services.audit import cli
from services.audit.bootstrap import AuditSettings, open_ledger, signer
from services.audit.checkpoints import checkpoint_now
from services.audit.leaves import EntryFilter, leaf_of
from services.audit.oversight import _consistency, entries_page
from services.audit.postgres_store import PostgresLedger
from services.audit.store import SqlLedger
from services.audit.tokens import holder
from shared.audit_records import AuditKind, AuditRecord

ORIGIN = "cli.test/audit"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AuditSettings:
    monkeypatch.setenv("DRR_AUDIT_DB_PATH", str(tmp_path / "db" / "audit.sqlite3"))
    monkeypatch.setenv("DRR_AUDIT_SIGNING_KEY_PATH", str(tmp_path / "keys" / "signing.pem"))
    monkeypatch.setenv("DRR_AUDIT_ORIGIN", ORIGIN)
    monkeypatch.delenv("DRR_AUDIT_DATABASE_URL", raising=False)
    return AuditSettings()


def grow(ledger: SqlLedger, settings: AuditSettings, count: int) -> str:
    """Append `count` records and sign; returns the new checkpoint's note."""
    records = [AuditRecord(record_id=uuid4(), kind=AuditKind.EMAIL_SENT, service="t") for _ in range(count)]
    ledger.append([leaf_of(r) for r in records])
    return checkpoint_now(ledger, signer(settings), ORIGIN).note


def run(main: object, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    assert callable(main)
    status = main(argv)
    return status, capsys.readouterr().out


def test_audit_tokens_issue_prints_a_token_that_only_its_hash_is_kept_for(
    settings: AuditSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(cli.main, ["tokens", "issue", "--name", "ICO"], capsys)
    token = out.strip()
    ledger = open_ledger(settings)
    grant = holder(ledger, f"Bearer {token}")
    assert status == 0 and grant is not None and grant.name == "ICO" and grant.scope is None
    assert token not in settings.db_path.read_bytes().decode(errors="replace")


def test_audit_key_prints_the_verifier_key(settings: AuditSettings, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(cli.main, ["key"], capsys)
    assert status == 0 and out.strip() == signer(settings).verifier_key and out.startswith(ORIGIN + "+")


def test_audit_export_then_drr_verify_export(
    settings: AuditSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = open_ledger(settings)
    grow(ledger, settings, 5)
    grow(ledger, settings, 4)
    status, out = run(cli.main, ["export", "--out", str(tmp_path / "out")], capsys)
    assert status == 0 and out.startswith("9 entries exported")
    key_file = str(tmp_path / "out" / "verifier_key.txt")
    status, out = run(verify_cli.main, ["verify-export", "--key", key_file, str(tmp_path / "out")], capsys)
    assert status == 0 and out.startswith("OK: 9 entries verified")
    entries = tmp_path / "out" / "entries.jsonl"
    entries.write_text(entries.read_text().replace("email.sent", "email.failed", 1))
    status, out = run(verify_cli.main, ["verify-export", "--key", key_file, str(tmp_path / "out")], capsys)
    assert status == 1 and out.startswith("FAILED: entry 0:")


def test_drr_verify_checkpoint(settings: AuditSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = tmp_path / "checkpoint.txt"
    note.write_text(grow(open_ledger(settings), settings, 3))
    key = signer(settings).verifier_key  # as text this time, not a file
    status, out = run(verify_cli.main, ["verify-checkpoint", "--key", key, str(note)], capsys)
    assert status == 0 and out.strip() == f"OK: checkpoint verified: {ORIGIN} size 3"
    note.write_text(note.read_text().replace("\n3\n", "\n4\n"))
    status, out = run(verify_cli.main, ["verify-checkpoint", "--key", key, str(note)], capsys)
    assert status == 1 and out.startswith("FAILED")


def test_drr_verify_inclusion_of_an_entries_page(
    settings: AuditSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = open_ledger(settings)
    grow(ledger, settings, 7)
    page_file, key = tmp_path / "page.json", signer(settings).verifier_key
    page = entries_page(ledger, EntryFilter(), 0, 100)
    page_file.write_text(json.dumps(page))
    status, out = run(verify_cli.main, ["verify-inclusion", "--key", key, str(page_file)], capsys)
    assert status == 0 and out.strip() == "OK: 7 entries proven included"
    page["entries"][3]["index"] = 4
    page_file.write_text(json.dumps(page))
    status, out = run(verify_cli.main, ["verify-inclusion", "--key", key, str(page_file)], capsys)
    assert status == 1 and out.startswith("FAILED: entry 4 is not proven included")


def test_drr_verify_consistency_between_two_checkpoints(
    settings: AuditSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = open_ledger(settings)
    (tmp_path / "old.txt").write_text(grow(ledger, settings, 3))
    (tmp_path / "new.txt").write_text(grow(ledger, settings, 6))
    (tmp_path / "proof.json").write_text(json.dumps(_consistency(ledger, 3, 9)))
    key = signer(settings).verifier_key
    files = [str(tmp_path / name) for name in ("old.txt", "new.txt", "proof.json")]
    status, out = run(verify_cli.main, ["verify-consistency", "--key", key, *files], capsys)
    assert status == 0 and out.startswith("OK")
    status, out = run(verify_cli.main, ["verify-consistency", "--key", key, files[1], files[0], files[2]], capsys)
    assert status == 1 and out.startswith("FAILED")


def test_audit_db_init_makes_an_append_only_schema_and_a_role_that_may_only_insert_and_select(
    postgres: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name, role = f"t{os.urandom(6).hex()}", f"svc_{os.urandom(4).hex()}"
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    owner_url, base = postgres.rsplit("/", 1)[0] + f"/{name}", postgres.split("@", 1)[1].rsplit("/", 1)[0]
    service_url = f"postgresql://{role}:not-checked-by-trust@{base}/{name}"
    monkeypatch.setenv("DRR_AUDIT_DATABASE_URL", service_url)
    try:
        status, out = run(cli.main, ["db-init", "--owner-url", owner_url], capsys)
        assert status == 0 and role in out
        assert run(cli.main, ["db-init", "--owner-url", owner_url], capsys)[0] == 0  # again: nothing breaks
        ledger = open_ledger(AuditSettings())  # the service's own URL: the backend is PostgreSQL
        try:
            assert isinstance(ledger, PostgresLedger)
            ledger.append([leaf_of(AuditRecord(record_id=uuid4(), kind=AuditKind.EMAIL_SENT, service="t"))])
            assert ledger.size() == 1
        finally:
            ledger.close()
        with psycopg.connect(service_url, autocommit=True) as db:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                db.execute("DELETE FROM leaves")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                db.execute("CREATE TABLE sneaky (x int)")
        with psycopg.connect(owner_url, autocommit=True) as db, pytest.raises(psycopg.errors.RaiseException):
            db.execute("TRUNCATE leaves")  # not even the owner
    finally:
        with psycopg.connect(postgres, autocommit=True) as db:
            db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_audit_db_init_needs_the_service_url(settings: AuditSettings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["db-init", "--owner-url", "postgresql://owner@127.0.0.1:1/x"]) == 2
    assert "DRR_AUDIT_DATABASE_URL" in capsys.readouterr().err
