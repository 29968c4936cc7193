"""Intake: the HTTP door for agency systems. Validates an event, publishes it to Kafka keyed by case id,
and answers 202 only once the broker has acknowledged it (acks=all), so a 202 is never lost.

Run: `python -m services.intake` (settings: DRR_KAFKA_BOOTSTRAP, DRR_INTAKE_PORT, ...).
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram

from services.intake.adapters import Publisher
from services.intake.bootstrap import IntakeSettings
from services.intake.receipts import received_record, rejected_record
from services.intake.validation import Rejection, validate
from shared.audit_records import AuditRecord
from shared.events import Envelope
from shared.metrics import exposition

log = logging.getLogger(__name__)
ACCEPTED = Counter("drr_intake_events_accepted_total", "Events acknowledged by Kafka", ["event_type"])
REJECTED = Counter("drr_intake_events_rejected_total", "Events refused", ["reason"])
PUBLISH_SECONDS = Histogram("drr_intake_publish_seconds", "Time from request to broker acknowledgement")


def create_app(settings: IntakeSettings, publisher: Publisher, connect: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_keep_connecting(publisher)) if connect else None
        yield
        if task:
            task.cancel()
        await publisher.stop()

    app = FastAPI(title="drr-notify intake", version="1", lifespan=lifespan)

    @app.post("/v1/events", status_code=202)
    async def post_event(request: Request) -> JSONResponse:
        outcome = validate(await _read_at_most(request, settings.max_body_bytes), settings.max_body_bytes)
        if isinstance(outcome, Rejection):
            return await _reject(publisher, outcome)
        return await _accept(publisher, outcome, settings.publish_timeout_s)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        ready = publisher.ready()
        return JSONResponse({"status": "ok" if ready else "connecting"}, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return app


async def _read_at_most(request: Request, limit: int) -> bytes:
    """The body, or limit + 1 bytes of it: enough to refuse it without reading it all."""
    if int(request.headers.get("content-length") or 0) > limit:
        return b" " * (limit + 1)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


async def _accept(publisher: Publisher, event: Envelope, timeout_s: float) -> JSONResponse:
    try:
        with PUBLISH_SECONDS.time():
            await asyncio.wait_for(publisher.publish_event(event), timeout_s)
    except Exception as exc:  # whatever the cause, the event is not known to be durable
        log.warning("broker did not acknowledge", extra={"event_id": str(event.event_id), "error": type(exc).__name__})
        REJECTED.labels("broker_unavailable").inc()
        return JSONResponse({"error": "broker_unavailable", "errors": []}, 503, headers={"Retry-After": "5"})
    ACCEPTED.labels(event.event_type).inc()
    await _audit(publisher, received_record(event))
    return JSONResponse({"event_id": str(event.event_id)}, status_code=202)


async def _reject(publisher: Publisher, rejection: Rejection) -> JSONResponse:
    REJECTED.labels(rejection.reason).inc()
    await _audit(publisher, rejected_record(rejection))
    return JSONResponse(rejection.body(), status_code=rejection.status)


async def _audit(publisher: Publisher, record: AuditRecord) -> None:
    """Audit is best effort here: the event's own durability is what the answer promises."""
    try:
        await asyncio.wait_for(publisher.publish_audit(record), 5)
    except Exception as exc:
        log.warning("audit record not published", extra={"kind": "intake", "error": type(exc).__name__})


async def _keep_connecting(publisher: Publisher) -> None:
    while not publisher.ready():
        try:
            await publisher.start()
        except Exception as exc:
            log.warning("kafka not reachable yet", extra={"error": type(exc).__name__})
            await asyncio.sleep(1)
