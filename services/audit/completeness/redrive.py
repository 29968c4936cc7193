"""`audit redrive EVENT_ID --by NAME`: an accepted event sent through the pipeline again, from its own bytes.

The ledger's `event.received` names the event's case, so its partition of drr.events (the key is the case
id, the producer's default partitioner); that partition is read from a little before intake recorded the
event, within a deadline, for the message carrying the event id. The same bytes go back to drr.events
with the same key, and an `event.redriven` record (who, which event, from where) goes to drr.audit.

Safe to repeat: delivery ids derive from event id + recipient, so the notifier's ledger sends nothing it
sent before; the router's records keep their ids, so the ledger stores each fact once.
Runs as the Kafka admin principal: it reads and writes drr.events and writes drr.audit.
"""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from services.audit.records import redriven_record
from shared import topics
from shared.audit_records import AuditRecord
from shared.kafka import durable_producer
from shared.record_signing import RecordSigner

KafkaOptions = Mapping[str, object]
"""aiokafka client options (bootstrap_servers, and whatever security the broker asks): see cli.kafka_options."""
LOOK_BACK = timedelta(minutes=10)
"""How long before intake's record the scan starts: intake records an event after the broker took it."""


class NotFound(LookupError):
    """The ledger has no accepted event with this id, or drr.events no longer holds it (retention)."""


@dataclass(frozen=True)
class Original:
    case_id: str
    event_type: str | None
    partition: int
    offset: int
    value: bytes


def partition_for(case_id: str, partitions: int) -> int:
    """Where the producers put a case's events (aiokafka's and the Java client's murmur2 partitioner)."""
    every = list(range(partitions))
    return int(DefaultPartitioner()(case_id.encode(), every, every))


def matches(value: bytes | None, event_id: str) -> bool:
    try:
        return bool(orjson.loads(value or b"{}").get("event_id") == event_id)
    except (orjson.JSONDecodeError, AttributeError):
        return False


async def find(kafka: KafkaOptions, event_id: str, case_id: str, recorded_at: datetime, timeout_s: float) -> Original:
    """The message carrying the event, read back from drr.events within `timeout_s` (no consumer group)."""
    consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    try:
        where = TopicPartition(topics.EVENTS, partition_for(case_id, await _partitions(kafka)))
        consumer.assign([where])
        end = (await consumer.end_offsets([where]))[where]
        since = (await consumer.offsets_for_times({where: int((recorded_at - LOOK_BACK).timestamp() * 1000)}))[where]
        if since is None:  # no message that late (clocks apart?): read the whole partition, within the deadline
            await consumer.seek_to_beginning(where)
        else:
            consumer.seek(where, since.offset)
        return await _scan(consumer, where, end, event_id, case_id, time.monotonic() + timeout_s)
    finally:
        await consumer.stop()


async def _partitions(kafka: KafkaOptions) -> int:
    """How many partitions drr.events has on the broker (what the producers divided by)."""
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topics.EVENTS])
        return len(described["partitions"])
    finally:
        await admin.close()


async def _scan(
    consumer: AIOKafkaConsumer, where: TopicPartition, end: int, event_id: str, case_id: str, deadline: float
) -> Original:
    while await consumer.position(where) < end:
        if time.monotonic() > deadline:
            raise TimeoutError(f"drr.events partition {where.partition} not read to offset {end} in time")
        batches = await consumer.getmany(where, timeout_ms=500, max_records=5000)
        for message in batches.get(where, []):
            if message.key == case_id.encode() and matches(message.value, event_id):
                return Original(case_id, None, where.partition, message.offset, message.value or b"")
    raise NotFound(f"event {event_id} is not on drr.events partition {where.partition} (retention?)")


async def republish(kafka: KafkaOptions, original: Original, record: AuditRecord, signer: RecordSigner) -> None:
    """The same bytes under the same key, acknowledged by the broker; then the audit record (a failure in
    between is reported: running the command again is harmless)."""
    producer = durable_producer(dict(kafka))
    await producer.start()
    try:
        await producer.send_and_wait(topics.EVENTS, original.value, key=original.case_id.encode())
        signed = signer.signed(record)  # signed by the audit service's key: the ledger refuses it otherwise
        await producer.send_and_wait(topics.AUDIT, signed.value, key=original.case_id.encode(), headers=signed.headers)
    finally:
        await producer.stop()


def redrive(kafka: KafkaOptions, received: tuple[str, str | None, str] | None, event_id: str, by: str,
            timeout_s: float, signer: RecordSigner) -> Original:  # fmt: skip
    """`received`: the ledger's (case id, event type, recorded at) for the event, if it has one."""
    if received is None:
        raise NotFound(f"the ledger has no event.received for {event_id}: intake never accepted it")
    case_id, event_type, recorded_at = received
    moment = datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))

    async def run() -> Original:
        found = await find(kafka, event_id, case_id, moment, timeout_s)
        original = Original(case_id, event_type, found.partition, found.offset, found.value)
        record = redriven_record(event_id=event_id, case_id=case_id, event_type=event_type, by=by,
                                 partition=found.partition, offset=found.offset)  # fmt: skip
        await republish(kafka, original, record, signer)
        return original

    return asyncio.run(run())
