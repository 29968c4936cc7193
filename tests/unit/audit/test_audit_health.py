"""Health and metrics over a real ledger file, with no Kafka: a fake worker stands in for the consumer.

httpx's ASGITransport does not run the lifespan, so tests that need it enter `lifespan_context` themselves.
"""

import asyncio
from pathlib import Path
from uuid import uuid4

import httpx
from fastapi import FastAPI

from services.audit.adapters import Ledger
from services.audit.app import create_app
from shared.audit_records import AuditRecord

DEADLINE_S = 5.0


class FakeWorker:
    """Ready from run() until stop(), like the real consumer."""

    ready, stopped = False, False

    async def run(self) -> None:
        self.ready = True
        while not self.stopped:
            await asyncio.sleep(0.01)
        self.ready = False

    def stop(self) -> None:
        self.stopped = True


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit")


def _ledger(tmp_path: Path, size: int = 0) -> Ledger:
    ledger = Ledger.open(tmp_path / "audit.sqlite3")
    ledger.append(AuditRecord(record_id=uuid4(), kind="email.sent", service="t") for _ in range(size))
    return ledger


async def test_health_without_a_worker_is_ok(tmp_path: Path) -> None:
    async with _client(create_app(_ledger(tmp_path))) as client:
        response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_health_follows_the_worker_which_runs_for_the_apps_lifetime(tmp_path: Path) -> None:
    worker = FakeWorker()
    app = create_app(_ledger(tmp_path), worker)
    async with _client(app) as client:
        assert (await client.get("/healthz")).status_code == 503
        async with app.router.lifespan_context(app), asyncio.timeout(DEADLINE_S):
            while (await client.get("/healthz")).status_code != 200:
                await asyncio.sleep(0.01)
            assert worker.ready
        assert worker.stopped and not worker.ready
        assert (await client.get("/healthz")).json() == {"status": "unavailable"}


async def test_health_is_unavailable_when_the_ledger_cannot_be_read(tmp_path: Path) -> None:
    async with _client(create_app(Ledger(tmp_path / "missing" / "audit.sqlite3"))) as client:
        assert (await client.get("/healthz")).status_code == 503


async def test_metrics_expose_counters_and_ledger_size(tmp_path: Path) -> None:
    app = create_app(_ledger(tmp_path, size=5))
    async with _client(app) as client, app.router.lifespan_context(app):
        response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    for name in (
        "drr_audit_entries_appended_total",
        "drr_audit_duplicates_skipped_total",
        "drr_audit_unparseable_records_total",
    ):
        assert f"\n{name} " in response.text
    assert "\ndrr_audit_ledger_entries 5.0\n" in response.text
