"""The audit service: keeps every service's audit records in an append-only, hash-chained SQLite
ledger and serves them read-only over HTTP, with a flag saying whether the chain is intact.

Run with `python -m services.audit` (settings: DRR_AUDIT_HOST, DRR_AUDIT_PORT, DRR_AUDIT_DB_PATH,
DRR_KAFKA_BOOTSTRAP, DRR_LOG_LEVEL). Endpoints: GET /v1/audit/entries, /healthz, /metrics.
"""

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.audit.adapters import Ledger
from services.audit.metrics import LEDGER_SIZE
from shared.metrics import exposition

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 10.0


class Worker(Protocol):
    """The background consumer, as the app sees it (AuditConsumer, or a fake in tests)."""

    @property
    def ready(self) -> bool: ...

    async def run(self) -> None: ...

    def stop(self) -> None: ...


class EntryOut(BaseModel):
    seq: int
    entry_hash: str
    prev_hash: str
    record: dict[str, Any]
    """The record exactly as hashed: canonical_json(record) reproduces the hashed bytes."""


class EntriesPage(BaseModel):
    entries: list[EntryOut]
    chain_intact: bool
    next_after: int | None
    """Pass as `after` to get the next page; null when there is none."""


def create_app(ledger: Ledger, worker: Worker | None = None) -> FastAPI:
    """The HTTP app over `ledger`; `worker` (if any) runs for the app's lifetime."""
    app = FastAPI(title="drr-notify audit", lifespan=_lifespan)
    app.state.ledger, app.state.worker = ledger, worker
    app.add_api_route("/v1/audit/entries", list_entries, methods=["GET"])
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route("/metrics", metrics, methods=["GET"])
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    LEDGER_SIZE.set(app.state.ledger.head().seq)
    worker: Worker | None = app.state.worker
    task = asyncio.create_task(worker.run()) if worker else None
    yield
    if worker and task:
        worker.stop()
        await _finish(task)


async def _finish(task: "asyncio.Task[None]") -> None:
    """Let the worker finish its batch and close; give up after STOP_TIMEOUT_S."""
    with suppress(Exception):  # a worker that failed has logged why already
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT_S)
        except TimeoutError:
            log.error("audit consumer did not stop in time", extra={"timeout_s": STOP_TIMEOUT_S})


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def list_entries(
    ledger: Annotated[Ledger, Depends(_ledger)],
    case_id: str | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EntriesPage:
    """A page of entries (one case's, or all), and whether the whole ledger's chain verifies."""
    page = ledger.entries(case_id=case_id, after_seq=after, limit=limit + 1)
    entries = [
        EntryOut(seq=e.seq, entry_hash=e.entry_hash, prev_hash=e.prev_hash, record=json.loads(e.record_json))
        for e in page[:limit]
    ]
    broken = ledger.first_broken()
    if broken is not None:
        log.error("audit chain broken", extra={"first_broken_index": broken})
    next_after = entries[-1].seq if len(page) > limit else None
    return EntriesPage(entries=entries, chain_intact=broken is None, next_after=next_after)


def healthz(request: Request, ledger: Annotated[Ledger, Depends(_ledger)]) -> JSONResponse:
    """200 only while the consumer (when there is one) is running and the ledger can be read."""
    worker: Worker | None = request.app.state.worker
    if (worker is not None and not worker.ready) or not _readable(ledger):
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def _readable(ledger: Ledger) -> bool:
    try:
        ledger.head()
    except sqlite3.Error:
        return False
    return True


def metrics() -> Response:
    body, content_type = exposition()
    return Response(content=body, media_type=content_type)
