"""Every oversight query becomes a leaf: published to the audit topic before the answer is given.

Through Kafka rather than straight into the database, so that the ledger keeps one total order and
replaying the topic reproduces it exactly. Tests pass a fake that appends directly.
"""

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import datetime

from aiokafka import AIOKafkaProducer

from services.audit.leaves import timestamp
from shared import topics
from shared.audit_records import AuditRecord
from shared.kafka import started_producer
from shared.record_signing import RecordSigner

MAX_VALUE = 200
"""No recorded value is longer (the routes refuse longer ones already; this is the last guard)."""


def recorded(value: object) -> str:
    """A parameter as the record keeps it: a date as a UTC timestamp, anything else as its text."""
    text = timestamp(value) if isinstance(value, datetime) else str(value)
    return text[:MAX_VALUE]


def asked(names: list[str], values: Mapping[str, object]) -> dict[str, str]:
    """The parameters the request named (`names`, all declared: access.py), with their validated values."""
    return {name: recorded(values[name]) for name in names if values.get(name) is not None}


class KafkaQueryLog:
    """A durable producer, started on the first query (so the API starts whatever Kafka is doing)."""

    def __init__(self, options: dict[str, object], signer: RecordSigner) -> None:
        """`options`: the audit service's own client options (KafkaAccess.client_options())."""
        self._options, self._signer = options, signer
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        """Queries and the completeness check publish concurrently: one producer for both."""

    async def record(self, *, record: AuditRecord) -> None:
        async with self._starting:
            if self._producer is None:
                self._producer = await started_producer(self._options)
        key = record.case_id.encode() if record.case_id else None
        signed = self._signer.signed(record)
        await self._producer.send_and_wait(topics.AUDIT, signed.value, key=key, headers=signed.headers)

    async def running(self) -> AsyncIterator[None]:
        """For the app's lifespan: closes the producer at the end."""
        try:
            yield
        finally:
            if self._producer is not None:
                await self._producer.stop()
