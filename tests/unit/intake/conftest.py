"""Intake with fakes at its edges: a publisher that records what it was given, a real SQLite file."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.demo_case import case_history
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.key_admin import issue_agency_keys
from services.intake.store import SqliteStore
from shared.audit_records import AuditRecord
from shared.events import Envelope


class FakePublisher:
    def __init__(self, fail: bool = False, delay_s: float = 0) -> None:
        self.fail, self.delay_s = fail, delay_s
        self.events: list[Envelope] = []
        self.audit: list[AuditRecord] = []
        self.calls = 0

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def ready(self) -> bool:
        return True

    async def publish_events(self, events: Sequence[Envelope], *, timeout_s: float) -> list[BaseException | None]:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            return [ConnectionError("broker down")] * len(events)
        self.events += events
        return [None] * len(events)

    async def publish_audits(self, records: Sequence[AuditRecord], *, timeout_s: float) -> list[BaseException | None]:
        self.audit += records
        return [None] * len(records)


def trigger(case_id: str = "C-9") -> dict[str, Any]:
    return next(e for e in case_history(case_id) if e["event_type"] == "trigger.reported")


def of_type(event_type: str, case_id: str = "C-9") -> dict[str, Any]:
    return next(e for e in case_history(case_id) if e["event_type"] == event_type)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "intake.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(db_path)
    yield store
    store.close()


@pytest.fixture
def api_keys(store: SqliteStore) -> dict[str, str]:
    """Agency -> a key with that agency's default permissions."""
    return {agency.value: key for agency, key in issue_agency_keys(store, system="test").items()}


@pytest.fixture
def settings() -> IntakeSettings:
    return IntakeSettings(max_body_bytes=4096, max_batch_body_bytes=64 * 1024, max_batch_events=20, publish_timeout_s=2)


ClientFactory = Callable[[FakePublisher, SqliteStore], httpx.AsyncClient]


@pytest.fixture
async def client(
    publisher: FakePublisher, store: SqliteStore, settings: IntakeSettings, api_keys: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """Posts with the probation key unless a test passes its own Authorization header."""
    app = create_app(settings, publisher, store, store, connect=False)
    transport = httpx.ASGITransport(app)
    headers = bearer(api_keys["probation"])
    async with httpx.AsyncClient(transport=transport, base_url="http://intake", headers=headers) as client:
        yield client
