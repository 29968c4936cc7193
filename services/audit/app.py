"""The audit service: keeps every service's audit records as leaves of an RFC 6962 Merkle tree with
signed checkpoints, and answers oversight bodies (bearer tokens) with proofs they can check themselves.

Run with `python -m services.audit` (settings: DRR_AUDIT_*, see bootstrap). Endpoints: /v1/checkpoint,
/v1/audit/entries, /v1/proofs/consistency, /v1/cases/{case_id}/disclosures, /healthz, /metrics; and, with
DRR_AUDIT_CONSOLE_ISSUER_URL set, the oversight console for people (console/: /console/..., /auth/...).
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Literal, Protocol

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from services.audit.console.access import Console
from services.audit.console.app import install
from services.audit.metrics import LEDGER_SIZE
from services.audit.oversight import router
from services.audit.records import RecordLog
from services.audit.store import SqlLedger
from shared.metrics import exposition

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 10.0


class Worker(Protocol):
    """The background consumer, as the app sees it (AuditConsumer, or a fake in tests)."""

    @property
    def ready(self) -> bool: ...

    async def run(self) -> None: ...

    def stop(self) -> None: ...


def create_app(
    ledger: SqlLedger,
    query_log: RecordLog,
    verifier_key: str,
    worker: Worker | None = None,
    resources: Callable[[], AsyncIterator[None]] | None = None,
    console: Console | None = None,
) -> FastAPI:
    """The HTTP app over `ledger`; `worker` (if any) runs, and `resources` stay open, for its lifetime;
    `console` (if any) serves its pages beside the API."""
    # the OpenAPI document and its page, and no other built-in page (README: every route is listed)
    app = FastAPI(title="drr-notify audit", lifespan=_lifespan, redoc_url=None, swagger_ui_oauth2_redirect_url=None)
    app.state.ledger, app.state.query_log, app.state.worker = ledger, query_log, worker
    app.state.verifier_key, app.state.resources = verifier_key, resources
    app.include_router(router)
    app.add_exception_handler(HTTPException, _refusal)
    app.add_api_route("/healthz", healthz, methods=["GET"], responses={503: {"model": Down, "description": "Down"}})
    app.add_api_route("/metrics", metrics, methods=["GET"], response_class=PlainTextResponse)
    if console is not None:
        install(app, console)
    return app


async def _refusal(request: Request, error: Exception) -> Response:
    """A path no route matches (say, a case id that held a `/`) is a 404 with a reason, like the others."""
    assert isinstance(error, HTTPException)
    if error.status_code == 404 and not isinstance(error.detail, dict):
        return JSONResponse({"detail": {"reason": "not_found"}}, status_code=404)
    return await http_exception_handler(request, error)


class Down(BaseModel):
    status: Literal["unavailable"]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    LEDGER_SIZE.set(app.state.ledger.size())
    async with asynccontextmanager(app.state.resources or _nothing)():
        worker: Worker | None = app.state.worker
        task = asyncio.create_task(worker.run()) if worker else None
        yield
        if worker and task:
            worker.stop()
            await _finish(task)
    app.state.ledger.close()


async def _nothing() -> AsyncIterator[None]:
    yield


async def _finish(task: "asyncio.Task[None]") -> None:
    """Let the worker finish its batch and close; give up after STOP_TIMEOUT_S."""
    with suppress(Exception):  # a worker that failed has logged why already
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT_S)
        except TimeoutError:
            log.error("audit consumer did not stop in time", extra={"timeout_s": STOP_TIMEOUT_S})


async def healthz(request: Request) -> JSONResponse:
    """200 only while the consumer (when there is one) is running and the ledger can be read."""
    worker: Worker | None = request.app.state.worker
    if (worker is not None and not worker.ready) or not await asyncio.to_thread(_readable, request.app.state.ledger):
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def _readable(ledger: SqlLedger) -> bool:
    try:
        ledger.size()
    except Exception:  # any driver's error: the database cannot be read
        return False
    return True


def metrics() -> Response:
    body, content_type = exposition()
    return Response(content=body, media_type=content_type)
