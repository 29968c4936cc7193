"""The one path every email takes, whatever asked for it (a delivery, a released batch, an escalation, a
reminder): the idempotency ledger, the state machine, the escalation watch, the audit records, and the
dead-letter topic for what it gives up on (whole, with headers source and error, so an operator can replay)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.notifier import metrics
from services.notifier.clock import Clock
from services.notifier.email.rendering import Renderer
from services.notifier.email.smtp import Mailer
from services.notifier.priorities import Priority
from services.notifier.schedule.commands import Topic
from services.notifier.sending.attempts import RetryPolicy, deliver, gave_up, technical_failure
from services.notifier.sending.ledger import EmailLedger, Seen
from services.notifier.sending.states import DeliveryState
from shared import topics
from shared.audit_records import AuditRecord
from shared.deliveries import Delivery

POSSIBLE_DUPLICATE = {"X-DRR-Possible-Duplicate": "yes"}
log = logging.getLogger(__name__)


@dataclass
class Sending:
    ledger: EmailLedger
    renderer: Renderer
    mailer: Mailer
    retry: RetryPolicy
    clock: Clock
    delivered: DeliveryState
    """DELIVERED, or DELIVERED_TEST in test mode."""
    ack_url: Callable[[Delivery, Priority], str | None]
    watch: Callable[..., Awaitable[Any] | None]
    """The escalator's: called once an alert was handled; its write is awaited before the final ledger mark."""
    audit: Topic
    dead_letters: Topic

    async def send(self, delivery: Delivery, priority: Priority) -> DeliveryState:
        """The email's final state (the recorded one if it was handled before: nothing is sent twice)."""
        seen = self.ledger.seen(delivery)
        if seen is Seen.DONE:
            metrics.DUPLICATES.inc()
            return self.ledger.state(delivery) or self.delivered
        await self.ledger.mark(delivery, DeliveryState.SENDING, priority)  # durable before the email leaves
        if seen is Seen.INTERRUPTED:
            metrics.RESENT_UNCERTAIN.inc()
        records = await deliver(
            delivery,
            lambda: self.renderer.render(delivery, priority, self.ack_url(delivery, priority)),
            self.mailer,
            retry=self.retry,
            clock=self.clock,
            delivered=self.delivered,
            headers=POSSIBLE_DUPLICATE if seen is Seen.INTERRUPTED else None,
        )
        dead = gave_up(records)
        watched = self.watch(delivery, sent=dead is None)
        # on the broker before the final mark: a crash in between sends again (deduplicated), loses nothing
        await asyncio.gather(*await self.publish(delivery, records), *([watched] if watched else []))
        final = DeliveryState.DEAD_LETTERED if dead else self.delivered
        await self.ledger.mark(delivery, final, priority)
        log.info("delivery handled", extra={"delivery_id": str(delivery.delivery_id), "outcome": records[-1].outcome})
        return final

    async def give_up(self, delivery: Delivery) -> None:
        """A technical failure outside the send itself (a delivery that parsed but cannot be placed,
        prioritised or watched): dead-lettered and audited like any other, and never tried again."""
        records = technical_failure(delivery)
        await asyncio.gather(*await self.publish(delivery, records))
        await self.ledger.mark(delivery, DeliveryState.DEAD_LETTERED, None)
        log.info("delivery handled", extra={"delivery_id": str(delivery.delivery_id), "outcome": "technical_failure"})

    async def publish(self, delivery: Delivery, records: list[AuditRecord]) -> list[Awaitable[Any]]:
        """The dead letter (if given up on) and the audit records, sent; returns their acknowledgements."""
        key = delivery.case_id.encode()
        dead = gave_up(records)
        acked = []
        if dead is not None:  # before the audit record that says it was dead-lettered
            headers = [("source", topics.DELIVERIES.encode()), ("error", str(dead.outcome).encode())]
            value = delivery.model_dump_json().encode()
            acked.append(await self.dead_letters.send(key=key, value=value, headers=headers))
        for record in records:
            acked.append(await self.audit.send(key=key, value=record.model_dump_json().encode()))
        metrics.count(delivery.event_type, records)
        return acked
