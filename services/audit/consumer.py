"""Kafka -> ledger. At-least-once delivery, made effectively-once by the ledger's record_id dedupe.

Each batch is committed to SQLite first and its Kafka offsets second, so a crash in between only
redelivers records the ledger already holds, and they are skipped.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from pydantic import ValidationError

from services.audit.adapters import Ledger
from services.audit.metrics import APPENDED, DUPLICATES, LEDGER_SIZE, UNPARSEABLE
from shared import topics
from shared.audit_records import AuditRecord

log = logging.getLogger(__name__)
GROUP_ID = "drr-audit"
Message: TypeAlias = ConsumerRecord[bytes, bytes]


def kafka_consumer(bootstrap: str) -> AIOKafkaConsumer:
    """Must be called inside the event loop (aiokafka binds to the running loop)."""
    return AIOKafkaConsumer(
        topics.AUDIT,
        bootstrap_servers=bootstrap,
        group_id=GROUP_ID,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


def parse(message: Message) -> AuditRecord | None:
    """The record a message carries, or None (logged without content, and counted) if it is not one."""
    try:
        return AuditRecord.model_validate_json(message.value or b"")
    except ValidationError as error:
        # The error's text quotes the input, which could be anything: log only where and what kind.
        kinds = sorted({detail["type"] for detail in error.errors(include_input=False)})
        where = {"topic": message.topic, "partition": message.partition, "offset": message.offset}
        log.warning(
            "unparseable audit record skipped", extra={**where, "error": type(error).__name__, "error_kinds": kinds}
        )
        UNPARSEABLE.inc()
        return None


def store(ledger: Ledger, records: list[AuditRecord]) -> int:
    """Append a batch and update the metrics; returns how many records were new."""
    appended = ledger.append(records)
    APPENDED.inc(appended)
    DUPLICATES.inc(len(records) - appended)
    LEDGER_SIZE.set(ledger.head().seq)
    log.debug("audit batch stored", extra={"appended": appended, "duplicates": len(records) - appended})
    return appended


class AuditConsumer:
    """Runs until stop(): polls the audit topic, stores each batch, then commits its offsets."""

    def __init__(
        self,
        ledger: Ledger,
        connect: Callable[[], AIOKafkaConsumer],
        *,
        poll_ms: int = 500,
        max_records: int = 500,
        retry_s: float = 2.0,
    ) -> None:
        self._ledger, self._connect = ledger, connect
        self._poll_ms, self._max_records, self._retry_s = poll_ms, max_records, retry_s
        self._stopping = False
        self.ready = False

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        consumer = await self._start()
        if consumer is None:
            return
        self.ready = True
        try:
            while not self._stopping:
                await self._poll(consumer)
        except Exception:
            log.exception("audit consumer failed")
            raise
        finally:
            self.ready = False
            await consumer.stop()
            log.info("audit consumer stopped")

    async def _start(self) -> AIOKafkaConsumer | None:
        """Keep trying until the broker answers, so start-up order does not matter."""
        while not self._stopping:
            consumer = self._connect()
            try:
                await consumer.start()
                log.info("audit consumer started", extra={"topic": topics.AUDIT, "group": GROUP_ID})
                return consumer
            except KafkaError as error:
                await consumer.stop()
                log.warning("kafka unavailable, retrying", extra={"error": type(error).__name__})
                await asyncio.sleep(self._retry_s)
        return None

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=self._poll_ms, max_records=self._max_records)
        messages = [message for batch in batches.values() for message in batch]
        if not messages:
            return
        records = [record for record in map(parse, messages) if record is not None]
        await asyncio.to_thread(store, self._ledger, records)
        await _commit(consumer)


async def _commit(consumer: AIOKafkaConsumer) -> None:
    try:
        await consumer.commit()
    except (CommitFailedError, IllegalStateError) as error:
        # Partitions moved to another member: it will redeliver this batch, and the ledger skip it.
        log.warning("offset commit failed", extra={"error": type(error).__name__})
