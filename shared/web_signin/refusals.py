"""Every refusal the sign-in door makes is a 4xx (or 503 when the issuer cannot be reached) with a
machine-readable reason, `{"error": reason, "detail": sentence}`, never a stack trace.

Reasons: sign-in (signin.py) login_state_missing, login_state_invalid, login_state_expired, state_mismatch,
issuer_error (with `issuer_error`, the issuer's own code, e.g. access_denied), missing_code,
token_exchange_failed, issuer_unavailable, and the ID token's (id_tokens.py) malformed_token,
unsupported_alg, unknown_key, bad_signature, wrong_issuer, wrong_audience, wrong_azp, token_expired,
token_not_yet_valid, nonce_mismatch, missing_claim, invalid_claim; the session's (sessions.py)
not_a_practitioner, unknown_agency, malformed_claims; forms (csrf.py) not_signed_in, cross_origin,
csrf_missing, csrf_mismatch, body_too_large.
"""

import logging
import re
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse

from shared.web_signin import metrics

log = logging.getLogger(__name__)


class Refusal(Exception):
    def __init__(self, status: int, error: str, detail: str, **extra: str) -> None:
        super().__init__(error)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error, "detail": self.detail, **self.extra}, status_code=self.status)


def issuer_code(value: str) -> str:
    """An error code the issuer sent back in the browser's URL, reduced to what a code may hold."""
    return re.sub(r"[^a-z0-9_]", "", value.lower())[:64] or "unknown"


def handler(service: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """The exception handler a service installs for Refusal, counting under its own name."""

    async def handle(request: Request, refusal: Exception) -> JSONResponse:
        assert isinstance(refusal, Refusal)
        reason = refusal.error
        log.info("refused %s %s: %s", request.method, request.url.path, reason, extra={"reason": reason})
        metrics.REFUSALS.labels(service=service, reason=reason).inc()
        return refusal.response()

    return handle
