"""The one path every email takes, whatever asked for it (a delivery, a released batch, an escalation, a
reminder): the idempotency ledger, then the delivery state machine (states.py): created -> sending ->
delivered, retrying temporary failures with backoff and jitter (capped by attempts and by age), stopping at
permanent and technical ones; then the chase watch (an alert's escalation), the audit records (one per
transition), and the dead-letter topic for what it gives up on (whole, with headers source and error, so an
operator can replay).

Audit records name the recipient by id, role and agency, never by address, and carry no email text.
Record ids depend only on (kind, delivery id, attempt), so a replayed delivery yields the same ids.
"""

import asyncio
import logging
import random
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.notifier import metrics
from services.notifier.clock import Clock
from services.notifier.email import (
    Email,
    Mailer,
    MailError,
    MessageError,
    PermanentMailError,
    Renderer,
    UncertainMailError,
)
from services.notifier.ports import Topic
from services.notifier.priorities import Priority
from services.notifier.sending.ledger import EmailLedger, Seen
from services.notifier.states import DeliveryState, advance
from shared import topics
from shared.audit_records import AuditKind, AuditRecord, delivery_record, record_id_for
from shared.deliveries import Delivery
from shared.failures import where
from shared.sealing import CannotOpen

POSSIBLE_DUPLICATE = {"X-DRR-Possible-Duplicate": "yes"}
SERVICE = "notifier"
S = DeliveryState
KINDS = {
    S.CREATED: AuditKind.EMAIL_CREATED,
    S.SENDING: AuditKind.EMAIL_SENDING,
    S.DELIVERED: AuditKind.EMAIL_SENT,
    S.DELIVERED_TEST: AuditKind.EMAIL_SENT,
    S.TEMPORARY_FAILURE: AuditKind.EMAIL_FAILED,
    S.PERMANENT_FAILURE: AuditKind.EMAIL_FAILED,
    S.TECHNICAL_FAILURE: AuditKind.EMAIL_FAILED,
    S.DEAD_LETTERED: AuditKind.EMAIL_DEAD_LETTERED,
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay_s: float
    max_delay_s: float = 30.0
    max_age_s: float = 3600.0


@dataclass
class Attempts:
    """One delivery's walk through the machine, recording a transition per step."""

    delivery: Delivery
    state: DeliveryState = S.CREATED
    attempt: int = 0

    def __post_init__(self) -> None:
        self.records = [audit_record(self.delivery, S.CREATED, 0, S.CREATED.value)]

    def to(self, state: DeliveryState, outcome: str | None = None) -> None:
        self.state = advance(self.state, state)
        self.records.append(audit_record(self.delivery, state, self.attempt, outcome or state.value))


async def deliver(
    delivery: Delivery,
    compose: Callable[[], Email],
    mailer: Mailer,
    *,
    retry: RetryPolicy,
    clock: Clock,
    delivered: DeliveryState = S.DELIVERED,
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
) -> list[AuditRecord]:
    """The transitions, ending in `delivered` (DELIVERED_TEST in test mode) or `dead_lettered`."""
    walk, started = Attempts(delivery), clock.now()
    try:
        email = compose()
    except Exception:  # a template or data bug: ours, not the server's; retrying cannot help
        return _technical_failure(walk, "rendering failed")
    while True:
        walk.attempt += 1
        walk.to(S.SENDING)
        try:
            await _send(delivery, email, mailer, headers or {})
        except MessageError:
            return _technical_failure(walk, "composing the message failed")
        except MailError as error:
            _log_failure(delivery, walk.attempt, error)
            if isinstance(error, PermanentMailError):
                walk.to(S.PERMANENT_FAILURE)
                walk.to(S.DEAD_LETTERED, "permanent_failure")
                return walk.records
            walk.to(S.TEMPORARY_FAILURE)
            if isinstance(error, UncertainMailError):  # the server may have it: the next try may repeat it
                headers = {**(headers or {}), **POSSIBLE_DUPLICATE}
                metrics.RESENT_UNCERTAIN.inc()
            delay = backoff(walk.attempt, retry.base_delay_s, jitter(), retry.max_delay_s)
            give_up = _give_up_reason(walk.attempt, (clock.now() - started).total_seconds() + delay, retry)
            if give_up:
                walk.to(S.DEAD_LETTERED, give_up)
                return walk.records
            await sleep(delay)
        else:
            walk.to(delivered)
            return walk.records


def _failure() -> dict[str, str]:
    error = sys.exception()
    return {"error": type(error).__name__, "at": where(error) if error else "?"}


def _technical_failure(walk: Attempts, what: str) -> list[AuditRecord]:
    """Ours, not the server's or the recipient's: this delivery is given up on, nothing else stops."""
    log.error(what, extra={"delivery_id": str(walk.delivery.delivery_id), **_failure()})
    walk.to(S.TECHNICAL_FAILURE)
    walk.to(S.DEAD_LETTERED, "technical_failure")
    return walk.records


def technical_failure(delivery: Delivery) -> list[AuditRecord]:
    """The transitions of a delivery that failed before any send (called while handling the error)."""
    return _technical_failure(Attempts(delivery), "handling the delivery failed")


def _give_up_reason(attempt: int, age_at_next_try_s: float, retry: RetryPolicy) -> str | None:
    if attempt >= retry.max_attempts:
        return "max_attempts_exhausted"
    if age_at_next_try_s > retry.max_age_s:
        return "max_age_exceeded"
    return None


def backoff(attempt: int, base_delay_s: float, jitter: float, max_delay_s: float = 30.0) -> float:
    """base × 2^(attempt-1), stretched by up to half again (jitter in [0, 1)) so that many deliveries
    failing together do not all retry in the same instant; never longer than `max_delay_s`."""
    return min(max_delay_s, base_delay_s * 2.0 ** (attempt - 1) * (1 + jitter / 2))


def gave_up(records: list[AuditRecord]) -> AuditRecord | None:
    """The dead-letter record, if the delivery was given up on."""
    return next((r for r in records if r.kind == AuditKind.EMAIL_DEAD_LETTERED), None)


async def _as_it_is(delivery: Delivery) -> Delivery:
    return delivery


def message_id(delivery: Delivery) -> str:
    """Derived from the delivery id, so a duplicate email is recognisable as one."""
    return f"<{delivery.delivery_id}@drr-notify>"


def trace_headers(delivery: Delivery) -> dict[str, str]:
    """What the e2e tests and operators search mailboxes by (kept to one line, as headers must be)."""
    case_id = " ".join(delivery.case_id.split())
    return {"X-DRR-Delivery-Id": str(delivery.delivery_id), "X-DRR-Case-Id": case_id}


async def _send(delivery: Delivery, email: Email, mailer: Mailer, headers: Mapping[str, str]) -> None:
    await mailer.send(
        to=str(delivery.recipient.email),
        subject=email.subject,
        body=email.body,
        html=email.html,
        message_id=message_id(delivery),
        headers={**trace_headers(delivery), **headers},
    )


def _log_failure(delivery: Delivery, attempt: int, error: MailError) -> None:
    log.warning(
        "send attempt failed",
        extra={"delivery_id": str(delivery.delivery_id), "attempt": attempt, "reason": error.reason},
    )


def audit_record(delivery: Delivery, state: DeliveryState, attempt: int, outcome: str) -> AuditRecord:
    """Sent, or given up on, once per delivery whichever attempt it took; every other step is per attempt."""
    kind = KINDS[state]
    final = kind in (AuditKind.EMAIL_SENT, AuditKind.EMAIL_DEAD_LETTERED)
    facts = (delivery.delivery_id,) if final else (delivery.delivery_id, attempt, state.value)
    return delivery_record(delivery, kind, record_id_for(kind, *facts), SERVICE, outcome=outcome)


@dataclass
class Sender:
    ledger: EmailLedger
    renderer: Renderer
    mailer: Mailer
    retry: RetryPolicy
    clock: Clock
    delivered: DeliveryState
    """DELIVERED, or DELIVERED_TEST in test mode."""
    ack_url: Callable[[Delivery, Priority], str | None]
    watch: Callable[..., Awaitable[Any] | None]
    """AlertWatch.watch: called once an alert was handled; its write is awaited before the final ledger mark."""
    audit: Topic
    dead_letters: Topic
    opened: Callable[[Delivery], Awaitable[Delivery]] = field(default=lambda delivery: _as_it_is(delivery))
    """Opener.opened (email/opening.py): the delivery's sealed fields in clear, for this one email only."""

    async def send(self, delivery: Delivery, priority: Priority) -> DeliveryState:
        """The email's final state (the recorded one if it was handled before: nothing is sent twice)."""
        seen = self.ledger.seen(delivery)
        if seen is Seen.DONE:
            metrics.DUPLICATES.inc()
            return self.ledger.state(delivery) or self.delivered
        try:
            clear = await self.opened(delivery)
        except CannotOpen:  # the case was erased while this waited: nothing of it may go out
            await self.give_up(delivery)
            return DeliveryState.DEAD_LETTERED
        await self.ledger.mark(delivery, DeliveryState.SENDING, priority)  # durable before the email leaves
        if seen is Seen.INTERRUPTED:
            metrics.RESENT_UNCERTAIN.inc()
        records = await deliver(
            delivery,
            lambda: self.renderer.render(clear, priority, self.ack_url(delivery, priority)),
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
