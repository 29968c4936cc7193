"""Intake prunes its idempotency claims after the retention: at start and every interval (a fake clock and
a fake sleep, so nothing waits), counted in a metric and logged without keys; a key pruned is a new event
again while a kept key still gets its original receipt; `intake receipts prune` does it once."""

import asyncio
import json
import logging
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from intake_fakes import FakePublisher, bearer, trigger
from prometheus_client import REGISTRY
from pydantic import ValidationError

from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.cli import run
from services.intake.pruning import ClaimPruner
from services.intake.store import Claim, SqliteStore
from shared.logs import JsonLines

DAY = 24 * 3600.0


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def add(store: SqliteStore, claimed_at: float, state: str = "accepted") -> str:
    key = f"event:{uuid.uuid4()}"
    store.claim(claim=Claim(key, "digest", key[6:], "pending", claimed_at), stale_before=0, agency="probation")
    if state == "accepted":
        store.confirm(idempotency_key=key)
    return key


def keys_in(db_path: Path) -> set[str]:
    """The idempotency keys that still have a claim, read through a connection of its own."""
    with closing(sqlite3.connect(db_path)) as raw:
        return {row[0] for row in raw.execute("SELECT idempotency_key FROM receipts")}


def pruned_total() -> float:
    return REGISTRY.get_sample_value("drr_intake_receipts_pruned_total") or 0.0


def test_the_retention_must_be_positive_and_defaults_to_a_week() -> None:
    assert IntakeSettings().idempotency_retention_s == 7 * DAY
    assert IntakeSettings().prune_interval_s == 3600
    with pytest.raises(ValidationError):
        IntakeSettings(idempotency_retention_s=0)


def test_prune_once_applies_the_retention_and_the_stale_window(
    store: SqliteStore, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    settings = IntakeSettings(idempotency_retention_s=20, publish_timeout_s=10)  # stale after 10 + 30 s
    old, young = add(store, clock.now - 21), add(store, clock.now - 19)
    pending_not_stale, pending_stale = add(store, clock.now - 39, "pending"), add(store, clock.now - 41, "pending")
    before = pruned_total()
    with caplog.at_level(logging.INFO, logger="services.intake.pruning"):
        assert ClaimPruner(settings, store, clock=clock).prune_once() == 2
    assert keys_in(db_path) == {young, pending_not_stale}
    assert pruned_total() == before + 2
    [line] = [json.loads(JsonLines("intake").format(r)) for r in caplog.records]
    assert line["pruned"] == 2 and line["retention_s"] == 20
    assert not any(k[6:] in json.dumps(line) for k in (old, pending_stale))  # ids of events never logged


async def test_the_pruner_runs_at_start_and_then_every_interval(store: SqliteStore, db_path: Path) -> None:
    clock, slept, seen = FakeClock(), list[float](), list[set[str]]()
    settings = IntakeSettings(idempotency_retention_s=100, prune_interval_s=60)
    first, second, third = (add(store, clock.now - age) for age in (101, 41, 0))
    two_runs = asyncio.Event()

    async def sleep(seconds: float) -> None:
        """Time passes at once; what is left is noted after each run; the third sleep lasts until cancelled."""
        slept.append(seconds)
        seen.append(keys_in(db_path))
        if len(slept) == 2:
            two_runs.set()
            await asyncio.Event().wait()
        clock.now += seconds

    task = asyncio.create_task(ClaimPruner(settings, store, clock=clock, sleep=sleep).run())
    await asyncio.wait_for(two_runs.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert slept == [60, 60]
    assert seen == [{second, third}, {third}]  # at start: the 101 s old one; a minute later: the 41 s old one


async def test_after_pruning_a_pruned_key_is_new_and_a_kept_key_gets_its_receipt(
    store: SqliteStore, db_path: Path, api_keys: dict[str, str]
) -> None:
    clock, publisher = FakeClock(), FakePublisher()
    settings = IntakeSettings(idempotency_retention_s=7 * DAY, publish_timeout_s=2)
    app = create_app(settings, publisher, store, store, connect=False, clock=clock)
    pruned, kept = ({**trigger(), "event_id": str(uuid.uuid4())} for _ in range(2))
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://intake", headers=bearer(api_keys["probation"])
    ) as c:
        assert (await c.post("/v1/events", json=pruned)).status_code == 202
        clock.now += 3 * DAY
        assert (await c.post("/v1/events", json=kept)).status_code == 202
        clock.now += 4 * DAY + 1  # `pruned` is now past the week; `kept` is four days old
        async with app.router.lifespan_context(app):  # intake starting: it prunes at once
            async with asyncio.timeout(5):  # the start-up run is in a worker thread
                while f"event:probation:{pruned['event_id']}" in keys_in(db_path):
                    await asyncio.sleep(0.01)
            again = await c.post("/v1/events", json=pruned)
            repeat = await c.post("/v1/events", json=kept)
            assert (again.status_code, again.json()["duplicate"]) == (202, False)
            assert (repeat.status_code, repeat.json()) == (200, {"event_id": kept["event_id"], "duplicate": True})
    assert [str(e.event_id) for e in publisher.events] == [pruned["event_id"], kept["event_id"], pruned["event_id"]]


def test_the_cli_prunes_once_and_prints_the_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "intake.sqlite3"
    store = SqliteStore(db)
    now = time.time()
    old, recent = add(store, now - 2 * DAY), add(store, now - 3600)
    store.close()
    monkeypatch.setenv("DRR_INTAKE_IDEMPOTENCY_RETENTION_S", str(DAY))
    assert run(["--db", str(db), "receipts", "prune"]) == 0
    assert capsys.readouterr().out == "pruned 1 idempotency receipts\n"
    assert run(["--db", str(db), "receipts", "prune"]) == 0
    assert capsys.readouterr().out == "pruned 0 idempotency receipts\n"
    assert keys_in(db) == {recent} and old != recent
