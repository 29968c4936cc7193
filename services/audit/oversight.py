"""The oversight API: checkpoints, entries with inclusion proofs, consistency proofs, disclosures.

Open only to oversight bearer tokens, and only for the parameters each route declares (access.py). Every
valid query is itself recorded as a leaf (who asked what: the known parameters, normalised) before the
answer is given; a 422 is not a query. A token scoped to some agencies sees only their cases' entries and
disclosures (scopes.py); another case is a 404, as a case that does not exist would be for it.
Hashes are base64, as in checkpoints. Error bodies: refusals.py.
"""

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from services.audit import merkle
from services.audit.access import Caller, Moment, moments
from services.audit.disclosures import disclosures_of, render_html
from services.audit.leaves import EntryFilter
from services.audit.queries import asked
from services.audit.records import RecordLog, query_record
from services.audit.refusals import CASE, OVERSIGHT, NotFound, SizesOutOfRange, Unavailable, refused
from services.audit.store import SqlLedger, StoredCheckpoint
from services.audit.tokens import Grant

router = APIRouter(prefix="/v1")
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Code = Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)]
"""An identifier or code to filter by: bounded, and nothing a log or a database would choke on."""
Index = Annotated[int, Query(ge=0, le=2**62)]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _ledger(request: Request) -> SqlLedger:
    ledger: SqlLedger = request.app.state.ledger
    return ledger


async def on_the_record(request: Request, grant: Grant, values: dict[str, Any] | None = None) -> None:
    """Record the query as a leaf before answering it: the route's parameters the request named, with the
    values the route validated (`values`), never the raw query string."""
    params = asked(list(request.query_params), values or {})
    try:
        await record_query(request, grant.name, params)
    except Exception as error:  # no answer that is not on the record
        raise refused(503, Unavailable(reason="query_not_recorded"), {"Retry-After": "5"}) from error


async def record_query(request: Request, actor: str, params: dict[str, str]) -> None:
    """The query's leaf, published before the answer (the API's and the console's): who, which path, what."""
    case_id = request.path_params.get("case_id") or params.get("case_id")
    record = query_record(actor=actor, path=request.url.path, params=params, case_id=case_id)
    query_log: RecordLog = request.app.state.query_log
    await query_log.record(record=record)


Ledger = Annotated[SqlLedger, Depends(_ledger)]


def checkpoint_out(checkpoint: StoredCheckpoint | None) -> dict[str, Any]:
    if checkpoint is None:
        raise refused(503, Unavailable(reason="no_checkpoint_yet"), {"Retry-After": "2"})
    return {"size": checkpoint.size, "root": _b64(checkpoint.root), "note": checkpoint.note}


@router.get("/checkpoint", responses=OVERSIGHT)
async def checkpoint(request: Request, grant: Caller, ledger: Ledger) -> dict[str, Any]:
    """The latest signed checkpoint and the key that verifies it."""
    await on_the_record(request, grant)
    latest = await run_in_threadpool(ledger.latest_checkpoint)
    return {**checkpoint_out(latest), "verifier_key": request.app.state.verifier_key}


def entries_page(ledger: SqlLedger, where: EntryFilter, start: int, limit: int) -> dict[str, Any]:
    latest = ledger.latest_checkpoint()
    size = latest.size if latest else 0
    page = ledger.entries(where, start=start, limit=limit + 1)
    entries = []
    covered = [stored.index for stored in page[:limit] if stored.index < size]
    wanted = merkle.nodes_read(lambda node: [merkle.inclusion_proof(index, size, node) for index in covered])
    with ledger.reader(wanted) as node:
        for stored in page[:limit]:
            proven = stored.index < size
            proof = [_b64(h) for h in merkle.inclusion_proof(stored.index, size, node)] if proven else None
            signed = {"signer": stored.signer, "signature": stored.signature}
            entries.append({"index": stored.index, "leaf": stored.text, "proof": proof, **signed})
    next_start = page[limit].index if len(page) > limit else None
    return {"checkpoint": checkpoint_out(latest), "entries": entries, "next_start": next_start}


