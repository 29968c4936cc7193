"""The portal: the practitioners' inbox and case pages, served as HTML from what it follows on Kafka
(case_data.py), behind sign-in with OpenID Connect, a session in a signed cookie and CSRF checks on every
form (all in shared/web_signin/).

Run: `python -m services.portal` (settings: DRR_PORTAL_ISSUER_URL, DRR_PORTAL_CLIENT_ID,
DRR_PORTAL_CLIENT_SECRET, DRR_PORTAL_PUBLIC_URL, DRR_PORTAL_SESSION_SECRET, its Kafka principal and keys,
...: bootstrap.py).

| route | caller |
|---|---|
| GET / | anyone's browser: a practitioner's inbox (inbox.py), or a page with a sign-in link |
| the inbox's and the case pages' routes | signed-in practitioners (inbox.py lists who may call each) |
| GET /cases/{id}/statement, .../statement.pdf | the case's current case manager (statements.py) |
| GET /static/... | anyone's browser: the stylesheet and the inbox's script, nothing about anyone |
| GET /auth/login, GET /auth/callback, POST /auth/logout | browsers signing in and out (signin.py) |
| GET /healthz | the orchestrator's probe: 503 until the portal has read the topics it follows |
| GET /metrics | the metrics scraper |
"""

import secrets
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from services.portal.bootstrap import PortalSettings
from services.portal.case_data import CaseData
from services.portal.inbox import Inbox
from services.portal.inbox import router as inbox_router
from services.portal.pages import Pages
from services.portal.statements import Statements
from services.portal.statements import router as statements_router
from shared.metrics import exposition
from shared.priorities import load_priority_rules
from shared.web_signin import refusals, signin
from shared.web_signin.cookies import SignedCookie
from shared.web_signin.csrf import CsrfProtection, csrf_field
from shared.web_signin.headers import SecurityHeaders
from shared.web_signin.oidc import Client, Issuer
from shared.web_signin.sessions import Sessions

SERVICE = "portal"
STATIC = Path(__file__).parent / "static"


def build_app(
    settings: PortalSettings,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
    data: CaseData | None = None,
) -> FastAPI:
    """`http` reaches the issuer (one is made, and closed with the app, when not given: tests pass one
    that reaches a fake issuer); `clock` is what cookies, ID tokens and due dates are checked against;
    `data` is the portal's side of Kafka (connected to the broker when not given)."""
    data = data or CaseData.connect(settings)
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
    rules = load_priority_rules(settings.policy_path)
    inbox = Inbox(data, sessions, pages, rules, clock, settings.ack_wait_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await data.start()
        try:
            yield
        finally:
            await data.stop()
            if own_http:
                await http.aclose()

    app = FastAPI(title="DRR portal", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_exception_handler(refusals.Refusal, refusals.handler(SERVICE))
    app.include_router(signin.router(sign_in, settings.public_url))
    app.include_router(inbox_router(inbox))
    app.include_router(statements_router(Statements(inbox)))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(CsrfProtection, sessions=sessions, public_url=settings.public_url, service=SERVICE)
    app.add_middleware(SecurityHeaders, issuer_url=settings.issuer_url)

    app.add_api_route("/", partial(home, inbox), methods=["GET"], response_class=HTMLResponse)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 once the portal has read what it follows, 503 before (it would show empty inboxes). Caller:
        the orchestrator's probe (the issuer's health is its own)."""
        if not data.ready:
            return JSONResponse({"status": "catching_up"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        """Prometheus text exposition. Caller: the metrics scraper."""
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return app


async def home(inbox: Inbox, request: Request) -> HTMLResponse:
    """GET /. Caller: anyone's browser. A practitioner: their inbox; an oversight user: where their console
    is; else (or with a forged or expired session cookie, which is cleared) the sign-in link."""
    session = inbox.sessions.current(request)
    if session is not None and session.practitioner_id is not None:
        page = await inbox.inbox_of(session)
        return inbox.render("inbox.html", session, inbox=page, acknowledged=request.query_params.get("acknowledged"))
    if session is not None:
        return inbox.pages.render("index.html", session=session, csrf_field=csrf_field(session))
    stale = inbox.sessions.cookie.present(request)
    response = inbox.pages.render("signed_out.html", ended=stale)
    if stale:
        inbox.sessions.end(response)
    return response


def client_of(settings: PortalSettings) -> Client:
    secret = settings.client_secret.get_secret_value() if settings.client_secret else None
    return Client(settings.client_id, secret, settings.redirect_uri, settings.scopes)


def issuer_http(settings: PortalSettings) -> httpx.AsyncClient:
    """The portal's one HTTP client to its issuer: the issuer's CA when given, no redirects, 10 s timeout."""
    context = ssl.create_default_context(cafile=settings.issuer_ca_file)
    return httpx.AsyncClient(verify=context, timeout=10.0, follow_redirects=False)
