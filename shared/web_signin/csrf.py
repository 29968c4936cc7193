"""CSRF protection for every form: no request that changes anything passes without its session's token.

An ASGI middleware, so that no route can forget it: every request whose method is not GET, HEAD or
OPTIONS needs a valid session, an Origin (when the browser sends one) that is the service's own, and the
session's CSRF token, as the `csrf_token` field of a url-encoded form (each template's hidden field,
csrf_field below) or an `X-CSRF-Token` header. Otherwise 403 with a machine-readable reason (refusals.py).
The SameSite=Lax session cookie is the other layer: a cross-site POST does not even carry it.
"""

import hmac
from urllib.parse import parse_qs, urlsplit

from markupsafe import Markup, escape
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.web_signin import metrics
from shared.web_signin.refusals import Refusal
from shared.web_signin.sessions import Session, Sessions

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"
MAX_FORM_BYTES = 64 * 1024


def csrf_field(session: Session) -> Markup:
    """The hidden input every form of a signed-in page carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(session.csrf))


class CsrfProtection:
    def __init__(self, app: ASGIApp, *, sessions: Sessions, public_url: str, service: str) -> None:
        self.app, self.sessions, self.service = app, sessions, service
        parts = urlsplit(public_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._check(HTTPConnection(scope), receive)
        except Refusal as refusal:
            metrics.REFUSALS.labels(service=self.service, reason=refusal.error).inc()
            await refusal.response()(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _check(self, connection: HTTPConnection, receive: Receive) -> bytes:
        """The request's body, once the request has shown it comes from the session's own pages."""
        session = self.sessions.current(connection)
        if session is None:
            raise Refusal(403, "not_signed_in", "this needs a session: sign in first")
        origin = connection.headers.get("origin")
        if origin is not None and origin != self.origin:
            raise Refusal(403, "cross_origin", "this form was sent from another site")
        body = await _read_body(receive)
        token = connection.headers.get(HEADER) or _form_token(connection, body)
        if token is None:
            raise Refusal(403, "csrf_missing", "the form carries no CSRF token")
        if not hmac.compare_digest(token.encode(), session.csrf.encode()):
            raise Refusal(403, "csrf_mismatch", "the form's CSRF token is not this session's")
        return body


def _form_token(connection: HTTPConnection, body: bytes) -> str | None:
    if connection.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    try:
        values = parse_qs(body.decode(), keep_blank_values=True).get(FIELD, [])
    except UnicodeDecodeError:
        return None
    return values[0] if len(values) == 1 else None


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise Refusal(413, "body_too_large", f"a form may hold at most {MAX_FORM_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, server: Receive) -> Receive:
    """A receive that hands the route the body this middleware already read, then the server's messages."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await server()

    return receive
