"""Refused audit messages onto drr.dead-letters, whole, with the reason: acknowledged by the broker before
the batch they came in is stored, so a refusal is never lost (a crash in between sends it again).

Headers: `source` (drr.audit), `error` (the reason code), `source_partition` and `source_offset`, then
the message's own headers (a forged signer name stays visible to the operator, who alone reads the topic).
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.audit.admission import Refusal
from shared import topics
from shared.kafka import started_producer

log = logging.getLogger(__name__)


class DeadLetters(Protocol):
    async def send(self, refusals: Sequence[Refusal]) -> None:
        """Returns once every refusal is on the broker."""
        ...


def dead_letter(refusal: Refusal) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) of a refusal's dead letter."""
    message = refusal.message
    headers = [
        ("source", message.topic.encode()),
        ("error", refusal.reason.encode()),
        ("source_partition", str(message.partition).encode()),
        ("source_offset", str(message.offset).encode()),
        *(message.headers or ()),
    ]
    return message.key, message.value or b"", headers


class KafkaDeadLetters:
    """A durable producer started on the first refusal; a failed send is retried until it is acknowledged
    (ingestion waits: the batch's offsets must not move past a refusal that is not on the broker)."""

    def __init__(self, options: dict[str, object], retry_s: float = 2.0) -> None:
        """`options`: the audit service's own client options (KafkaAccess.client_options())."""
        self._options, self._retry_s = options, retry_s
        self._producer: AIOKafkaProducer | None = None

    async def send(self, refusals: Sequence[Refusal]) -> None:
        while refusals:
            try:
                await self._send_all(refusals)
                return
            except KafkaError as error:
                log.warning("dead letters not acknowledged, retrying", extra={"error": type(error).__name__})
                await asyncio.sleep(self._retry_s)

    async def _send_all(self, refusals: Sequence[Refusal]) -> None:
        if self._producer is None:
            self._producer = await started_producer(self._options)
        sent = []
        for refusal in refusals:
            key, value, headers = dead_letter(refusal)
            sent.append(await self._producer.send(topics.DEAD_LETTERS, value, key=key, headers=headers))
        await asyncio.gather(*sent)

    async def running(self) -> AsyncIterator[None]:
        """For the app's lifespan: closes the producer at the end."""
        try:
            yield
        finally:
            if self._producer is not None:
                await self._producer.stop()
