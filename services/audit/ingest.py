"""Polled messages -> leaves -> one atomic append: the consumer's work between Kafka and the ledger.

`prepare` runs in a worker thread while the previous batch is written, so checking signatures and parsing
overlap writing. What admission refuses is kept with its reason, to be dead-lettered (consumer.py) before
the batch's offsets are stored. `sort_out` then compares the batch with the records the ledger already
holds: a repeat of a known record (a redelivery, or a producer redoing its work after a restart, which
only moves `recorded_at`) is skipped silently; a known id with other content is a conflict, refused and
alarmed, and the first record stands.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from services.audit.admission import Admission, Message, Reason, Refusal
from services.audit.leaves import Leaf
from services.audit.metrics import APPENDED, CONFLICTS, DUPLICATES, LEDGER_SIZE, REFUSED
from services.audit.store import AlsoWrite, Appended, SqlLedger

__all__ = ["Batch", "Message", "prepare", "sort_out", "known", "counted", "write", "store"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Batch:
    """A polled batch made ready to append: its leaves (with the messages they came in), what was refused,
    and the offsets after it."""

    leaves: list[Leaf]
    offsets: dict[tuple[str, int], int]
    messages: list[Message] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    repeats: int = 0
    """Records the ledger (or this batch) holds already, skipped."""


def prepare(messages: list[Message], admission: Admission) -> Batch:
    leaves, admitted, refused = [], [], []
    for message in messages:
        made = admission.leaf(message)
        if isinstance(made, Refusal):
            refused.append(made)
        else:
            leaves.append(made)
            admitted.append(message)
    return Batch(leaves, {(m.topic, m.partition): m.offset + 1 for m in messages}, admitted, refused)


def sort_out(batch: Batch, stored: Mapping[str, str]) -> Batch:
    """The batch without repeats of known records, and with conflicting ones refused. `stored`: dedupe key
    -> leaf text of the batch's keys the ledger holds (SqlLedger.stored_texts)."""
    seen = dict(stored)
    leaves, messages, refused, repeats = [], [], list(batch.refused), 0
    for leaf, message in zip(batch.leaves, batch.messages, strict=True):
        first = seen.get(leaf.dedupe_key)
        if first is None:
            seen[leaf.dedupe_key] = leaf.text
            leaves.append(leaf)
            messages.append(message)
        elif _same_fact(first, leaf.text):
            repeats += 1
        else:
            refused.append(Refusal(message, Reason.CONFLICTING_DUPLICATE, (leaf.dedupe_key,)))
    return Batch(leaves, batch.offsets, messages, refused, repeats)


def _same_fact(first: str, second: str) -> bool:
    """Equal but for `recorded_at`: only the moment the producer (re)made the record differs."""
    if first == second:
        return True
    return _without_time(orjson.loads(first)) == _without_time(orjson.loads(second))


def _without_time(record: dict[str, Any]) -> dict[str, Any]:
    record.pop("recorded_at", None)
    return record


def counted(refusals: list[Refusal]) -> None:
    """Counted and logged (ids and codes only: the content may be anything) once they are dead-lettered."""
    for refusal in refusals:
        message = refusal.message
        where = {"topic": message.topic, "partition": message.partition, "offset": message.offset}
        if refusal.reason == Reason.CONFLICTING_DUPLICATE:
            CONFLICTS.inc()
            log.error("conflicting audit record refused: a known record id with other content; the first stands",
                      extra={**where, "record_id": refusal.detail[0]})  # fmt: skip
        else:
            REFUSED.labels(refusal.reason).inc()
            log.warning(
                "audit record refused", extra={**where, "reason": refusal.reason, "error_kinds": refusal.detail}
            )


def write(ledger: SqlLedger, batch: Batch, also: AlsoWrite | None = None) -> Appended:
    """Append a batch's leaves with the offsets after it (and `also` what follows from them), atomically."""
    appended = ledger.append_sized(batch.leaves, batch.offsets, also)
    APPENDED.inc(appended.new)
    DUPLICATES.inc(batch.repeats + len(batch.leaves) - appended.new)
    LEDGER_SIZE.set(appended.size)
    return appended


def known(ledger: SqlLedger, batch: Batch) -> Batch:
    """sort_out against what the ledger holds. Only the consumer appends, so nothing changes in between."""
    return sort_out(batch, ledger.stored_texts([leaf.dedupe_key for leaf in batch.leaves]))


def store(ledger: SqlLedger, messages: list[Message], admission: Admission) -> int:
    """Admit, sort out and append `messages` without dead-lettering (tests and tools); how many were new."""
    batch = known(ledger, prepare(messages, admission))
    counted(batch.refused)
    return write(ledger, batch).new
