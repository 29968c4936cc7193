"""Per-case keys on compacted topics, keyed by case id: a case's data key (drr.case-keys, Tink keyset
wrapped by the key-encryption key, read by intake and the notifier only) and its digest key
(drr.case-digest-keys, a random salt from which the producers derive the case's HMAC key with their own
digest key, read by intake, router and notifier). A tombstone on both is the case's erasure: every sealed
copy of its data, on every topic, replica and backup, becomes noise, and no digest can be confirmed again.

Intake makes a case's keys before its first event is published. Two intake instances may race to make
them: each publishes its own record, then reads the topic up to its record, and the case's key is the
first record after the last tombstone, whoever wrote it; a later record with another key id is a loser and
ignored (nothing was sealed under it: its writer used the first). Compaction keeps only the last record
of a key, so an instance that sees a loser publishes the first record again (a repair); a record with the
key id already in force is a re-wrap (KEK rotation) and replaces the wrapping. The topic is read whole by
every instance (no consumer group), so each one's view is complete once caught up.
"""

import asyncio
import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.kafka import durable_producer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyRecord:
    case_id: str
    key_id: str
    """Names the key (not the wrapping): the same after a re-wrap, another for a racing instance's key."""
    material: bytes
    """The wrapped data keyset, or the digest salt."""
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def encoded(self) -> bytes:
        body = {"case_id": self.case_id, "key_id": self.key_id, "created_at": self.created_at}
        return json.dumps({**body, "material": base64.b64encode(self.material).decode()}).encode()

    @classmethod
    def decoded(cls, raw: bytes) -> "KeyRecord":
        data = json.loads(raw)
        return cls(data["case_id"], data["key_id"], base64.b64decode(data["material"]), data["created_at"])


class KeyBook:
    """The keys in force, folded from a key topic in offset order (pure: the Kafka edge is KeyTopic)."""

    def __init__(self) -> None:
        self.records: dict[str, KeyRecord] = {}

    def fold(self, case_id: str, raw: bytes | None) -> KeyRecord | None:
        """Apply one record; returns the record in force when the topic needs it published again (a loser
        seen after it), else None."""
        if raw is None:
            self.records.pop(case_id, None)
            return None
        record = KeyRecord.decoded(raw)
        current = self.records.get(case_id)
        if current is None or current.key_id == record.key_id:
            self.records[case_id] = record
            return None
        return current


