"""Sending the router's messages: straight to the app's producer, not through `Topic.send`.

faust's `Topic.send` wraps every message in futures and callbacks of its own; for twenty messages per
event that cost the router more than the sharing decision. Nothing is lost by going around it: faust
flushes the producer before it commits an offset, so an event counts as done only once everything sent
for it was settled (acks=all), and a send that fails after the producer's retries is reported to
`on_failure` (the app's consumer then commits nothing more and stops the worker: the events are read
again after the restart, shared/faust_consumer.py).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from shared import topics
from shared.events import Envelope

log = logging.getLogger(__name__)


class Producer(Protocol):
    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None, timestamp: float | None,
        headers: Any,
    ) -> Awaitable[Any]: ...  # fmt: skip


OnFailure = Callable[[BaseException], object]


async def publish(
    producer: Producer, event: Envelope, deliveries: list[bytes], audit: list[bytes], on_failure: OnFailure
) -> None:
    """Queue the messages for one event, keyed by its case (one case's messages stay in order)."""
    key = event.case_id.encode()
    for topic, values in ((topics.DELIVERIES, deliveries), (topics.AUDIT, audit)):
        for value in values:
            sent = await producer.send(topic, key, value, None, None, None)  # queued; acknowledged later
            asyncio.ensure_future(sent).add_done_callback(lambda done: _settled(done, on_failure))


def _settled(sent: "asyncio.Future[Any]", on_failure: OnFailure) -> None:
    error = asyncio.CancelledError() if sent.cancelled() else sent.exception()
    if error is not None:
        log.error("a message could not be published", extra={"error": type(error).__name__})
        on_failure(error)
