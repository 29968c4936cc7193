"""The console built from its settings, and installed on the audit app (routes, door, refusal pages)."""

import time
from collections.abc import Callable

import httpx
from fastapi import FastAPI, Request, Response

from services.audit.console.access import SERVICE, Console, PageRefused
from services.audit.console.pages import Pages
from services.audit.console.settings import ConsoleSettings
from services.audit.console.views import router
from shared.web_signin.door import door

HOME = "/console/"


def build_console(
    settings: ConsoleSettings, http: httpx.AsyncClient, clock: Callable[[], float] = time.time
) -> Console:
    """`http` reaches the issuer (shared/web_signin/door.issuer_http; a fake issuer's in tests)."""
    return Console(door(settings, http, service=SERVICE, home=HOME, clock=clock), Pages())


def install(app: FastAPI, console: Console) -> None:
    app.state.console = console
    app.include_router(router)
    app.add_exception_handler(PageRefused, _refused)
    console.door.install(app, pages=(HOME,))


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, PageRefused)
    return request.app.state.console.refused(request, error)  # type: ignore[no-any-return]
