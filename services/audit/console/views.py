"""The console's pages (routes and callers: the table in services/audit/console/__init__.py). Each reads
the ledger through what the JSON API uses (oversight.entries_page, EntryFilter, disclosures_of), and each
is on the record before it is made (access.on_the_record). Oversight users see every case."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse

from services.audit.console.access import Console, PageRefused, console_of, on_the_record, viewer
from services.audit.console.pages import ASSETS, STATIC
from services.audit.console.search import SearchRefused, search_of
from services.audit.disclosures import COLUMNS, disclosures_of
from services.audit.leaves import EntryFilter
from services.audit.oversight import entries_page
from services.audit.store import SqlLedger
from shared.web_signin.sessions import Session

router = APIRouter(prefix="/console")
Viewer = Annotated[Session, Depends(viewer)]
Pages = Annotated[Console, Depends(console_of)]
PAGE_SIZE = 50
MAX_INDEX = 2**62


def _ledger(request: Request) -> SqlLedger:
    ledger: SqlLedger = request.app.state.ledger
    return ledger


def _only(request: Request, *names: str) -> None:
    """Only the parameters the page has, each once (as the API): anything else is asked of no page."""
    asked = [name for name, _ in request.query_params.multi_items()]
    if any(name not in names or asked.count(name) > 1 for name in asked):
        raise PageRefused(422, "unknown_parameter", "error.html")


def _index(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) <= MAX_INDEX else None


async def _page(ledger: SqlLedger, where: EntryFilter, start: int, limit: int) -> dict[str, Any]:
    try:
        page: dict[str, Any] = await run_in_threadpool(entries_page, ledger, where, start, limit)
    except HTTPException:  # no checkpoint signed yet: the service has only just started
        raise PageRefused(503, "no_checkpoint_yet", "unavailable.html") from None
    return page


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: Viewer, console: Pages) -> HTMLResponse:
    """The latest signed checkpoint, the verifier key this service serves, the pinned key, the search form."""
    _only(request)
    await on_the_record(request, session, {})
    latest = await run_in_threadpool(_ledger(request).latest_checkpoint)
    key = request.app.state.verifier_key
    return console.page("home.html", session, checkpoint=latest, verifier_key=key, form={}, fields=[])


@router.get("/entries", response_class=HTMLResponse)
async def entries(request: Request, session: Viewer, console: Pages) -> HTMLResponse:
    """Entries matching the search form, oldest first, PAGE_SIZE a page, each linking to its proof."""
    form = dict(request.query_params)
    try:
        search = search_of(request.query_params)
    except SearchRefused as refused:
        raise PageRefused(422, "invalid_search", "entries.html", form=form, fields=refused.fields, rows=[]) from None
    await on_the_record(request, session, search.recorded())
    page = await _page(_ledger(request), search.where(), search.start, PAGE_SIZE)
    rows = [{"index": e["index"], **json.loads(e["leaf"])} for e in page["entries"]]
    more = {**form, "start": page["next_start"]} if page["next_start"] is not None else None
    return console.page("entries.html", session, form=form, fields=[], rows=rows, more=more)


@router.get("/entries/{index}", response_class=HTMLResponse)
async def entry(request: Request, index: str, session: Viewer, console: Pages) -> HTMLResponse:
    """One entry: its record, its producer's signature, its inclusion proof, and the browser's verify."""
    _only(request)
    wanted = _index(index)
    if wanted is None:
        raise PageRefused(404, "entry_not_found", "error.html")
    await on_the_record(request, session, {})
    page = await _page(_ledger(request), EntryFilter(), wanted, 1)
    found = [e for e in page["entries"] if e["index"] == wanted]
    if not found:
        raise PageRefused(404, "entry_not_found", "error.html")
    proof = {**found[0], "checkpoint": page["checkpoint"]}
    return console.page("entry.html", session, entry=found[0], record=json.loads(found[0]["leaf"]), proof=proof)


@router.get("/cases/{case_id}/disclosures", response_class=HTMLResponse)
async def disclosures(request: Request, case_id: str, session: Viewer, console: Pages) -> HTMLResponse:
    """Who received which event type about this person, when, what was withheld, under which rule."""
    _only(request)
    if len(case_id) > 200 or not case_id.isprintable():
        raise PageRefused(404, "case_not_found", "error.html")
    await on_the_record(request, session, {})
    where = EntryFilter(case_id=case_id, kind="sharing.decided")
    stored = await run_in_threadpool(_ledger(request).entries, where, 0, 100_000)
    record = disclosures_of(case_id, [s.text for s in stored])
    return console.page("disclosures.html", session, record=record, columns=COLUMNS)


@router.get("/queries", response_class=HTMLResponse)
async def queries(request: Request, session: Viewer, console: Pages) -> HTMLResponse:
    """The log of oversight queries (the API's and the console's), newest first: who asked what, when."""
    _only(request, "below")
    below = _index(request.query_params.get("below", str(MAX_INDEX)))
    if below is None:
        raise PageRefused(422, "unknown_parameter", "error.html")
    await on_the_record(request, session, {"below": str(below)} if below != MAX_INDEX else {})
    where = EntryFilter(kind="audit.queried")
    found = await run_in_threadpool(_ledger(request).entries, where, 0, PAGE_SIZE + 1, below, True)
    rows = [{"index": s.index, **json.loads(s.text)} for s in found[:PAGE_SIZE]]
    older = found[PAGE_SIZE - 1].index if len(found) > PAGE_SIZE else None
    return console.page("queries.html", session, rows=rows, older=older)


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    """The console's script and style sheet (no inline script or style: the pages' CSP allows neither)."""
    if name not in ASSETS:
        raise HTTPException(404)
    return FileResponse(STATIC / name, media_type=ASSETS[name])
