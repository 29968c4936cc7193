"""The portal: the practitioners' inbox and the oversight console, served as HTML pages. So far only its
door: sign-in with OpenID Connect, a session in a signed cookie, CSRF checks on every form (all in
shared/web_signin/), logout, and a first page that says who is signed in.

Run: `python -m services.portal` (settings: DRR_PORTAL_ISSUER_URL, DRR_PORTAL_CLIENT_ID,
DRR_PORTAL_CLIENT_SECRET, DRR_PORTAL_PUBLIC_URL, DRR_PORTAL_SESSION_SECRET, ...: bootstrap.py).

| route | caller |
|---|---|
| GET / | anyone's browser: who is signed in, or a page with a sign-in link |
| GET /auth/login, GET /auth/callback, POST /auth/logout | browsers signing in and out (signin.py) |
| GET /healthz | the orchestrator's probe |
| GET /metrics | the metrics scraper |
"""

import secrets
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from services.portal.bootstrap import PortalSettings
from services.portal.pages import Pages
from shared.metrics import exposition
from shared.web_signin import refusals, signin
from shared.web_signin.cookies import SignedCookie
from shared.web_signin.csrf import CsrfProtection, csrf_field
from shared.web_signin.headers import SecurityHeaders
from shared.web_signin.oidc import Client, Issuer
from shared.web_signin.sessions import Sessions

SERVICE = "portal"


def build_app(
    settings: PortalSettings, *, http: httpx.AsyncClient | None = None, clock: Callable[[], float] = time.time
) -> FastAPI:
    """`http` reaches the issuer (one is made, and closed with the app, when not given: tests pass one
    that reaches a fake issuer); `clock` is what cookies and ID tokens are checked against."""
    own_http = http is None
    http = http or issuer_http(settings)
    issuer = Issuer(settings.issuer_url, client_of(settings), http, clock)
    secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)

    def cookie(name: str, max_age_s: int) -> SignedCookie:
        return SignedCookie(name, secret=secret, salt=name, max_age_s=max_age_s, secure=settings.https, clock=clock)

    sessions = Sessions(cookie("drr_portal_session", settings.session_max_age_s))
    sign_in = signin.SignIn(
        issuer,
        cookie("drr_portal_login", settings.login_max_age_s),
        sessions,
        keep_id_token=settings.keep_id_token,
        service=SERVICE,
    )
    pages = Pages()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if own_http:
            await http.aclose()

    app = FastAPI(title="DRR portal", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_exception_handler(refusals.Refusal, refusals.handler(SERVICE))
    app.include_router(signin.router(sign_in, settings.public_url))
    app.add_middleware(CsrfProtection, sessions=sessions, public_url=settings.public_url, service=SERVICE)
    app.add_middleware(SecurityHeaders, issuer_url=settings.issuer_url)

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        """Caller: anyone's browser. Signed in: who they are; else (or with a forged or expired session
        cookie, which is cleared) the sign-in link."""
        session = sessions.current(request)
        if session is not None:
            return pages.render("index.html", session=session, csrf_field=csrf_field(session))
        stale = sessions.cookie.present(request)
        response = pages.render("signed_out.html", ended=stale)
        if stale:
            sessions.end(response)
        return response

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 while the portal serves. Caller: the orchestrator's probe (the issuer's health is its own)."""
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        """Prometheus text exposition. Caller: the metrics scraper."""
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return app


def client_of(settings: PortalSettings) -> Client:
    secret = settings.client_secret.get_secret_value() if settings.client_secret else None
    return Client(settings.client_id, secret, settings.redirect_uri, settings.scopes)


def issuer_http(settings: PortalSettings) -> httpx.AsyncClient:
    """The portal's one HTTP client to its issuer: the issuer's CA when given, no redirects, 10 s timeout."""
    context = ssl.create_default_context(cafile=settings.issuer_ca_file)
    return httpx.AsyncClient(verify=context, timeout=10.0, follow_redirects=False)
