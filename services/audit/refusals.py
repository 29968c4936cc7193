"""Every error body the audit API answers with, as models: raised from them, and published from them in
the OpenAPI document (`responses=`), so that the two cannot drift apart.

FastAPI's HTTPException wraps a body as `{"detail": ...}`; its own validation errors are `{"detail":
[issue, ...]}`. A 422 is either: the route's parameters failed FastAPI's checks, or ours.
"""

from typing import Any, Literal

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict


class _Exact(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRefused(_Exact):
    reason: Literal["oversight_token_required", "token_expired", "token_revoked"]


class NotOversight(_Exact):
    reason: Literal["not_an_oversight_token"]


class NotFound(_Exact):
    reason: Literal["case_not_found", "not_found"]
    """`case_not_found` also for a case outside a scoped token's agencies: it may not learn the case exists."""


class UnknownParameters(_Exact):
    reason: Literal["unknown_parameter", "repeated_parameter"]
    parameters: list[str]


class InvalidDate(_Exact):
    reason: Literal["invalid_date"]
    parameters: list[str]
    earliest: str
    latest: str


class SizesOutOfRange(_Exact):
    reason: Literal["sizes_out_of_range"]
    latest_size: int


class Unavailable(_Exact):
    reason: Literal["query_not_recorded", "no_checkpoint_yet"]


class ValidationIssue(BaseModel):
    """One of FastAPI's own validation errors (it may add `input`, `ctx`, `url`)."""

    loc: list[str | int]
    msg: str
    type: str


class Unauthorised(_Exact):
    detail: TokenRefused


class Forbidden(_Exact):
    detail: NotOversight


class Missing(_Exact):
    detail: NotFound


class Invalid(_Exact):
    detail: list[ValidationIssue] | UnknownParameters | InvalidDate | SizesOutOfRange


class NotNow(_Exact):
    detail: Unavailable


def refused(status: int, body: _Exact, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status, body.model_dump(), headers)


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


BEARER = {"WWW-Authenticate": _header("`Bearer`")}
RETRY = {"Retry-After": _header("seconds")}
OVERSIGHT: dict[int | str, dict[str, Any]] = {
    401: {"model": Unauthorised, "description": "No token, or an expired or revoked one", "headers": BEARER},
    403: {"model": Forbidden, "description": "Not an oversight token"},
    422: {"model": Invalid, "description": "A parameter is unknown, repeated, malformed or out of range"},
    503: {
        "model": NotNow,
        "description": "The query could not be recorded, or nothing is signed yet",
        "headers": RETRY,
    },
}
"""The refusals every oversight route may answer with."""
CASE = {**OVERSIGHT, 404: {"model": Missing, "description": "No such case among those the token may see"}}
