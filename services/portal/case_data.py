"""The portal's side of Kafka, in one object the routes use: the Book it follows (feeds.py), the case keys
that open a practitioner's sealed fields for the page that shows them, and the one thing it writes, an
acknowledgement on drr.notifier-acks (shared/acks.py), the path the email's link takes too.

Built from settings with the real broker (`connect`), or around a Book and keys in memory for the unit tests
of the pages (`send` then records what would have been published).
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from services.portal.book import Book
from services.portal.bootstrap import PortalSettings
from services.portal.feeds import Feeds
from shared import topics
from shared.acks import Outcome, ack_message, seal_comment
from shared.case_crypto import CaseKeys, case_keys
from shared.deliveries import Delivery
from shared.digests import DigestKey
from shared.kafka import durable_producer
from shared.sealing import is_sealed, open_payload

Send = Callable[[bytes, bytes], Awaitable[None]]
"""(key, value) onto drr.notifier-acks, returning once the broker has it."""


class CaseData:
    def __init__(
        self,
        book: Book,
        keys: CaseKeys,
        send: Send | None = None,
        feeds: Feeds | None = None,
        producer_options: dict[str, Any] | None = None,
    ) -> None:
        """`send` (tests) or `producer_options` (the broker: the producer is made in `start`, inside the
        event loop, as aiokafka requires)."""
        self.book, self.keys, self._feeds, self._options = book, keys, feeds, producer_options
        self._send, self._producer = send, None

    @classmethod
    def connect(cls, settings: PortalSettings) -> "CaseData":
        options = settings.kafka_access().client_options()
        keys = case_keys(options, DigestKey.from_file(settings.digest_key_path), settings.kek_uri, writes=False)
        book = Book()
        return cls(book, keys, feeds=Feeds(options, book), producer_options=options)

    async def start(self) -> None:
        if self._options is not None:
            producer = self._producer = durable_producer(self._options)
            await producer.start()

            async def send(key: bytes, value: bytes) -> None:
                await producer.send_and_wait(topics.ACKS, value, key=key)

            self._send = send
        if self._feeds is not None:
            await self._feeds.start()
        await self.keys.started()

    async def stop(self) -> None:
        if self._feeds is not None:
            await self._feeds.stop()
        if self._producer is not None:
            await self._producer.stop()
        await self.keys.stop()

    @property
    def ready(self) -> bool:
        return self._feeds is None or self._feeds.ready.is_set()

    async def news(self, since: int, timeout_s: float) -> int:
        if self._feeds is None:
            await asyncio.sleep(min(timeout_s, 0.05))
            return self.book.version
        return await self._feeds.news(since, timeout_s)

    async def opened(self, deliveries: Iterable[Delivery]) -> dict[str, dict[str, object]]:
        """Each delivery's payload with its sealed fields opened; a delivery of an erased case is left out."""
        payloads = {}
        for delivery in deliveries:
            if not any(is_sealed(v) for v in delivery.payload.values()):
                payloads[str(delivery.delivery_id)] = delivery.payload
                continue
            assert self.keys.data is not None
            cipher = await self.keys.data.cipher(delivery.case_id)
            if cipher is not None:
                opened = open_payload(delivery.event_type, str(delivery.event_id), delivery.payload, cipher)
                payloads[str(delivery.delivery_id)] = opened
        return payloads

    async def acknowledge(
        self,
        *,
        ack_id: str,
        case_id: str,
        recipient_id: str,
        outcome: Outcome,
        comment: str,
        now: datetime,
        wait_s: float,
    ) -> bool:
        """Publish the acknowledgement (the comment sealed); True once the notifier has recorded it (it
        stops the alert's escalation), False when `wait_s` passed first: it is durable either way. Raises
        CaseErased for an erased case."""
        sealed = await seal_comment(self.keys, case_id, ack_id, comment) if comment else None
        message = ack_message(
            ack_id=ack_id,
            case_id=case_id,
            recipient_id=recipient_id,
            acknowledged_at=now.isoformat(),
            outcome=outcome,
            comment=sealed,
            via="portal",
        )
        assert self._send is not None, "acknowledge before start"
        await self._send(case_id.encode(), json.dumps(message).encode())
        try:
            async with asyncio.timeout(wait_s):
                while ack_id not in self.book.acks:
                    await self.news(self.book.version, wait_s)
        except TimeoutError:
            return False
        return True
