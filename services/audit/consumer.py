"""Kafka -> ledger, exactly once: each batch's leaves and the offsets after it commit in one DB transaction.

On every partition assignment the consumer seeks to the offsets the ledger stored, so Kafka's own
committed offsets are only a hint for lag monitoring; a crash anywhere redoes nothing twice. Between
batches it signs a checkpoint when one is due.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from services.audit.checkpoints import Signer, checkpoint_now, due
from services.audit.completeness.watch import CompletenessWatch
from services.audit.ingest import Batch, Message, prepare, write
from services.audit.store import SqlLedger, StoredCheckpoint
from shared import topics

log = logging.getLogger(__name__)
GROUP_ID = "drr-audit"


def kafka_consumer(bootstrap: str, group_id: str = GROUP_ID, session_timeout_s: float = 10.0) -> AIOKafkaConsumer:
    """Must be called inside the event loop (aiokafka binds to the running loop).

    The group only spreads partitions and shows lag: the ledger's stored offsets decide where to resume,
    so a second ledger (a replay, say) needs its own group but no offsets of its own in Kafka.
    """
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=int(session_timeout_s * 1000),
        heartbeat_interval_ms=int(min(3.0, session_timeout_s / 3) * 1000),
        max_partition_fetch_bytes=24 * 1024 * 1024,  # one poll can fill a whole batch of records
    )


class SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    """Whatever Kafka remembers, resume each partition where the ledger's own offsets say."""

    def __init__(self, ledger: SqlLedger, consumer: AIOKafkaConsumer) -> None:
        self._ledger, self._consumer = ledger, consumer

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        stored = await asyncio.to_thread(self._ledger.offsets)
        for partition in assigned:
            if (partition.topic, partition.partition) in stored:
                self._consumer.seek(partition, stored[partition.topic, partition.partition])
            else:
                await self._consumer.seek_to_beginning(partition)


class AuditConsumer:
    """Runs until stop(): polls the audit topic, stores each batch with its offsets, signs checkpoints."""

    def __init__(
        self,
        ledger: SqlLedger,
        connect: Callable[[], AIOKafkaConsumer],
        signer: Signer,
        *,
        origin: str,
        every_leaves: int = 1000,
        every_s: float = 1.0,
        poll_ms: int = 200,
        max_records: int = 20_000,
        retry_s: float = 2.0,
        completeness: CompletenessWatch | None = None,
    ) -> None:
        self._ledger, self._connect, self._signer, self._origin = ledger, connect, signer, origin
        self._every_leaves, self._every_s = every_leaves, every_s
        self._poll_ms, self._max_records, self._retry_s = poll_ms, max_records, retry_s
        self._stopping = False
        self.ready = False
        self._size: int | None = None
        self._latest: StoredCheckpoint | None = None
        self._completeness = completeness
        self._seen_until: datetime | None = None
        """Every record on the topic before this time is stored (for the completeness check)."""

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        consumer = await self._start()
        if consumer is None:
            return
        self.ready = True
        writing: asyncio.Task[Batch] | None = None
        try:
            while not self._stopping:
                fetched_at = datetime.now(UTC)
                messages = await self._fetch(consumer)
                at_end = fetched_at if self._completeness and await _reached_end(consumer) else None
                # Parsing this batch overlaps writing the previous one (SQLite and psycopg release the GIL).
                batch = await asyncio.to_thread(prepare, messages)
                await self._finish(consumer, writing)
                writing = asyncio.create_task(self._write(batch, at_end)) if messages else None
                if at_end and not messages:  # everything fetched before is written: finished just above
                    self._seen_until = at_end
            await self._finish(consumer, writing)
        except Exception:
            log.exception("audit consumer failed")
            raise
        finally:
            self.ready = False
            await consumer.stop()
            log.info("audit consumer stopped")

    async def _write(self, batch: Batch, at_end: datetime | None = None) -> Batch:
        track = self._completeness.track if self._completeness else None
        self._size = (await asyncio.to_thread(write, self._ledger, batch, track)).size
        self._seen_until = at_end or self._seen_until
        return batch

    async def _finish(self, consumer: AIOKafkaConsumer, writing: "asyncio.Task[Batch] | None") -> None:
        """Wait for the batch being written, then commit its offsets to Kafka and sign if due."""
        if writing is not None:
            batch = await writing
            await _commit(consumer, {TopicPartition(t, p): o for (t, p), o in batch.offsets.items()})
        await asyncio.to_thread(self._maybe_checkpoint)
        if self._completeness is not None:
            await self._completeness.check(self._seen_until)

    async def _start(self) -> AIOKafkaConsumer | None:
        """Keep trying until the broker answers, so start-up order does not matter."""
        while not self._stopping:
            consumer = self._connect()
            consumer.subscribe([topics.AUDIT], listener=SeekToStored(self._ledger, consumer))
            try:
                await consumer.start()
                log.info("audit consumer started", extra={"topic": topics.AUDIT, "group": GROUP_ID})
                return consumer
            except KafkaError as error:
                await consumer.stop()
                log.warning("kafka unavailable, retrying", extra={"error": type(error).__name__})
                await asyncio.sleep(self._retry_s)
        return None

    async def _fetch(self, consumer: AIOKafkaConsumer) -> list[Message]:
        batches = await consumer.getmany(timeout_ms=self._poll_ms, max_records=self._max_records)
        return [message for batch in batches.values() for message in batch]

    def _maybe_checkpoint(self) -> None:
        """Sign when due. Only this consumer appends and signs, so the size and the latest checkpoint are
        remembered rather than queried each batch; checkpoint_now reads both afresh before it signs."""
        now = datetime.now(UTC)
        if self._size is None or self._latest is None:
            self._size, self._latest = self._ledger.size(), self._ledger.latest_checkpoint()
        if due(self._latest, self._size, every_leaves=self._every_leaves, every_s=self._every_s, now=now):
            self._latest = checkpoint_now(self._ledger, self._signer, self._origin, now)
            self._size = max(self._size, self._latest.size)


async def _reached_end(consumer: AIOKafkaConsumer) -> bool:
    """Whether the polls so far took everything the broker had (its high watermark, as of the last fetch)
    on every assigned partition; False before the first fetch answered, so a backlog is never "seen"."""
    assigned = consumer.assignment()
    try:
        for partition in assigned:
            highwater = consumer.highwater(partition)
            if highwater is None or await consumer.position(partition) < highwater:
                return False
    except IllegalStateError:  # revoked meanwhile
        return False
    return bool(assigned)


async def _commit(consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
    """Advisory only (lag monitoring): the ledger's stored offsets are what the consumer resumes from."""
    try:
        await consumer.commit(offsets)
    except (CommitFailedError, IllegalStateError) as error:
        log.warning("offset commit failed", extra={"error": type(error).__name__})
