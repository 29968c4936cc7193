"""The notifier's part in a case's erasure (shared/erasures.py; the router destroys the keys and records
it): on the command from drr.erasures, every entry the notifier holds for the case is deleted: its team,
compliance pattern, reminders, pause and held group batch by case id, its chases and acknowledgements by
the case they name (all on the case's partition, since each was written from the case's own messages).
The email ledger keeps only states and is swept by age; an erased case's item in a digest batch is left
out when the digest goes (email/opening.py)."""

import logging

import faust

from services.notifier.tables import Tables
from shared import topics
from shared.dead_letters import handle_or_dead_letter
from shared.erasures import Erasure
from shared.faust_app import raw_topic

log = logging.getLogger(__name__)


def erase_case(tables: Tables, case_id: str) -> int:
    """Delete the case's entries; how many."""
    deleted = 0
    for table in (tables.teams, tables.compliance, tables.reminders, tables.pauses, tables.holds):
        if table.pop(case_id, None) is not None:
            deleted += 1
    for table in (tables.chases, tables.acks):
        for key in [k for k, v in table.items() if isinstance(v, dict) and v.get("case_id") == case_id]:
            del table[key]
            deleted += 1
    return deleted


def wire_erasures(app: faust.App, tables: Tables) -> None:
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)

    async def erase(raw: bytes) -> None:
        erasure = Erasure.model_validate_json(raw)
        deleted = erase_case(tables, erasure.case_id)
        log.info("case erased", extra={"case_id": erasure.case_id, "entries": deleted})

    @app.agent(raw_topic(app, topics.ERASURES))
    async def apply_erasures(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            await handle_or_dead_letter(erase, raw, dead_letters, topics.ERASURES, consumer="notifier")
