"""Sending the router's messages: straight to the app's producer, not through `Topic.send`.

faust's `Topic.send` wraps every message in futures and callbacks of its own; for twenty messages per
event that cost the router more than the sharing decision. Nothing is lost by going around it: faust
flushes the producer before it commits an offset, so an event counts as done only once everything sent
for it was acknowledged (acks=all); a send that fails after the producer's retries is logged (ids only).
"""

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from shared import topics
from shared.events import Envelope
from shared.record_signing import SignedRecord

log = logging.getLogger(__name__)


class Producer(Protocol):
    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None, timestamp: float | None,
        headers: Any,
    ) -> Awaitable[Any]: ...  # fmt: skip


async def publish(producer: Producer, event: Envelope, deliveries: list[bytes], audit: list[SignedRecord]) -> None:
    """Queue the messages for one event, keyed by its case (one case's messages stay in order); audit
    records with their signature headers."""
    key = event.case_id.encode()
    messages = [*((topics.DELIVERIES, value, None) for value in deliveries), *((topics.AUDIT, *r) for r in audit)]
    for topic, value, headers in messages:
        sent = await producer.send(topic, key, value, None, None, headers)  # queued; acknowledged later
        asyncio.ensure_future(sent).add_done_callback(_log_failure)


def _log_failure(sent: "asyncio.Future[Any]") -> None:
    if not sent.cancelled() and sent.exception() is not None:
        log.error("a message could not be published", extra={"error": type(sent.exception()).__name__})