class KeyTopic:
    """One key topic, read from the beginning into a KeyBook and followed; `writer` instances also make
    keys (intake) or repair races. `erase` writes a case's tombstone (the router's one right here)."""

    def __init__(self, topic: str, options: dict[str, object], *, reads: bool = True, writes: bool = False) -> None:
        self.topic, self._options, self._reads, self._writes = topic, options, reads, writes
        self.book = KeyBook()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._positions: dict[int, int] = {}
        self._moved = asyncio.Condition()
        self._locks: dict[str, asyncio.Lock] = {}
        self._follow: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect and read the whole topic before returning: a service starts with every key in force."""
        if self._writes:
            self._producer = durable_producer(self._options)
            await self._producer.start()
        if not self._reads:
            return
        consumer = AIOKafkaConsumer(**self._options, group_id=None, enable_auto_commit=False)
        await consumer.start()
        self._consumer = consumer
        partitions = sorted(await partitions_of(consumer, self.topic))
        tps = [TopicPartition(self.topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self._positions = {p: 0 for p in partitions}
        self._follow = asyncio.create_task(self._read())
        await self.caught_up()

    async def stop(self) -> None:
        if self._follow:
            self._follow.cancel()
            await asyncio.gather(self._follow, return_exceptions=True)
        for client in (self._consumer, self._producer):
            if client is not None:
                await client.stop()

    async def _read(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            repairs = []
            for messages in batches.values():
                for m in messages:
                    if m.key is not None and (again := self.book.fold(m.key.decode(), m.value)) is not None:
                        repairs.append(again)
            for tp in self._consumer.assignment():
                self._positions[tp.partition] = await self._consumer.position(tp)
            async with self._moved:
                self._moved.notify_all()
            if repairs and self._producer is not None:
                for record in repairs:
                    log.warning("key race repaired", extra={"topic": self.topic})
                    await self._producer.send_and_wait(self.topic, record.encoded(), key=record.case_id.encode())

    async def caught_up(self, timeout_s: float = 30.0) -> None:
        """Until this view holds everything on the topic now (its end offsets as of the call)."""
        assert self._consumer is not None
        ends = await self._consumer.end_offsets([TopicPartition(self.topic, p) for p in self._positions])
        await self._until(lambda: all(self._positions[tp.partition] >= end for tp, end in ends.items()), timeout_s)

    async def _until(self, done: Callable[[], bool], timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s), self._moved:
            await self._moved.wait_for(done)

    async def record(self, case_id: str, timeout_s: float = 30.0) -> KeyRecord | None:
        """The case's record in force; when not known yet, after catching up (its record may be on its way)."""
        if (known := self.book.records.get(case_id)) is not None:
            return known
        await self.caught_up(timeout_s)
        return self.book.records.get(case_id)

    async def ensure(self, case_id: str, make: Callable[[], KeyRecord], timeout_s: float = 30.0) -> KeyRecord:
        """The case's record, made and published first if it has none (see the module's docstring on races)."""
        if (known := self.book.records.get(case_id)) is not None:
            return known
        lock = self._locks.setdefault(case_id, asyncio.Lock())
        async with lock:
            try:
                if (known := await self.record(case_id, timeout_s)) is not None:
                    return known
                assert self._producer is not None, "only a writer makes keys"
                mine = make()
                sent = await self._producer.send_and_wait(self.topic, mine.encoded(), key=case_id.encode())
                await self._until(lambda: self._positions.get(sent.partition, 0) > sent.offset, timeout_s)
                return self.book.records[case_id]
            finally:
                self._locks.pop(case_id, None)

    async def publish(self, record: KeyRecord) -> None:
        """A record as it is (a re-wrap)."""
        assert self._producer is not None
        await self._producer.send_and_wait(self.topic, record.encoded(), key=record.case_id.encode())

    async def erase(self, case_id: str) -> None:
        assert self._producer is not None
        await self._producer.send_and_wait(self.topic, None, key=case_id.encode())


class MemoryKeyTopic:
    """A key topic in this process only, with KeyTopic's interface: for a service run without a broker
    (intake's unit tests, `connect=False`) and the unit tests of what is built on it."""

    def __init__(self, topic: str = "memory") -> None:
        self.topic, self.book = topic, KeyBook()
        self.log: list[tuple[str, bytes | None]] = []
        """Every record published, in order, as the topic would hold them."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def caught_up(self, timeout_s: float = 30.0) -> None: ...

    async def record(self, case_id: str, timeout_s: float = 30.0) -> KeyRecord | None:
        return self.book.records.get(case_id)

    async def ensure(self, case_id: str, make: Callable[[], KeyRecord], timeout_s: float = 30.0) -> KeyRecord:
        if case_id not in self.book.records:
            await self.publish(make())
        return self.book.records[case_id]

    async def publish(self, record: KeyRecord) -> None:
        self._append(record.case_id, record.encoded())

    async def erase(self, case_id: str) -> None:
        self._append(case_id, None)

    def _append(self, case_id: str, raw: bytes | None) -> None:
        self.log.append((case_id, raw))
        if (again := self.book.fold(case_id, raw)) is not None:
            self._append(again.case_id, again.encoded())


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    """A topic's partitions, asking the broker again while its metadata does not have the topic yet."""
    for _ in range(100):
        partitions: Any = consumer.partitions_for_topic(topic)
        if partitions:
            return set(partitions)
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {topic} not found")
