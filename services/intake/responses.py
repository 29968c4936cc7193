"""What intake answers, as pydantic models: they produce the JSON and document it in OpenAPI."""

from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str
    """Dotted path of the offending field ('' for the body as a whole); never the value sent."""
    type: str | None = None
    message: str


class ErrorBody(BaseModel):
    error: str
    """A machine-readable reason: missing_credentials, invalid_credentials, key_revoked, agency_mismatch,
    event_type_not_allowed, malformed_json, invalid_event, invalid_batch, body_too_large, idempotency_conflict,
    event_id_taken, request_in_progress, rate_limited, broker_unavailable; and the authority refusals (authority.py):
    case_not_found, event_not_found, case_exists, not_case_owner, not_data_holder, version_not_next,
    agreement_spans_data_holders."""
    errors: list[FieldError] = Field(default_factory=list)


class Receipt(BaseModel):
    event_id: UUID
    duplicate: bool = False
    """True when this answers a repeat of an event already accepted (nothing was published again)."""


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class ItemResult(BaseModel):
    index: int
    status: ItemStatus
    event_id: UUID | None = None
    error: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
    retryable: bool = False
    """True when sending the same item again may succeed (broker unavailable, request in progress)."""


class BatchResult(BaseModel):
    results: list[ItemResult]


class Health(BaseModel):
    status: Literal["ok", "connecting"]


def error_response(
    status: int, reason: str, errors: list[dict[str, Any]] | None = None, **headers: str
) -> JSONResponse:
    body = ErrorBody(error=reason, errors=[FieldError(**e) for e in errors or []])
    return JSONResponse(
        body.model_dump(mode="json"), status, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "string"}}}
RETRIED = {429, 503}
"""Statuses that always come with Retry-After (a retryable 409 `request_in_progress` has it too)."""


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses an endpoint can answer."""
    retried = {"headers": RETRY_AFTER}
    return {status: {"model": ErrorBody} | (retried if status in RETRIED else {}) for status in statuses}
