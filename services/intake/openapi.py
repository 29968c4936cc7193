"""The OpenAPI document: FastAPI's, plus the request bodies (the envelope union, read by hand so that
every refusal can be audited) and the bearer-key security scheme."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST

from services.intake.messages import ErrorBody
from shared.events import event_json_schema

REF = "#/components/schemas/{model}"
EVENT_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF.format(model="Event")}}}},
    "security": [{"apiKey": []}],
}
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="EventBatch")}}},
    },
    "security": [{"apiKey": []}],
}

METRICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The Prometheus text exposition format",
        "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
    }
}


def event_schemas(max_batch_events: int) -> dict[str, Any]:
    """`Event` (the discriminated union of every event type), `EventBatch`, and the models they use."""
    schema = event_json_schema(ref_template=REF)
    defs = schema.pop("$defs")
    batch = {
        "type": "object",
        "properties": {
            "events": {
                "type": "array",
                "items": {"$ref": REF.format(model="Event")},
                "minItems": 1,
                "maxItems": max_batch_events,
            }
        },
        "required": ["events"],
        "additionalProperties": False,
    }
    return {**defs, "Event": schema, "EventBatch": batch}


def install(app: FastAPI, max_batch_events: int) -> None:
    """Replace app.openapi with a generator that also documents the bodies and the security scheme."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = document.setdefault("components", {})
            components.setdefault("schemas", {}).update(event_schemas(max_batch_events))
            components["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer"}}
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "string"}}}
RETRIED = {429, 503}
"""Statuses that always come with Retry-After (a retryable 409 `request_in_progress` has it too)."""


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses an endpoint can answer."""
    retried = {"headers": RETRY_AFTER}
    return {status: {"model": ErrorBody} | (retried if status in RETRIED else {}) for status in statuses}
