"""Who may see a console page: a signed-in oversight user, and only once the page view is on the record.

No session (or a forged or expired cookie, which is cleared): 401 and the sign-in page. A practitioner's
session: 403 and a page that says the console is for oversight bodies (it names no case, so it leaks
none). Every page shown is first recorded as an oversight query, exactly as the API's are, with the
signed-in user (their name and the issuer's subject) as the actor; if it cannot be recorded: 503.
"""

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from services.audit.console.pages import Pages
from services.audit.oversight import record_query
from shared.web_signin import metrics
from shared.web_signin.csrf import csrf_field
from shared.web_signin.door import Door
from shared.web_signin.sessions import Session

SERVICE = "audit"


class PageRefused(Exception):
    """A console page refused: rendered as `template` with `status` (the view's context added)."""

    def __init__(self, status: int, reason: str, template: str, **context: Any) -> None:
        super().__init__(reason)
        self.status, self.reason, self.template, self.context = status, reason, template, context


@dataclass(frozen=True)
class Console:
    door: Door
    pages: Pages

    def page(self, name: str, session: Session | None, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page, with who is signed in and the logout form's CSRF field when someone is."""
        field = csrf_field(session) if session is not None else ""
        return self.pages.render(name, status_code, session=session, csrf_field=field, **context)

    def refused(self, request: Request, refusal: PageRefused) -> HTMLResponse:
        metrics.REFUSALS.labels(service=SERVICE, reason=refusal.reason).inc()
        session = self.door.sessions.current(request)
        response = self.page(refusal.template, session, refusal.status, reason=refusal.reason, **refusal.context)
        if refusal.reason == "session_ended":
            self.door.sessions.end(response)
        return response


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def viewer(request: Request) -> Session:
    """The signed-in oversight user, or PageRefused (401 sign-in page, 403 for anyone else)."""
    sessions = console_of(request).door.sessions
    session = sessions.current(request)
    if session is None:
        reason = "session_ended" if sessions.cookie.present(request) else "not_signed_in"
        raise PageRefused(401, reason, "signed_out.html")
    if not session.oversight:
        raise PageRefused(403, "not_oversight", "not_oversight.html")
    return session


def actor_of(session: Session) -> str:
    """The person's name as the issuer gives it, and its subject (stable, unique at that issuer)."""
    return f"{session.name} ({session.sub})"


async def on_the_record(request: Request, session: Session, params: dict[str, str]) -> None:
    """The page view as an oversight query's leaf, before the page is made; 503 page if it cannot be."""
    try:
        await record_query(request, actor_of(session), params)
    except Exception:  # no page that is not on the record
        raise PageRefused(503, "query_not_recorded", "unavailable.html") from None
