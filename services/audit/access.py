"""Who may ask the oversight API, and what they may ask: the checks every route runs before it answers.

In order: a bearer token of ours (none, expired or revoked: 401; not ours: 403), then only the query
parameters the route declares, each once (422 `unknown_parameter` / `repeated_parameter`), then FastAPI's
own checks of their values; the routes check dates (422 `invalid_date`). Nothing refused here is recorded.
"""

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from pydantic import WithJsonSchema

from services.audit.leaves import timestamp
from services.audit.refusals import InvalidDate, NotOversight, TokenRefused, UnknownParameters, refused
from services.audit.tokens import Grant, holder

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
"""Dates outside these (in UTC) are refused: nothing in the ledger is older, and later ones overflow."""
BEARER = {"WWW-Authenticate": "Bearer"}


async def oversight(request: Request) -> Grant:
    """The caller's token, if it is one of ours and still valid."""
    authorization = request.headers.get("authorization")
    if not authorization:
        raise refused(401, TokenRefused(reason="oversight_token_required"), BEARER)
    grant = await run_in_threadpool(holder, request.app.state.ledger, authorization)
    if grant is None:
        raise refused(403, NotOversight(reason="not_an_oversight_token"))
    reason = grant.refusal(datetime.now(UTC))
    if reason == "token_expired" or reason == "token_revoked":
        raise refused(401, TokenRefused(reason=reason), {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return grant


def _declared(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    return names.union(*(_declared(sub) for sub in dependant.dependencies))


async def caller(request: Request, grant: Annotated[Grant, Depends(oversight)]) -> Grant:
    """The token, once the request names only parameters its route declares, each at most once."""
    asked = [name for name, _ in request.query_params.multi_items()]
    unknown = sorted(set(asked) - _declared(request.scope["route"].dependant))
    if unknown:
        raise refused(422, UnknownParameters(reason="unknown_parameter", parameters=[n[:100] for n in unknown[:20]]))
    repeated = sorted({name for name in asked if asked.count(name) > 1})
    if repeated:
        raise refused(422, UnknownParameters(reason="repeated_parameter", parameters=repeated))
    return grant


Caller = Annotated[Grant, Depends(caller)]


RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
Moment = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 40}), Query(max_length=40)
]
"""A date and time with its offset (RFC 3339, e.g. `2026-01-01T00:00:00Z`), parsed by `moments` (a bare
date, a missing offset or a number would each mean something else to someone)."""


def _utc(text: str) -> datetime | None:
    """The moment in UTC, or None if it is no RFC 3339 date-time or is outside the range."""
    match = RFC3339.fullmatch(text)
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    normal = f"{day}T{clock}{(fraction or '')[:7]}{'+00:00' if offset in 'Zz' else offset}"
    try:
        utc = datetime.fromisoformat(normal).astimezone(UTC)
    except (ValueError, OverflowError):  # 2026-02-30, 23:59:60; 0001-01-01T00:00:00+14:00 is before year 1
        return None
    return utc if EARLIEST <= utc < LATEST else None


def moments(**asked: str | None) -> dict[str, datetime | None]:
    """The dates asked, in UTC; 422 `invalid_date` naming each one that is malformed or out of range."""
    normal = {name: None if text is None else _utc(text) for name, text in asked.items()}
    wrong = [name for name, text in asked.items() if text is not None and normal[name] is None]
    if wrong:
        body = InvalidDate(
            reason="invalid_date", parameters=wrong, earliest=timestamp(EARLIEST), latest=timestamp(LATEST)
        )
        raise refused(422, body)
    return normal
