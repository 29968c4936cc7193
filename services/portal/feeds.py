"""The portal's one Kafka reader: every partition of the topics it follows (book.FOLDS), read from the
beginning without a consumer group (the portal commits nothing: each instance holds the whole picture, so any
instance can answer any practitioner), folded into the Book, and followed for as long as the portal runs.

Not ready until it has read up to the end offsets it found at start (`/healthz` says 503 meanwhile), so a
practitioner is never told "nothing for you" by a portal still catching up. `changed` wakes whoever waits for
news: the inbox's event stream.
"""

import asyncio
import logging
from collections.abc import Collection

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.portal.book import FOLDS, Book
from shared.case_keys import partitions_of

log = logging.getLogger(__name__)


class Feeds:
    def __init__(self, options: dict[str, object], book: Book, names: Collection[str] = tuple(FOLDS)) -> None:
        self.book, self._options, self._names = book, options, tuple(names)
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._ends: dict[TopicPartition, int] = {}
        self.ready = asyncio.Event()
        self.changed = asyncio.Condition()

    async def start(self) -> None:
        """Connect and start reading; returns at once (readiness is `ready`)."""
        consumer = AIOKafkaConsumer(**self._options, group_id=None, enable_auto_commit=False)
        await consumer.start()
        self._consumer = consumer
        partitions = [TopicPartition(n, p) for n in self._names for p in sorted(await partitions_of(consumer, n))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        self._ends = await consumer.end_offsets(partitions)
        self._task = asyncio.create_task(self._read(consumer))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    self.book.fold(tp.topic, record.key, record.value)
            if not self.ready.is_set() and await self._caught_up(consumer):
                log.info("portal caught up", extra={"version": self.book.version})
                self.ready.set()
            if batches:
                async with self.changed:
                    self.changed.notify_all()

    async def _caught_up(self, consumer: AIOKafkaConsumer) -> bool:
        for tp, end in self._ends.items():
            if await consumer.position(tp) < end:
                return False
        return True

    async def news(self, since: int, timeout_s: float) -> int:
        """The book's version once it is past `since`, or after `timeout_s` whatever it is (a heartbeat)."""
        try:
            async with asyncio.timeout(timeout_s), self.changed:
                await self.changed.wait_for(lambda: self.book.version > since)
        except TimeoutError:
            pass
        return self.book.version
