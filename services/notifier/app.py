"""Notifier: turns each delivery into one plain-text email over SMTP, retrying transient failures,
and publishes an audit record per outcome. A delivery it gives up on goes to the dead-letter topic
whole (headers: source, error) so an operator can replay it; nothing is dropped.

Run: `python -m services.notifier` (settings: DRR_KAFKA_BOOTSTRAP, DRR_NOTIFIER_PORT,
DRR_NOTIFIER_SMTP_HOST, DRR_NOTIFIER_SMTP_PORT, ...). Alert on `drr_notifier_dead_letters_total`.
"""

import logging

import faust
from prometheus_client import Counter

from services.notifier.adapters import Mailer
from services.notifier.bootstrap import NotifierSettings, smtp_mailer
from services.notifier.delivering import deliver, gave_up
from shared import topics
from shared.audit_records import AuditKind, AuditRecord
from shared.deliveries import Delivery
from shared.faust_app import make_app, parse_or_dead_letter, raw_topic

SENT = Counter("drr_notifier_emails_sent", "Emails the SMTP server accepted", ["event_type"])
FAILED = Counter("drr_notifier_send_failures", "Failed send attempts", ["outcome"])
DEAD_LETTERS = Counter("drr_notifier_dead_letters", "Deliveries given up on and dead-lettered", ["reason"])
log = logging.getLogger(__name__)


def build(settings: NotifierSettings, mailer: Mailer | None = None) -> faust.App:
    """The app; `mailer` replaces the SMTP adapter (tests pass a fake)."""
    app = make_app(topics.NOTIFIER_APP_ID, settings)
    _zero_series()
    deliveries = raw_topic(app, topics.DELIVERIES)
    audit = raw_topic(app, topics.AUDIT)
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    send_with = mailer or smtp_mailer(settings)
    parse = Delivery.model_validate_json

    async def publish(delivery: Delivery, records: list[AuditRecord]) -> None:
        key = delivery.case_id.encode()
        dead = gave_up(records)
        if dead is not None:  # before the audit record that says it was dead-lettered
            headers = [("source", topics.DELIVERIES.encode()), ("error", str(dead.outcome).encode())]
            await dead_letters.send(key=key, value=delivery.model_dump_json().encode(), headers=headers)
        for record in records:
            await audit.send(key=key, value=record.model_dump_json().encode())
        count(delivery, records)

    # Emails are independent of each other: several in flight at once hide SMTP round trips.
    # Faust commits an offset only once every message before it has been handled.
    @app.agent(deliveries, concurrency=settings.concurrency)
    async def notify(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            delivery = await parse_or_dead_letter(parse, raw, dead_letters, topics.DELIVERIES)
            if delivery is None:
                DEAD_LETTERS.labels("unparseable").inc()
                continue
            records = await deliver(
                delivery, send_with, max_attempts=settings.max_attempts, base_delay_s=settings.retry_base_s
            )
            await publish(delivery, records)

    return app


def _zero_series() -> None:
    """Create the failure series at 0 from start-up, so an alert on them never sees "no data"."""
    for outcome in ("temporary_failure", "permanent_failure"):
        FAILED.labels(outcome)
    for reason in ("permanent_failure", "max_attempts_exhausted", "unparseable"):
        DEAD_LETTERS.labels(reason)


def count(delivery: Delivery, records: list[AuditRecord]) -> None:
    for record in records:
        if record.kind == AuditKind.EMAIL_SENT:
            SENT.labels(delivery.event_type).inc()
        elif record.kind == AuditKind.EMAIL_FAILED:
            FAILED.labels(record.outcome).inc()
        elif record.kind == AuditKind.EMAIL_DEAD_LETTERED:
            DEAD_LETTERS.labels(record.outcome).inc()
    attempts = sum(r.kind != AuditKind.EMAIL_DEAD_LETTERED for r in records)
    log.info(
        "delivery handled",
        extra={"delivery_id": str(delivery.delivery_id), "outcome": records[-1].outcome, "attempts": attempts},
    )
