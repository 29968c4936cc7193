"""Sending one delivery: retries with backoff on transient errors, stops at a permanent one, and
returns the audit records of what happened (the caller publishes them).

Audit records name the recipient by id, role and agency, never by address, and carry no email text.
Record ids depend only on (kind, delivery id, attempt), so a replayed delivery yields the same ids.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from services.notifier.adapters import Mailer, MailError, PermanentMailError
from services.notifier.templates import Email, render
from shared.audit_records import AuditKind, AuditRecord, delivery_record, record_id_for
from shared.deliveries import Delivery

SERVICE = "notifier"
MAX_DELAY_S = 30.0
"""No single wait longer than this, however many attempts are allowed."""
SENT, FAILED, DEAD = AuditKind.EMAIL_SENT, AuditKind.EMAIL_FAILED, AuditKind.EMAIL_DEAD_LETTERED
log = logging.getLogger(__name__)


async def deliver(
    delivery: Delivery,
    mailer: Mailer,
    *,
    max_attempts: int,
    base_delay_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
) -> list[AuditRecord]:
    """EMAIL_FAILED per failed attempt, then EMAIL_SENT or EMAIL_DEAD_LETTERED (always exactly one)."""
    email = render(delivery)
    records: list[AuditRecord] = []
    for attempt in range(1, max_attempts + 1):
        try:
            await _send(delivery, email, mailer)
        except MailError as error:
            permanent = isinstance(error, PermanentMailError)
            records.append(audit_record(delivery, FAILED, attempt, _failure(permanent)))
            _log_failure(delivery, attempt, error)
            if permanent:
                return [*records, audit_record(delivery, DEAD, attempt, "permanent_failure")]
            if attempt < max_attempts:
                await sleep(backoff(attempt, base_delay_s, jitter()))
        else:
            return [*records, audit_record(delivery, SENT, attempt, "delivered")]
    return [*records, audit_record(delivery, DEAD, max_attempts, "max_attempts_exhausted")]


def backoff(attempt: int, base_delay_s: float, jitter: float) -> float:
    """base × 2^(attempt-1), stretched by up to half again (jitter in [0, 1)) so that many deliveries
    failing together do not all retry in the same instant; still strictly growing per attempt."""
    return min(MAX_DELAY_S, base_delay_s * 2.0 ** (attempt - 1) * (1 + jitter / 2))


def gave_up(records: list[AuditRecord]) -> AuditRecord | None:
    """The dead-letter record, if the delivery was given up on."""
    return next((r for r in records if r.kind == DEAD), None)


def message_id(delivery: Delivery) -> str:
    """Derived from the delivery id, so a duplicate email is recognisable as one."""
    return f"<{delivery.delivery_id}@drr-notify>"


def trace_headers(delivery: Delivery) -> dict[str, str]:
    """What the e2e tests and operators search mailboxes by (kept to one line, as headers must be)."""
    case_id = " ".join(delivery.case_id.split())
    return {"X-DRR-Delivery-Id": str(delivery.delivery_id), "X-DRR-Case-Id": case_id}


async def _send(delivery: Delivery, email: Email, mailer: Mailer) -> None:
    await mailer.send(
        to=str(delivery.recipient.email),
        subject=email.subject,
        body=email.body,
        message_id=message_id(delivery),
        headers=trace_headers(delivery),
    )


def _failure(permanent: bool) -> str:
    return "permanent_failure" if permanent else "temporary_failure"


def _log_failure(delivery: Delivery, attempt: int, error: MailError) -> None:
    log.warning(
        "send attempt failed",
        extra={"delivery_id": str(delivery.delivery_id), "attempt": attempt, "reason": error.reason},
    )


def audit_record(delivery: Delivery, kind: AuditKind, attempt: int, outcome: str) -> AuditRecord:
    """A delivery is sent or given up on once, whichever attempt it took; each failed attempt is its own fact."""
    facts = (delivery.delivery_id, attempt) if kind == FAILED else (delivery.delivery_id,)
    return delivery_record(delivery, kind, record_id_for(kind, *facts), SERVICE, outcome=outcome)
