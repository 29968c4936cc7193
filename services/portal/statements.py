"""The person's statement, produced by the case manager from the portal: which agencies were told what kind of
information about the person, when and why (statement.py), as a page and as a PDF, in the language the case
manager chooses for the person (`?lang=`, one of the six; their own by default).

| route | caller | anyone else |
|---|---|---|
| GET /cases/{case_id}/statement | the case's current case manager | 404, the same as for no such case |
| GET /cases/{case_id}/statement.pdf | the same | 404 |

It reads every recipient's deliveries of the case (the disclosures), but only their field names' sensitivity
classes reach the statement, never a value (statement.py), so a sealed field stays sealed.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.inbox import Inbox
from services.portal.statement import Statement, statement_of
from services.portal.statement_pdf import statement_pdf
from shared.i18n import negotiate, translations
from shared.web_signin.sessions import Session


class Statements:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def manages(self, session: Session, case_id: str) -> bool:
        """The statement is the case manager's to give: a team member who is not the manager gets 404."""
        book = self.inbox.data.book
        team = book.teams.get(case_id)
        manager = team.case_manager if team is not None else None
        return manager is not None and manager.id == session.practitioner_id and case_id not in book.erased

    def statement(self, request: Request, session: Session, case_id: str) -> Statement:
        reader = self.inbox.reader(session)
        language = negotiate(request.query_params.get("lang"), default=reader.language)
        found = translations(language)
        deliveries = self.inbox.data.book.deliveries.get(case_id, {}).values()
        return statement_of(case_id, deliveries, language=language, time_zone=reader.time_zone,
                            produced_at=self.inbox.now(), _=found.gettext, ngettext=found.ngettext)  # fmt: skip

    async def page(self, request: Request, case_id: str) -> Response:
        session = self.inbox.practitioner(request)
        if session is None:
            return RedirectResponse("/", status_code=303)
        if not self.manages(session, case_id):
            return self.inbox.not_found(session)
        statement = self.statement(request, session, case_id)
        return self.inbox.pages.render("statement.html", 200, statement.language, statement=statement)

    async def pdf(self, request: Request, case_id: str) -> Response:
        session = self.inbox.practitioner(request)
        if session is None:
            return RedirectResponse("/", status_code=303)
        if not self.manages(session, case_id):
            return self.inbox.not_found(session)
        statement = self.statement(request, session, case_id)
        disposition = f'attachment; filename="statement-{case_id}-{statement.language}.pdf"'
        headers = {"content-disposition": disposition, "cache-control": "no-store"}
        return Response(statement_pdf(statement), media_type="application/pdf", headers=headers)


def router(statements: Statements) -> APIRouter:
    routes = APIRouter()
    routes.add_api_route("/cases/{case_id}/statement", statements.page, methods=["GET"], response_class=HTMLResponse)
    routes.add_api_route("/cases/{case_id}/statement.pdf", statements.pdf, methods=["GET"])
    return routes
