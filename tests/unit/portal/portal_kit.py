"""What the portal's tests share besides fixtures: the settings they build it with, a clock they move,
and the browser's walk through a sign-in."""

from dataclasses import dataclass
from typing import Any

import httpx

from services.portal.bootstrap import PortalSettings
from tests.unit.portal.fake_issuer import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeIssuer

PUBLIC_URL = "https://portal.test"
SESSION_SECRET = "a-session-secret-of-at-least-32-characters"
SESSION_COOKIE = "__Host-drr_portal_session"
LOGIN_COOKIE = "__Host-drr_portal_login"


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


def portal_settings(**override: Any) -> PortalSettings:
    values: dict[str, Any] = {
        "issuer_url": ISSUER,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "public_url": PUBLIC_URL,
        "session_secret": SESSION_SECRET,
    }
    return PortalSettings(**{**values, **override})


async def leave_for_issuer(browser: httpx.AsyncClient) -> str:
    leaving = await browser.get("/auth/login")
    assert leaving.status_code == 303, leaving.text
    return leaving.headers["location"]


async def sign_in(browser: httpx.AsyncClient, issuer: FakeIssuer, **override: Any) -> httpx.Response:
    """Plays the browser through the whole sign-in: the portal's redirect, the issuer's, the callback.
    `override` changes the ID token's claims (None removes one)."""
    answer = issuer.authorize(await leave_for_issuer(browser), **override)
    return await browser.get("/auth/callback", params=answer)
