"""The router's part in erasure (shared/erasures.py). A closed case's retention is kept in its `erasures`
table (tables.py); a sweep asks for each erasure that is due, as a command on drr.erasures (Faust tables
are written from streams, and the command lands on the case's partition); the agent carries it out: the
case's keys destroyed (the tombstones on both key topics), its entries in every router table deleted, and
a `case.erased` audit record naming both and the rule. The notifier applies the same command to its own
tables. Applying a command twice changes nothing and records the same record id."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import faust

from services.router.routing import SERVICE
from services.router.tables import CaseTables
from shared import topics
from shared.audit_records import AuditKind, AuditRecord, record_id_for
from shared.case_crypto import CaseKeys
from shared.dead_letters import handle_or_dead_letter
from shared.erasures import Erasure
from shared.faust_app import raw_topic
from shared.record_signing import RecordSigner

log = logging.getLogger(__name__)
ERASED_BY_NOTIFIER = [
    topics.NOTIFIER_TEAMS_TABLE, topics.NOTIFIER_COMPLIANCE_TABLE, topics.NOTIFIER_REMINDERS_TABLE,
    topics.NOTIFIER_PAUSES_TABLE, topics.NOTIFIER_HOLDS_TABLE, topics.NOTIFIER_ESCALATIONS_TABLE,
    topics.NOTIFIER_ACKS_TABLE,
]  # fmt: skip
"""What the notifier deletes on the same command (services/notifier/erasing.py), named in the record."""


def erased_record(erasure: Erasure, erased: list[str]) -> AuditRecord:
    return AuditRecord(
        record_id=record_id_for(AuditKind.CASE_ERASED, erasure.case_id),
        kind=AuditKind.CASE_ERASED,
        service=SERVICE,
        case_id=erasure.case_id,
        rule=erasure.rule,
        legal_basis=erasure.legal_basis,
        actor=erasure.requested_by,
        outcome="erased",
        erased=erased,
    )


def due_now(entries: list[tuple[str, dict[str, object]]], now: datetime, asked: set[str]) -> list[Erasure]:
    """The erasures whose time has come and that this worker has not asked for yet."""
    found = [Erasure.model_validate(value) for key, value in entries if key not in asked]
    return [e for e in found if e.due_at <= now]


def wire_erasures(
    app: faust.App,
    tables: CaseTables,
    keys: CaseKeys,
    signer: RecordSigner,
    sweep_s: float,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    commands, audit = raw_topic(app, topics.ERASURES), raw_topic(app, topics.AUDIT)
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    asked: set[str] = set()
    """Case ids asked for by this worker since it started (a restart asks again: applying twice is harmless)."""

    async def sweep() -> None:
        for erasure in due_now(list(tables.erasures.items()), clock(), asked):
            await commands.send(key=erasure.case_id.encode(), value=erasure.model_dump_json().encode())
            asked.add(erasure.case_id)

    app.timer(sweep_s)(sweep)

    async def erase(raw: bytes) -> None:
        erasure = Erasure.model_validate_json(raw)
        await keys.started()
        await keys.erase(erasure.case_id)  # first: from here on every sealed copy is noise
        erased = [topics.CASE_KEYS, topics.CASE_DIGEST_KEYS, *tables.erase(erasure.case_id), *ERASED_BY_NOTIFIER]
        signed = signer.signed(erased_record(erasure, erased))
        await (await audit.send(key=erasure.case_id.encode(), value=signed.value, headers=signed.headers))
        asked.discard(erasure.case_id)
        log.info("case erased", extra={"case_id": erasure.case_id, "rule": erasure.rule})

    @app.agent(commands)
    async def apply_erasures(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            await handle_or_dead_letter(erase, raw, dead_letters, topics.ERASURES, consumer="router")
