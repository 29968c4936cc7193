"""The Kafka edge of intake: publish an accepted event, and the audit record that says so."""

from typing import Protocol

from aiokafka import AIOKafkaProducer

from shared import topics
from shared.audit_records import AuditRecord
from shared.events import Envelope
from shared.kafka import durable_producer


class Publisher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish_event(self, event: Envelope) -> None: ...
    async def publish_audit(self, record: AuditRecord) -> None: ...
    def ready(self) -> bool: ...


class KafkaPublisher:
    """Returns only once the broker has acknowledged (acks=all, idempotent producer)."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect (inside the event loop, as aiokafka requires); a failed attempt can be repeated."""
        producer = durable_producer(self._bootstrap)
        try:
            await producer.start()
        except BaseException:  # cancellation at shutdown included: never leave a producer open
            await producer.stop()
            raise
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    def ready(self) -> bool:
        return self._producer is not None

    async def publish_event(self, event: Envelope) -> None:
        await self._send(topics.EVENTS, event.case_id, event.model_dump_json())

    async def publish_audit(self, record: AuditRecord) -> None:
        await self._send(topics.AUDIT, record.case_id, record.model_dump_json())

    async def _send(self, topic: str, case_id: str | None, value: str) -> None:
        if self._producer is None:
            raise ConnectionError("not connected to Kafka yet")
        key = case_id.encode() if case_id else None
        await self._producer.send_and_wait(topic, value.encode(), key=key)
