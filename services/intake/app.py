"""Intake: the HTTP door for agency systems. Authenticates the sending system by its API key, validates
each event, refuses what its agency may not publish, recognises repeats, publishes to Kafka keyed by
case id, and answers 202 only once the broker has acknowledged it (acks=all), so a 202 is never lost.

Run: `python -m services.intake` (settings: DRR_KAFKA_BOOTSTRAP, DRR_INTAKE_PORT, DRR_INTAKE_DB_PATH, ...).
Keys: `intake keys issue --agency prison --system nomis`.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from services.intake import openapi
from services.intake.access import KeyRepository
from services.intake.adapters import Publisher
from services.intake.authority import DataHolders
from services.intake.bootstrap import IntakeSettings
from services.intake.door import Door
from services.intake.handling import Intake
from services.intake.messages import BatchResult, Health, Receipt
from services.intake.pruning import ClaimPruner
from services.intake.refusal_tally import RefusalTally, flush_every
from services.intake.store import IntakeStore
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
) -> FastAPI:
    """`data_holders` defaults to the sharing policy's (settings.policy_path), read once here."""
    holders = data_holders or DataHolders.of(load_policy(settings.policy_path).spec)
    intake = Intake(settings, publisher, store, clock, data_holders=holders)
    tally = RefusalTally(
        settings.refusal_window_s, DigestKey.from_file(settings.digest_key_path), settings.refusal_callers_max
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_keep_connecting(publisher)) if connect else None
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
        """200 once the broker is reachable, else 503 `connecting`. Caller: the orchestrator's probe."""
        ready = publisher.ready()
        return JSONResponse({"status": "ok" if ready else "connecting"}, status_code=200 if ready else 503)

    @app.get("/metrics", response_class=Response, responses=openapi.METRICS_RESPONSES)
    async def metrics() -> Response:
        """Prometheus text exposition. Caller: the metrics scraper."""
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    openapi.install(app, settings.max_batch_events)
    return app


async def _keep_connecting(publisher: Publisher) -> None:
    while not publisher.ready():
        try:
            await publisher.start()
        except Exception as exc:
            log.warning("kafka not reachable yet", extra={"error": type(exc).__name__})
            await asyncio.sleep(1)
