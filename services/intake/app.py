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
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.intake import openapi
from services.intake.access import ApiKey, KeyRepository, Refusal, TokenBuckets, authenticate
from services.intake.adapters import Publisher, Sealer, keep_connecting
from services.intake.authority import DataHolders
from services.intake.bootstrap import IntakeSettings
from services.intake.handling import Intake, Outcome
from services.intake.messages import (
    BatchResult,
    ErrorBody,
    FieldError,
    Health,
    Receipt,
    Rejection,
    validate,
    validate_batch,
)
from services.intake.pruning import ClaimPruner
from services.intake.refusal_tally import RefusalTally, flush_every
from services.intake.store import IntakeStore
from shared.case_crypto import CaseKeys, case_keys
from shared.digests import DigestKey
from shared.metrics import exposition
from shared.policy.loading import load_policy

log = logging.getLogger(__name__)
REFUSALS = (401, 403, 413, 422, 429, 503)


def create_app(
    settings: IntakeSettings,
    publisher: Publisher,
    keys: KeyRepository,
    store: IntakeStore,
    connect: bool = True,
    clock: Callable[[], float] = time.time,
    data_holders: DataHolders | None = None,
    crypto: CaseKeys | None = None,
) -> FastAPI:
    """`data_holders` defaults to the sharing policy's (settings.policy_path), read once here; `crypto` to the
    key topics on the broker (in memory when not `connect`ing: unit tests)."""
    holders = data_holders or DataHolders.of(load_policy(settings.policy_path).spec)
    producers_key = DigestKey.from_file(settings.digest_key_path)
    options = settings.kafka_access().client_options() if connect else None
    crypto = crypto or case_keys(options, producers_key, settings.kek_uri, writes=True)
    sealer = Sealer(crypto, settings.seal_fields)
    intake = Intake(settings, publisher, store, clock, data_holders=holders, sealer=sealer)
    tally = RefusalTally(settings.refusal_window_s, producers_key, settings.refusal_callers_max)
    keys_ready = asyncio.Event()
    if options is None:
        keys_ready.set()  # in memory: nothing to read

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        key_reading = asyncio.create_task(keep_starting(crypto, keys_ready))
        task = asyncio.create_task(keep_connecting(publisher)) if connect else None
        pruning = asyncio.create_task(ClaimPruner(settings, store, clock=clock).run())
        flushing = asyncio.create_task(flush_every(min(5.0, settings.refusal_window_s), tally, clock, intake.audit))
        yield
        for background in (pruning, flushing):
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
        await intake.audit(tally.all())  # the counts so far, the current window's too, before the producer stops
        if task:
            task.cancel()
        key_reading.cancel()
        await crypto.stop()
        await publisher.stop()

    # the OpenAPI document and its page, and no other built-in page (README: every route is listed)
    app = FastAPI(
        title="drr-notify intake", version="1", lifespan=lifespan, redoc_url=None, swagger_ui_oauth2_redirect_url=None
    )
    door = Door(settings, keys, intake, tally, clock)
    single = {200: {"model": Receipt}, **openapi.documented(*REFUSALS, 404, 409)}
    app.post("/v1/events", status_code=202, response_model=Receipt, responses=single, openapi_extra=openapi.EVENT_BODY)(
        door.post_event
    )
    app.post(
        "/v1/events:batch",
        response_model=BatchResult,
        responses=openapi.documented(*REFUSALS),
        openapi_extra=openapi.BATCH_BODY,
    )(door.post_batch)

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    async def healthz() -> JSONResponse:
        """200 once the broker is reachable and every case key read, else 503 `connecting`. Caller: the
        orchestrator's probe."""
        ready = publisher.ready() and keys_ready.is_set()
        return JSONResponse({"status": "ok" if ready else "connecting"}, status_code=200 if ready else 503)

    @app.get("/metrics", response_class=Response, responses=openapi.METRICS_RESPONSES)
    async def metrics() -> Response:
        """Prometheus text exposition. Caller: the metrics scraper."""
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    openapi.install(app, settings.max_batch_events)
    return app


async def keep_starting(keys: CaseKeys, ready: asyncio.Event) -> None:
    """Read the key topics whole (until the broker is reachable): events are sealed only after that."""
    while True:
        try:
            await keys.started()
        except Exception as exc:
            log.warning("key topics not readable yet", extra={"error": type(exc).__name__})
            await keys.stop()
            await asyncio.sleep(1)
        else:
            ready.set()
            return


class Door:
    """The two publishing endpoints, POST /v1/events and /v1/events:batch. Callers: agency systems, each with
    its own API key (README: Security model).

    In this order: the client address within its rate (a request at a time, before anything else, so a flood
    of bad keys costs one bucket look-up each), the key (401), the body, the key within its rate (events), then
    the events themselves (handling.py). What is refused before a key is known is counted, not audited one by
    one (refusal_tally.py). The client address is the connection's peer (uvicorn takes a forwarded address
    only from a proxy it is told to trust); behind a load balancer, that is the balancer's address unless the
    balancer is trusted."""

    def __init__(
        self,
        settings: IntakeSettings,
        keys: KeyRepository,
        intake: Intake,
        refusals: RefusalTally,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings, self._keys, self._intake = settings, keys, intake
        self._refusals, self._clock = refusals, clock
        self._buckets = TokenBuckets(settings.rate_per_s, settings.rate_burst)
        self._addresses = TokenBuckets(
            settings.address_rate_per_s, settings.address_rate_burst, settings.address_buckets_max
        )

    async def post_event(self, request: Request) -> Response:
        key = self._caller(request)
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
        key = self._caller(request)
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

    def _caller(self, request: Request) -> ApiKey | JSONResponse:
        """The key the request came with, or the 429 or 401 to answer (counted for the audit trail)."""
        address = request.client.host if request.client else ""
        if wait := self._addresses.take(address, 1, time.monotonic()):
            self._refusals.count("rate_limited", key_id=None, address=address, now=self._clock())
            return _limited(f"at most {self._settings.address_rate_per_s:g} requests a second per address", wait)
        key = authenticate(request.headers.get("authorization"), self._keys)
        if isinstance(key, Refusal):
            self._refusals.count(key.reason, key_id=key.key_id, address=address, now=self._clock())
            return error_response(key.status, key.reason, [{"field": "", "message": key.message}])
        return key

    def _charge(self, key: ApiKey, cost: int) -> JSONResponse | None:
        """Take `cost` events from the key's token bucket, or the 429 to answer."""
        wait = self._buckets.take(key.key_id, cost, time.monotonic())
        return _limited(f"at most {self._settings.rate_per_s:g} events a second per key", wait) if wait else None


def _limited(message: str, wait: float) -> JSONResponse:
    errors = [{"field": "", "message": message}]
    return error_response(429, "rate_limited", errors, Retry_After=str(max(1, math.ceil(wait))))


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


def error_response(
    status: int, reason: str, errors: list[dict[str, Any]] | None = None, **headers: str
) -> JSONResponse:
    body = ErrorBody(error=reason, errors=[FieldError(**e) for e in errors or []])
    return JSONResponse(
        body.model_dump(mode="json"), status, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )
