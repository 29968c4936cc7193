"""Settings come from DRR_AUDIT_* (and the shared DRR_* ones); bootstrap opens the ledger they name."""

from pathlib import Path

import httpx
import pytest

from services.audit.bootstrap import AuditSettings, bootstrap


def test_defaults_are_local() -> None:
    settings = AuditSettings()
    assert (settings.host, settings.port, settings.db_path) == ("127.0.0.1", 8004, Path("var/audit.sqlite3"))


async def test_settings_from_the_environment_reach_the_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_path = tmp_path / "new" / "audit.sqlite3"
    monkeypatch.setenv("DRR_AUDIT_DB_PATH", str(db_path))
    monkeypatch.setenv("DRR_AUDIT_PORT", "9104")
    monkeypatch.setenv("DRR_AUDIT_SIGNING_KEY_PATH", str(tmp_path / "key.pem"))
    monkeypatch.setenv("DRR_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    settings = AuditSettings()
    assert (settings.port, settings.kafka_bootstrap) == (9104, "127.0.0.1:19092")
    app = bootstrap(settings)
    assert db_path.is_file()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
        assert (await client.get("/healthz")).status_code == 503  # consumer not started: no lifespan here
        assert (await client.get("/v1/audit/entries")).status_code == 401
    assert (tmp_path / "key.pem").is_file()
