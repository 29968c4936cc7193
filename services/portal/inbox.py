"""The practitioner's pages: the inbox, a case, acknowledging an alert or a panel action, and the event
stream that brings new alerts onto an open inbox without a reload.

| route | caller | anyone else |
|---|---|---|
| GET / | a signed-in practitioner: their inbox | signed out: the sign-in page; oversight: a pointer to the console |
| GET /inbox/open | the inbox's script (the open alerts, as HTML) | 401 not_signed_in |
| GET /events | the inbox's script (server-sent events) | 401 not_signed_in |
| GET /cases/{case_id} | a practitioner on the case's team, not excluded | 404, the same as for no such case |
| POST /alerts/{delivery_id}/ack | the alert's recipient, with the form's CSRF token (csrf.py) | 404 |
| POST /actions/{ack_id}/ack | the panel action's owner, likewise | 404 |
"""

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from services.portal import views
from services.portal.case_data import CaseData
from services.portal.pages import Pages
from shared.acks import MAX_COMMENT, Outcome, outcome_of
from shared.i18n import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, Reader, negotiate
from shared.priorities import PriorityRules
from shared.sealing import CaseErased
from shared.web_signin.csrf import csrf_field
from shared.web_signin.refusals import Refusal
from shared.web_signin.sessions import Session, Sessions

HEARTBEAT_S = 20.0


def not_signed_in() -> Refusal:
    return Refusal(401, "not_signed_in", "sign in first")


