"""The Kafka edge of intake: what leaves it. Accepted events sealed (their risk, clinical and intelligence
fields under the case's data key, each with its digest under the case's digest key: shared/sealing.py,
shared/case_crypto.py; the case's keys made first if this is its first event) and published, and the audit
records that say so. Only the clear event was validated; the sealed one is what leaves intake, and what its
`event.received` record digests.

`seal_fields` off (a benchmark's A/B switch only; refused in production) publishes the clear event, its
digests still under the case's key."""

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer

from shared import topics
from shared.audit_records import AuditRecord
from shared.case_crypto import CaseKeys
from shared.events import SEALED_EVENT_MODELS, Envelope
from shared.kafka import durable_producer
from shared.record_signing import Headers, RecordSigner
from shared.sealing import field_digests, seal_payload

log = logging.getLogger(__name__)


class Sealer:
    def __init__(self, keys: CaseKeys, seal_fields: bool = True) -> None:
        if keys.data is None:
            raise ValueError("intake seals: it needs the data keys")
        self.keys, self.seal_fields = keys, seal_fields

    async def sealed(self, event: Envelope) -> tuple[Envelope, dict[str, str]]:
        """(the event to publish, its field digests)."""
        assert self.keys.data is not None
        digests = await self.keys.digests.ensure(event.case_id)
        payload = event.payload.model_dump(mode="json")
        if self.seal_fields:
            cipher = await self.keys.data.ensure(event.case_id)
            payload = seal_payload(event.event_type, str(event.event_id), payload, cipher, digests)
        wire = {**event.model_dump(mode="json"), "payload": payload}
        return SEALED_EVENT_MODELS[event.event_type].model_validate(wire), field_digests(payload, digests)


class Publisher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def ready(self) -> bool: ...

    async def publish_events(self, events: Sequence[Envelope], *, timeout_s: float) -> list[BaseException | None]:
        """One entry per event: None once the broker acknowledged it, else why it is not known durable."""
        ...

    async def publish_audits(
        self, records: Sequence[AuditRecord], *, timeout_s: float
    ) -> list[BaseException | None]: ...


class KafkaPublisher:
    """Returns only once the broker has acknowledged (acks=all, idempotent producer). Audit records go
    signed by intake's key (shared/record_signing.py)."""

    def __init__(self, options: dict[str, object], signer: RecordSigner) -> None:
        """`options`: intake's own client options (KafkaAccess.client_options())."""
        self._options, self._signer = options, signer
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect (inside the event loop, as aiokafka requires); a failed attempt can be repeated."""
        producer = durable_producer(self._options)
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

    async def publish_events(self, events: Sequence[Envelope], *, timeout_s: float) -> list[BaseException | None]:
        messages = [(e.case_id, e.model_dump_json().encode(), None) for e in events]
        return await self._send_all(topics.EVENTS, messages, timeout_s)

    async def publish_audits(self, records: Sequence[AuditRecord], *, timeout_s: float) -> list[BaseException | None]:
        messages = [(r.case_id, *self._signer.signed(r)) for r in records]
        return await self._send_all(topics.AUDIT, messages, timeout_s)

    async def _send_all(
        self, topic: str, messages: Sequence[tuple[str | None, bytes, Headers | None]], timeout_s: float
    ) -> list[BaseException | None]:
        """Send every message (each send returns its delivery future at once), then wait for all the
        acknowledgements together: one round trip for a batch instead of one per message."""
        if self._producer is None:
            return [ConnectionError("not connected to Kafka yet")] * len(messages)
        futures: list[asyncio.Future[object]] = []
        try:
            async with asyncio.timeout(timeout_s):
                for key, value, headers in messages:
                    encoded = key.encode() if key else None
                    futures.append(await self._producer.send(topic, value, key=encoded, headers=headers))
                await asyncio.wait(futures)
        except Exception as exc:  # timeout, or a send refused outright: whatever was not acknowledged fails
            return [_outcome(f) for f in futures] + [exc] * (len(messages) - len(futures))
        return [_outcome(f) for f in futures]


async def keep_connecting(publisher: Publisher) -> None:
    """Until the broker is reachable: intake starts (and answers /healthz `connecting`) without it."""
    while not publisher.ready():
        try:
            await publisher.start()
        except Exception as exc:
            log.warning("kafka not reachable yet", extra={"error": type(exc).__name__})
            await asyncio.sleep(1)


def _outcome(future: asyncio.Future[object]) -> BaseException | None:
    if not future.done():
        return TimeoutError("no acknowledgement in time")
    if future.cancelled():
        return asyncio.CancelledError()
    return future.exception()
