"""A service's whole sign-in door, built from its SignInSettings and installed on its app in one call: the
issuer, the signed cookies (named after the service, so that two services on one host never read each
other's), sessions, the /auth routes, CSRF on every form, the security headers and the refusal handler."""

import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from shared.web_signin import refusals, signin
from shared.web_signin.cookies import SignedCookie
from shared.web_signin.csrf import CsrfProtection
from shared.web_signin.headers import SecurityHeaders
from shared.web_signin.oidc import Issuer
from shared.web_signin.sessions import Sessions
from shared.web_signin.settings import SignInSettings


@dataclass(frozen=True)
class Door:
    settings: SignInSettings
    service: str
    sessions: Sessions
    sign_in: signin.SignIn

    def install(self, app: FastAPI, *, pages: tuple[str, ...]) -> None:
        """The /auth routes, CSRF on every unsafe request, and the security headers on `pages` and /auth."""
        issuer_url = self.settings.issuer_url or ""
        app.add_exception_handler(refusals.Refusal, refusals.handler(self.service))
        app.include_router(signin.router(self.sign_in, self.settings.public_url))
        app.add_middleware(
            CsrfProtection, sessions=self.sessions, public_url=self.settings.public_url, service=self.service
        )
        app.add_middleware(SecurityHeaders, issuer_url=issuer_url, paths=(*pages, "/auth/"))


def door(
    settings: SignInSettings,
    http: httpx.AsyncClient,
    *,
    service: str,
    home: str,
    clock: Callable[[], float] = time.time,
) -> Door:
    """`http` reaches the issuer (issuer_http, or a fake issuer's in tests); `clock` is what cookies and ID
    tokens are checked against; `home` is where a signed-in browser lands."""
    assert settings.issuer_url is not None, "a door needs an issuer"
    issuer = Issuer(settings.issuer_url, settings.client(), http, clock)
    secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)

    def cookie(kind: str, max_age_s: int) -> SignedCookie:
        name = f"drr_{service}_{kind}"
        return SignedCookie(name, secret=secret, salt=name, max_age_s=max_age_s, secure=settings.https, clock=clock)

    sessions = Sessions(cookie("session", settings.session_max_age_s))
    login = cookie("login", settings.login_max_age_s)
    sign_in = signin.SignIn(issuer, login, sessions, keep_id_token=settings.keep_id_token, service=service, home=home)
    return Door(settings, service, sessions, sign_in)


def issuer_http(settings: SignInSettings) -> httpx.AsyncClient:
    """The service's one HTTP client to its issuer: the issuer's CA when given, no redirects, 10 s timeout."""
    context = ssl.create_default_context(cafile=settings.issuer_ca_file)
    return httpx.AsyncClient(verify=context, timeout=10.0, follow_redirects=False)