@router.get("/audit/entries", responses=OVERSIGHT)
async def list_entries(
    request: Request,
    grant: Caller,
    ledger: Ledger,
    case_id: Code = None,
    agency: Code = None,
    role: Code = None,
    recipient: Code = None,
    event_type: Code = None,
    decision: Code = None,
    correlation_id: Code = None,
    kind: Code = None,
    since: Moment | None = None,
    until: Moment | None = None,
    start: Index = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Matching entries (of a scoped token's cases only), each with its leaf text, its producer's signature
    over that text (signer and base64 Ed25519) and an inclusion proof against the latest checkpoint (null
    for leaves newer than it). The leaf text is what was hashed; parse it for the record. Dates: RFC 3339
    with an offset, from 1970 to 9998 in UTC."""
    dates = moments(since=since, until=until)
    codes = {"case_id": case_id, "agency": agency, "role": role, "recipient": recipient, "event_type": event_type,
             "decision": decision, "correlation_id": correlation_id, "kind": kind}  # fmt: skip
    where = EntryFilter(case_id, agency, role, recipient, event_type, decision, correlation_id, kind,
                        dates["since"], dates["until"], grant.scope)  # fmt: skip
    await on_the_record(request, grant, {**codes, **dates, "start": start, "limit": limit})
    return await run_in_threadpool(entries_page, ledger, where, start, limit)


def _check_sizes(ledger: SqlLedger, old: int, new: int) -> None:
    latest = ledger.latest_checkpoint()
    latest_size = latest.size if latest else 0
    if not 0 <= old <= new <= latest_size:
        raise refused(422, SizesOutOfRange(reason="sizes_out_of_range", latest_size=latest_size))


def _consistency(ledger: SqlLedger, old: int, new: int) -> dict[str, Any]:
    with ledger.reader() as node:
        proof = [_b64(h) for h in merkle.consistency_proof(old, new, node)]
    notes = {size: next((c.note for c in ledger.checkpoints(size)), None) for size in (old, new)}
    return {"from": old, "to": new, "proof": proof, "from_note": notes[old], "to_note": notes[new]}


@router.get("/proofs/consistency", responses=OVERSIGHT)
async def consistency(
    request: Request,
    grant: Caller,
    ledger: Ledger,
    old: Annotated[int, Query(alias="from", ge=0, le=2**62)],
    new: Annotated[int, Query(alias="to", ge=0, le=2**62)],
) -> dict[str, Any]:
    """Proof that the tree of size `to` extends the tree of size `from` (with their notes when signed)."""
    await run_in_threadpool(_check_sizes, ledger, old, new)
    await on_the_record(request, grant, {"from": old, "to": new})
    return await run_in_threadpool(_consistency, ledger, old, new)


def visible(ledger: SqlLedger, case_id: str, scope: tuple[str, ...] | None) -> bool:
    return scope is None or bool(ledger.entries(EntryFilter(case_id=case_id, scope=scope), 0, 1))


CaseId = Annotated[str, Path(max_length=200, pattern=PRINTABLE)]
HTML_TOO: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "The record, as JSON or HTML"}
}


@router.get("/cases/{case_id}/disclosures", response_model=None, responses={**CASE, **HTML_TOO})
async def disclosures(
    request: Request, case_id: CaseId, grant: Caller, ledger: Ledger, format: Literal["json", "html"] = "json"
) -> dict[str, Any] | HTMLResponse:
    """Who received which event type about this person, when, what was withheld, under which rule."""
    await on_the_record(request, grant, {"format": format})
    if not await run_in_threadpool(visible, ledger, case_id, grant.scope):
        raise refused(404, NotFound(reason="case_not_found"))
    where = EntryFilter(case_id=case_id, kind="sharing.decided")
    stored = await run_in_threadpool(ledger.entries, where, 0, 100_000)
    record = disclosures_of(case_id, [s.text for s in stored])
    return HTMLResponse(render_html(record)) if format == "html" else record