class Inbox:
    def __init__(
        self,
        data: CaseData,
        sessions: Sessions,
        pages: Pages,
        rules: PriorityRules,
        clock: Callable[[], float],
        ack_wait_s: float,
    ) -> None:
        self.data, self.sessions, self.pages, self.rules = data, sessions, pages, rules
        self.clock, self.ack_wait_s = clock, ack_wait_s

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def practitioner(self, request: Request) -> Session | None:
        session = self.sessions.current(request)
        return session if session is not None and session.practitioner_id is not None else None

    async def inbox_of(self, session: Session) -> views.Inbox:
        assert session.practitioner_id is not None and session.agency is not None
        mine = list(self.data.book.sent_to(session.practitioner_id))
        payloads = await self.data.opened(mine)
        return views.inbox(
            self.data.book, session.practitioner_id, session.agency, self.rules, payloads, self.now().date()
        )

    async def case_of(self, session: Session, case_id: str) -> views.CasePage | None:
        assert session.practitioner_id is not None and session.agency is not None
        if not views.may_see(self.data.book, case_id, session.practitioner_id, session.agency):
            return None
        sent = [
            d
            for d in self.data.book.deliveries.get(case_id, {}).values()
            if d.recipient.practitioner_id == session.practitioner_id
        ]
        payloads = await self.data.opened(sent)
        return views.case_page(
            self.data.book, case_id, session.practitioner_id, session.agency, self.rules, payloads, self.now()
        )

    def render(self, name: str, session: Session, status_code: int = 200, **context: object) -> HTMLResponse:
        """A page in the practitioner's language and time zone: as the team events name them on their latest
        delivery, else English and UTC."""
        reader = self.reader(session)
        return self.pages.render(
            name,
            status_code,
            reader.language,
            session=session,
            csrf_field=csrf_field(session),
            time_zone=reader.time_zone,
            **context,
        )

    def reader(self, session: Session) -> Reader:
        assert session.practitioner_id is not None
        latest = max(self.data.book.sent_to(session.practitioner_id), key=lambda d: d.occurred_at, default=None)
        recipient = latest.recipient if latest is not None else None
        language = getattr(recipient, "language", None) or DEFAULT_LANGUAGE
        return Reader(
            language=negotiate(language), time_zone=getattr(recipient, "time_zone", None) or DEFAULT_TIME_ZONE
        )

    def not_found(self, session: Session) -> HTMLResponse:
        return self.render("not_found.html", session, 404)

    async def acknowledge(self, request: Request, session: Session, ack_id: str, case_id: str, back: str) -> Response:
        form = form_of(await request.body())
        outcome = outcome_of(form.get("outcome"))
        comment = form.get("comment", "").strip()
        if outcome is None:
            raise Refusal(422, "unknown_outcome", "choose what you did: " + ", ".join(o.value for o in Outcome))
        if len(comment) > MAX_COMMENT:
            raise Refusal(422, "comment_too_long", f"a comment holds at most {MAX_COMMENT} characters")
        if outcome is Outcome.OTHER and not comment:
            raise Refusal(422, "comment_required", "say in the comment what you did")
        assert session.practitioner_id is not None
        try:
            recorded = await self.data.acknowledge(
                ack_id=ack_id,
                case_id=case_id,
                recipient_id=session.practitioner_id,
                outcome=outcome,
                comment=comment,
                now=self.now(),
                wait_s=self.ack_wait_s,
            )
        except CaseErased:
            raise Refusal(410, "case_erased", "this case has been erased") from None
        return RedirectResponse(f"{back}?acknowledged={'yes' if recorded else 'pending'}", status_code=303)

    def signed_in(self, request: Request) -> Session:
        session = self.practitioner(request)
        if session is None:
            raise not_signed_in()
        return session

    async def open_alerts(self, request: Request) -> HTMLResponse:
        """Caller: the inbox's script, when the event stream says something changed."""
        session = self.signed_in(request)
        return self.render("_open_alerts.html", session, inbox=await self.inbox_of(session))

    async def events(self, request: Request) -> StreamingResponse:
        """Caller: the inbox's script (EventSource). An `inbox` event whenever this practitioner's open
        alerts change, a comment line as a heartbeat otherwise."""
        session = self.signed_in(request)

        async def stream() -> AsyncIterator[str]:
            seen, version = _signature(await self.inbox_of(session)), self.data.book.version
            yield "retry: 5000\n\n"
            while not await request.is_disconnected():
                version = await self.data.news(version, HEARTBEAT_S)
                now = _signature(await self.inbox_of(session))
                changed, seen = now != seen, now
                yield f"event: inbox\ndata: {json.dumps({'open': len(now)})}\n\n" if changed else ": still here\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"cache-control": "no-store"})

    async def case(self, request: Request, case_id: str) -> Response:
        """Caller: a practitioner on the case's team; anyone else (signed in) 404; signed out: to sign-in."""
        session = self.practitioner(request)
        if session is None:
            return RedirectResponse("/", status_code=303)
        page = await self.case_of(session, case_id)
        if page is None:
            return self.not_found(session)
        manager = self.data.book.teams[case_id].case_manager
        owner = manager is not None and manager.id == session.practitioner_id
        acknowledged = request.query_params.get("acknowledged")
        return self.render("case.html", session, case=page, acknowledged=acknowledged, statement_link=owner)

    async def acknowledge_alert(self, request: Request, delivery_id: str) -> Response:
        """Caller: the alert's recipient (the CSRF check ran first); anyone else 404."""
        session = self.signed_in(request)
        mine = {a.delivery_id: a.delivery for a in (await self.inbox_of(session)).open}
        delivery = mine.get(delivery_id)
        if delivery is None:
            return self.not_found(session)
        return await self.acknowledge(request, session, delivery_id, delivery.case_id, f"/cases/{delivery.case_id}")

    async def acknowledge_action(self, request: Request, ack_id: str) -> Response:
        """Caller: the panel action's owner (the CSRF check ran first); anyone else 404."""
        session = self.signed_in(request)
        actions = (await self.inbox_of(session)).actions
        action = next((a for a in actions if a.ack_id == ack_id and a.done is None), None)
        if action is None:
            return self.not_found(session)
        return await self.acknowledge(request, session, ack_id, action.case_id, "/")


def router(inbox: Inbox) -> APIRouter:
    routes = APIRouter()
    routes.add_api_route("/inbox/open", inbox.open_alerts, methods=["GET"], response_class=HTMLResponse)
    routes.add_api_route("/events", inbox.events, methods=["GET"])
    routes.add_api_route("/cases/{case_id}", inbox.case, methods=["GET"], response_class=HTMLResponse)
    routes.add_api_route("/alerts/{delivery_id}/ack", inbox.acknowledge_alert, methods=["POST"])
    routes.add_api_route("/actions/{ack_id}/ack", inbox.acknowledge_action, methods=["POST"])
    return routes


def form_of(body: bytes) -> dict[str, str]:
    """A url-encoded form's fields, the first value of each (the CSRF check has already read the same body)."""
    try:
        return {name: values[0] for name, values in parse_qs(body.decode(), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return {}


def _signature(page: views.Inbox) -> list[str]:
    return [a.delivery_id for a in page.open] + [a.ack_id for a in page.actions if a.done is None]
