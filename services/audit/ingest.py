"""Polled messages -> leaves -> one atomic append: the consumer's work between Kafka and the ledger.

`prepare` runs in a worker thread while the previous batch is written, so parsing and writing overlap.
A message that does not carry a valid audit record is skipped, logged without its content, and counted.
"""

import logging
from dataclasses import dataclass
from typing import TypeAlias

import orjson
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from services.audit.leaves import Leaf, leaf_of
from services.audit.metrics import APPENDED, DUPLICATES, LEDGER_SIZE, UNPARSEABLE
from services.audit.tree_store import AlsoWrite, Appended, TreeStore
from shared.audit_records import AuditRecord

log = logging.getLogger(__name__)
Message: TypeAlias = ConsumerRecord[bytes, bytes]


def parse(message: Message) -> AuditRecord | None:
    """The record a message carries, or None (logged without content, and counted) if it is not one."""
    try:
        return AuditRecord.model_validate_json(message.value or b"")
    except ValidationError as error:
        # The error's text quotes the input, which could be anything: log only where and what kind.
        _skipped(message, sorted({detail["type"] for detail in error.errors(include_input=False)}))
        return None


def leaf(message: Message) -> Leaf | None:
    """The leaf of the record a message carries, or None if there is none; a record that passes validation
    but cannot be written in canonical form (a time that overflows when moved to UTC) is skipped too."""
    record = parse(message)
    if record is None:
        return None
    try:
        return leaf_of(record)
    except (OverflowError, orjson.JSONEncodeError) as error:
        _skipped(message, [type(error).__name__])
        return None


def _skipped(message: Message, kinds: list[str]) -> None:
    where = {"topic": message.topic, "partition": message.partition, "offset": message.offset}
    log.warning("unparseable audit record skipped", extra={**where, "error_kinds": kinds})
    UNPARSEABLE.inc()


@dataclass(frozen=True)
class Batch:
    """A polled batch made ready to append: its leaves and the offsets after it."""

    leaves: list[Leaf]
    offsets: dict[tuple[str, int], int]


def prepare(messages: list[Message]) -> Batch:
    leaves = [made for made in map(leaf, messages) if made is not None]
    return Batch(leaves, {(m.topic, m.partition): m.offset + 1 for m in messages})


def write(ledger: TreeStore, batch: Batch, also: AlsoWrite | None = None) -> Appended:
    """Append a batch's leaves with the offsets after it (and `also` what follows from them), atomically."""
    appended = ledger.append_sized(batch.leaves, batch.offsets, also)
    APPENDED.inc(appended.new)
    DUPLICATES.inc(len(batch.leaves) - appended.new)
    LEDGER_SIZE.set(appended.size)
    return appended


def store(ledger: TreeStore, messages: list[Message]) -> int:
    """Parse and append `messages`; how many leaves were new."""
    return write(ledger, prepare(messages)).new
