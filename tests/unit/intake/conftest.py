"""Intake with fakes at its edges: a publisher that records what it was given, a real SQLite file."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from intake_fakes import FakePublisher, bearer, open_case

from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.cli import issue_agency_keys
from services.intake.store import SqliteStore


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "intake.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqliteStore]:
    """The intake database, with case C-9 (the default of the event builders) opened by probation."""
    store = SqliteStore(db_path)
    open_case(store)
    yield store
    store.close()


@pytest.fixture
def api_keys(store: SqliteStore) -> dict[str, str]:
    """Agency -> a key with that agency's default permissions."""
    return {agency.value: key for agency, key in issue_agency_keys(store, system="test").items()}


@pytest.fixture
def settings() -> IntakeSettings:
    return IntakeSettings(max_body_bytes=4096, max_batch_body_bytes=64 * 1024, max_batch_events=20, publish_timeout_s=2)


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
