"""Intake: the HTTP door for agency systems. Authenticates the sending system by its API key, validates
each event, refuses what its agency may not publish, recognises repeats, publishes to Kafka keyed by
case id, and answers 202 only once the broker has acknowledged it (acks=all), so a 202 is never lost.

Run: `python -m services.intake` (settings: DRR_KAFKA_BOOTSTRAP, DRR_INTAKE_PORT, DRR_INTAKE_DB_PATH, ...).
Keys: `intake keys issue --agency prison --system nomis`.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.intake import openapi
from services.intake.adapters import Publisher
from services.intake.auth import Refusal, authenticate
from services.intake.authority import DataHolders
from services.intake.bootstrap import IntakeSettings
from services.intake.handling import Intake, Outcome
from services.intake.keys import ApiKey
from services.intake.pruning import ReceiptPruner
from services.intake.ratelimit import TokenBuckets
from services.intake.receipts import refused_record
from services.intake.responses import BatchResult, Receipt, documented, error_response
from services.intake.store import IntakeStore, KeyRepository
from services.intake.validation import Rejection, validate, validate_batch
from shared.metrics import exposition
from shared.policy.loading import load_policy

log = logging.getLogger(__name__)
REFUSALS = (401, 403, 413, 422, 429, 503)


def create_app(
    settings: IntakeSettings,
    publisher: Publisher,
    keys: KeyRepository,
    receipts: IntakeStore,
    connect: bool = True,
    clock: Callable[[], float] = time.time,
    data_holders: DataHolders | None = None,
) -> FastAPI:
    """`data_holders` defaults to the sharing policy's (settings.policy_path), read once here."""
    holders = data_holders or DataHolders.of(load_policy(settings.policy_path).spec)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_keep_connecting(publisher)) if connect else None
        pruning = asyncio.create_task(ReceiptPruner(settings, receipts, clock=clock).run())
        yield
        pruning.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruning
        if task:
            task.cancel()
        await publisher.stop()

    # the OpenAPI document and its page, and no other built-in page (README: every route is listed)
    app = FastAPI(
        title="drr-notify intake", version="1", lifespan=lifespan, redoc_url=None, swagger_ui_oauth2_redirect_url=None
    )
    door = Door(settings, keys, Intake(settings, publisher, receipts, clock, data_holders=holders))
    single = {200: {"model": Receipt}, **documented(*REFUSALS, 404, 409)}
    app.post("/v1/events", status_code=202, response_model=Receipt, responses=single, openapi_extra=openapi.EVENT_BODY)(
        door.post_event
    )
    app.post(
        "/v1/events:batch",
        response_model=BatchResult,
        responses=documented(*REFUSALS),
        openapi_extra=openapi.BATCH_BODY,
    )(door.post_batch)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        ready = publisher.ready()
        return JSONResponse({"status": "ok" if ready else "connecting"}, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    openapi.install(app, settings.max_batch_events)
    return app


class Door:
    """The two publishing endpoints: who is calling, within their rate, then the events."""

    def __init__(self, settings: IntakeSettings, keys: KeyRepository, intake: Intake) -> None:
        self._settings, self._keys, self._intake = settings, keys, intake
        self._buckets = TokenBuckets(settings.rate_per_s, settings.rate_burst)

    async def post_event(self, request: Request) -> Response:
        key = await self._caller(request)
        if isinstance(key, Response):
            return key
        if limited := self._charge(key, 1):
            return limited
        limit = self._settings.max_body_bytes
        item = validate(await _read_at_most(request, limit), limit)
        [outcome] = await self._intake.submit(key, [item], request.headers.get("idempotency-key"))
        return _single_answer(outcome)

    async def post_batch(self, request: Request) -> Response:
        """Up to max_batch_events events, one result per item (200); a malformed batch as a whole is a 4xx."""
        key = await self._caller(request)
        if isinstance(key, Response):
            return key
        limit = self._settings.max_batch_body_bytes
        items = validate_batch(await _read_at_most(request, limit), limit, self._settings.max_batch_events)
        if isinstance(items, Rejection):
            [outcome] = await self._intake.submit(key, [items], None)
            return _single_answer(outcome)
        if limited := self._charge(key, len(items)):
            return limited
        outcomes = await self._intake.submit(key, items, None)
        return JSONResponse(BatchResult(results=[o.result for o in outcomes]).model_dump(mode="json"))

    async def _caller(self, request: Request) -> ApiKey | JSONResponse:
        """The key the request came with, or the audited 401 to answer."""
        key = authenticate(request.headers.get("authorization"), self._keys)
        if isinstance(key, Refusal):
            await self._intake.audit([refused_record(key.reason)])
            return error_response(key.status, key.reason, [{"field": "", "message": key.message}])
        return key

    def _charge(self, key: ApiKey, cost: int) -> JSONResponse | None:
        """Take `cost` events from the key's token bucket, or the 429 to answer."""
        wait = self._buckets.take(key.key_id, cost, time.monotonic())
        if not wait:
            return None
        message = f"at most {self._settings.rate_per_s:g} events a second per key"
        errors = [{"field": "", "message": message}]
        return error_response(429, "rate_limited", errors, Retry_After=str(math.ceil(wait)))


def _single_answer(outcome: Outcome) -> JSONResponse:
    result = outcome.result
    if result.event_id is not None:
        receipt = Receipt(event_id=result.event_id, duplicate=outcome.status == 200)
        return JSONResponse(receipt.model_dump(mode="json"), outcome.status)
    errors = [e.model_dump() for e in result.errors]
    retry = {"Retry_After": "5" if outcome.status == 503 else "1"} if result.retryable else {}
    return error_response(outcome.status, result.error or "rejected", errors, **retry)


async def _read_at_most(request: Request, limit: int) -> bytes:
    """The body, or limit + 1 bytes of it: enough to refuse it without reading it all."""
    declared = request.headers.get("content-length") or "0"
    if declared.isdigit() and int(declared) > limit:
        return b" " * (limit + 1)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


async def _keep_connecting(publisher: Publisher) -> None:
    while not publisher.ready():
        try:
            await publisher.start()
        except Exception as exc:
            log.warning("kafka not reachable yet", extra={"error": type(exc).__name__})
            await asyncio.sleep(1)
