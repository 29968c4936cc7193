"""Notifier: turns each delivery into exactly one email (plain text + HTML, from Jinja2 files) over
SMTP, walking the delivery state machine (states.py) with an audit record and a metric per transition.
A durable ledger (Faust table) makes redelivery, restarts and replays send nothing twice. A delivery it
gives up on goes to the dead-letter topic whole (headers: source, error) so an operator can replay it.

Run: `python -m services.notifier` (settings: DRR_KAFKA_BOOTSTRAP, DRR_NOTIFIER_PORT,
DRR_NOTIFIER_SMTP_HOST, DRR_NOTIFIER_SMTP_PORT, DRR_NOTIFIER_DELIVERY_MODE, ...).
Alert on `drr_notifier_dead_letters_total`.
"""

import logging

import faust

from services.notifier import metrics
from services.notifier.acknowledging import wire_acks
from services.notifier.adapters import Mailer
from services.notifier.bootstrap import NotifierSettings, mailer_for
from services.notifier.clock import Clock, SystemClock
from services.notifier.delivering import RetryPolicy, deliver, gave_up
from services.notifier.escalating import wire_escalation
from services.notifier.guidance import load_guidance
from services.notifier.ledger import EmailLedger, Seen
from services.notifier.patterns import wire_case_events
from services.notifier.pausing import wire_pauses
from services.notifier.policy import Priority, load_policy
from services.notifier.rendering import Renderer
from services.notifier.states import DeliveryState
from shared import topics
from shared.audit_records import AuditRecord
from shared.deliveries import Delivery
from shared.faust_app import make_app, parse_or_dead_letter, raw_topic

POSSIBLE_DUPLICATE = {"X-DRR-Possible-Duplicate": "yes"}
log = logging.getLogger(__name__)


def build(
    settings: NotifierSettings,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
    ledger: EmailLedger | None = None,
) -> faust.App:
    """The app; `mailer`, `clock` and `ledger` replace the SMTP adapter, the system clock and the
    Kafka-backed ledger (broker-free tests pass fakes)."""
    app = make_app(topics.NOTIFIER_APP_ID, settings)
    metrics.zero_series()
    time = clock or SystemClock()
    deliveries, audit = raw_topic(app, topics.DELIVERIES), raw_topic(app, topics.AUDIT)
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    send_with = mailer or mailer_for(settings)
    renderer = Renderer(settings.templates_dir, load_guidance(settings.templates_dir / "guidance.yaml"))
    policy = load_policy(settings.policy_path)
    # no value_type: faust would restore values with `dict.from_data` (which does not exist); plain JSON
    table = app.Table(topics.NOTIFIER_EMAILS_TABLE, partitions=topics.PARTITIONS, key_type=str)
    ledger = ledger or EmailLedger(table, app.producer.flush, time)
    retry = RetryPolicy(
        settings.max_attempts, settings.retry_base_s, settings.retry_max_delay_s, settings.retry_max_age_s
    )
    ack_url = wire_acks(app, settings, time, audit)
    escalator = wire_escalation(
        app,
        policy.escalation,
        time,
        audit,
        unit_s=settings.escalation_unit_s,
        sweep_s=settings.escalation_sweep_s,
        owners=policy.ownership,
    )
    pauses = wire_pauses(app, policy.pauses, time, escalator)  # pauses.active_until(case_id, now)
    wire_case_events(app, policy, time, escalator, pauses)
    delivered = DeliveryState.DELIVERED_TEST if settings.delivery_mode == "test" else DeliveryState.DELIVERED

    async def publish(delivery: Delivery, records: list[AuditRecord]) -> None:
        key = delivery.case_id.encode()
        dead = gave_up(records)
        if dead is not None:  # before the audit record that says it was dead-lettered
            headers = [("source", topics.DELIVERIES.encode()), ("error", str(dead.outcome).encode())]
            await dead_letters.send(key=key, value=delivery.model_dump_json().encode(), headers=headers)
        for record in records:
            await audit.send(key=key, value=record.model_dump_json().encode())
        metrics.count(delivery.event_type, records)

    async def handle(delivery: Delivery, priority: Priority | None = None) -> None:
        seen = ledger.seen(delivery)
        if seen is Seen.DONE:
            metrics.DUPLICATES.inc()
            return
        await ledger.mark(delivery, DeliveryState.SENDING)  # durable before the email leaves
        if seen is Seen.INTERRUPTED:
            metrics.RESENT_UNCERTAIN.inc()
        priority = priority or policy.priority_of(delivery.event_type, delivery.payload)
        records = await deliver(
            delivery,
            lambda: renderer.render(delivery, priority, ack_url(delivery, priority)),
            send_with,
            retry=retry,
            clock=time,
            delivered=delivered,
            headers=POSSIBLE_DUPLICATE if seen is Seen.INTERRUPTED else None,
        )
        escalator.watch(delivery, sent=not gave_up(records))  # before the final mark: one flush for both
        await ledger.mark(delivery, DeliveryState.DEAD_LETTERED if gave_up(records) else delivered)
        await publish(delivery, records)
        log.info("delivery handled", extra={"delivery_id": str(delivery.delivery_id), "outcome": records[-1].outcome})

    escalator.send = handle

    # Emails are independent of each other: several in flight at once hide SMTP round trips.
    # Faust commits an offset only once every message before it has been handled.
    @app.agent(deliveries, concurrency=settings.concurrency)
    async def notify(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            delivery = await parse_or_dead_letter(Delivery.model_validate_json, raw, dead_letters, topics.DELIVERIES)
            if delivery is None:
                metrics.DEAD_LETTERS.labels("unparseable").inc()
                continue
            await handle(delivery)

    return app
