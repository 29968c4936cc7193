"""The oversight API: checkpoints, entries with inclusion proofs, consistency proofs, disclosures.

Open only to oversight bearer tokens (none: 401; not an oversight token: 403). Every valid query is
itself recorded as a leaf (who asked what) before the answer is given; a 422 is not a query.
Hashes are base64, as in checkpoints.
"""

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from services.audit import merkle
from services.audit.disclosures import disclosures_of, render_html
from services.audit.leaves import EntryFilter
from services.audit.queries import QueryLog, query_record
from services.audit.store import SqlLedger, StoredCheckpoint
from services.audit.tokens import holder

router = APIRouter(prefix="/v1")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _ledger(request: Request) -> SqlLedger:
    ledger: SqlLedger = request.app.state.ledger
    return ledger


async def oversight(request: Request) -> str:
    """The caller's oversight body (none: 401; not an oversight token: 403)."""
    authorization = request.headers.get("authorization")
    if not authorization:
        raise HTTPException(401, {"reason": "oversight_token_required"}, {"WWW-Authenticate": "Bearer"})
    actor = await run_in_threadpool(holder, _ledger(request), authorization)
    if actor is None:
        raise HTTPException(403, {"reason": "not_an_oversight_token"})
    return actor


async def on_the_record(request: Request, actor: str) -> None:
    """Record the query as a leaf before answering it. Each handler calls this once its parameters are
    valid: a request refused with 422 asked nothing, so it is not a query."""
    params = {key: value for key, value in request.query_params.items()}
    case_id = request.path_params.get("case_id") or params.get("case_id")
    query_log: QueryLog = request.app.state.query_log
    try:
        await query_log.record(record=query_record(actor=actor, path=request.url.path, params=params, case_id=case_id))
    except Exception as error:  # no answer that is not on the record
        raise HTTPException(503, {"reason": "query_not_recorded"}, {"Retry-After": "5"}) from error


Actor = Annotated[str, Depends(oversight)]
Ledger = Annotated[SqlLedger, Depends(_ledger)]


def _checkpoint_out(checkpoint: StoredCheckpoint | None) -> dict[str, Any]:
    if checkpoint is None:
        raise HTTPException(503, {"reason": "no_checkpoint_yet"}, {"Retry-After": "2"})
    return {"size": checkpoint.size, "root": _b64(checkpoint.root), "note": checkpoint.note}


@router.get("/checkpoint")
async def checkpoint(request: Request, actor: Actor, ledger: Ledger) -> dict[str, Any]:
    """The latest signed checkpoint and the key that verifies it."""
    await on_the_record(request, actor)
    latest = await run_in_threadpool(ledger.latest_checkpoint)
    return {**_checkpoint_out(latest), "verifier_key": request.app.state.verifier_key}


def _entries_page(ledger: SqlLedger, where: EntryFilter, start: int, limit: int) -> dict[str, Any]:
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
    return {"checkpoint": _checkpoint_out(latest), "entries": entries, "next_start": next_start}


@router.get("/audit/entries")
async def list_entries(
    request: Request,
    actor: Actor,
    ledger: Ledger,
    case_id: str | None = None,
    agency: str | None = None,
    role: str | None = None,
    recipient: str | None = None,
    event_type: str | None = None,
    decision: str | None = None,
    correlation_id: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    start: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Matching entries, each with its leaf text, its producer's signature over that text (signer and
    base64 Ed25519) and an inclusion proof against the latest checkpoint (null for leaves newer than it).
    The leaf text is what was hashed; parse it for the record."""
    where = EntryFilter(case_id, agency, role, recipient, event_type, decision, correlation_id, kind, since, until)
    await on_the_record(request, actor)
    return await run_in_threadpool(_entries_page, ledger, where, start, limit)


def _check_sizes(ledger: SqlLedger, old: int, new: int) -> None:
    latest = ledger.latest_checkpoint()
    latest_size = latest.size if latest else 0
    if not 0 <= old <= new <= latest_size:
        raise HTTPException(422, {"reason": "sizes_out_of_range", "latest_size": latest_size})


def _consistency(ledger: SqlLedger, old: int, new: int) -> dict[str, Any]:
    with ledger.reader() as node:
        proof = [_b64(h) for h in merkle.consistency_proof(old, new, node)]
    notes = {size: next((c.note for c in ledger.checkpoints(size)), None) for size in (old, new)}
    return {"from": old, "to": new, "proof": proof, "from_note": notes[old], "to_note": notes[new]}


@router.get("/proofs/consistency")
async def consistency(
    request: Request,
    actor: Actor,
    ledger: Ledger,
    old: Annotated[int, Query(alias="from", ge=0)],
    new: Annotated[int, Query(alias="to", ge=0)],
) -> dict[str, Any]:
    """Proof that the tree of size `to` extends the tree of size `from` (with their notes when signed)."""
    await run_in_threadpool(_check_sizes, ledger, old, new)
    await on_the_record(request, actor)
    return await run_in_threadpool(_consistency, ledger, old, new)


@router.get("/cases/{case_id}/disclosures", response_model=None)
async def disclosures(
    request: Request, case_id: str, actor: Actor, ledger: Ledger, format: Literal["json", "html"] = "json"
) -> dict[str, Any] | HTMLResponse:
    """Who received which event type about this person, when, what was withheld, under which rule."""
    await on_the_record(request, actor)
    stored = await run_in_threadpool(ledger.entries, EntryFilter(case_id=case_id, kind="sharing.decided"), 0, 100_000)
    record = disclosures_of(case_id, [s.text for s in stored])
    return HTMLResponse(render_html(record)) if format == "html" else record
