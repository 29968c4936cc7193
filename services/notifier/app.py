"""Notifier: turns each delivery into exactly one email (plain text + HTML, from Jinja2 files) over
SMTP, at once (critical and high), or held back and released as one email with others (normal after a
settle window, low in a daily digest, non-critical while the case is paused: holding.py). Every email
takes one path (sending.py): a durable ledger (Faust table) that makes redelivery, restarts and replays
send nothing twice, the delivery state machine (states.py) with an audit record and a metric per
transition, and the dead-letter topic for what it gives up on. Several deliveries are under way at
once, one per case, acknowledged in the order they came (in_order.py); a handler that fails unexpectedly
stops the worker, so what it had not committed is handled again after its restart.

Run: `python -m services.notifier` (settings: DRR_KAFKA_BOOTSTRAP, DRR_NOTIFIER_PORT,
DRR_NOTIFIER_SMTP_HOST, DRR_NOTIFIER_SMTP_PORT, DRR_NOTIFIER_DELIVERY_MODE, ...).
Alert on `drr_notifier_dead_letters_total`.
"""

import asyncio
import logging
from functools import partial

import faust

from services.notifier import metrics
from services.notifier.acknowledging.endpoint import action_link, wire_acks
from services.notifier.bootstrap import NotifierSettings, mailer_for
from services.notifier.case_events import wire_case_events
from services.notifier.clock import Clock, SystemClock
from services.notifier.email.guidance import load_guidance
from services.notifier.email.rendering import Renderer
from services.notifier.email.smtp import Mailer
from services.notifier.holding.batches import wire_holds
from services.notifier.policy import load_policy
from services.notifier.priorities import original_of
from services.notifier.schedule.pausing import wire_pauses
from services.notifier.schedule.scheduler import wire_escalation
from services.notifier.sending.attempts import SERVICE, RetryPolicy
from services.notifier.sending.in_order import InOrder
from services.notifier.sending.ledger import EmailLedger, Seen
from services.notifier.sending.sender import Sending
from services.notifier.sending.states import DeliveryState
from shared import topics
from shared.dead_letters import DATA_ERRORS, parse_or_dead_letter
from shared.deliveries import Delivery
from shared.faust_app import make_app, raw_topic
from shared.record_signing import RecordSigner, SigningAuditTopic

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
    deliveries = raw_topic(app, topics.DELIVERIES)
    audit = SigningAuditTopic(raw_topic(app, topics.AUDIT), RecordSigner.from_file(SERVICE, settings.record_key_path))
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)
    send_with = mailer or mailer_for(settings)
    guidance = load_guidance(settings.templates_dir / "guidance.yaml")
    renderer = Renderer(settings.templates_dir, guidance, action_link(settings, time))
    policy = load_policy(settings.policy_path)
    # no value_type: faust would restore values with `dict.from_data` (which does not exist); plain JSON
    table = app.Table(topics.NOTIFIER_EMAILS_TABLE, partitions=topics.PARTITIONS, key_type=str)
    ledger = ledger or EmailLedger(table, time)
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
    pauses = wire_pauses(app, policy.pauses, time, escalator)
    wire_case_events(app, policy, time, escalator, pauses)
    holds = wire_holds(app, policy.holding, time, audit, sweep_s=settings.escalation_sweep_s, pauses=pauses)
    delivered = DeliveryState.DELIVERED_TEST if settings.delivery_mode == "test" else DeliveryState.DELIVERED
    sending = Sending(
        ledger, renderer, send_with, retry, time, delivered, ack_url, escalator.watch, audit, dead_letters
    )

    async def handle(delivery: Delivery) -> None:
        """A delivery from the router: sent now, or held for a grouped email, a digest or a pause's end."""
        if ledger.seen(delivery) is Seen.DONE:
            metrics.DUPLICATES.inc()
            return
        # a retraction or correction is as urgent as what it follows up (priorities.original_of)
        own = policy.priority_of(delivery.event_type, delivery.payload)
        priority = ledger.priority_of(original_of(delivery)) or own
        place = holds.placement(delivery, priority)
        if place is None:
            await sending.send(delivery, priority)
            return
        await holds.hold(delivery, priority, place)  # on the broker before the ledger says held
        await ledger.mark(delivery, DeliveryState.HELD, priority)

    escalator.send = holds.send = sending.send

    in_order = InOrder(settings.in_flight, on_failure=lambda error: asyncio.ensure_future(app.crash(error)))
    metrics.UNDER_WAY.set_function(lambda: in_order.under_way)

    async def take(raw: bytes) -> None:
        delivery = await parse_or_dead_letter(Delivery.model_validate_json, raw, dead_letters, topics.DELIVERIES)
        if delivery is None:
            metrics.DEAD_LETTERS.labels("unparseable").inc()
            return
        try:
            await handle(delivery)
        except DATA_ERRORS:  # it parsed, yet something in it cannot be used: that delivery alone is given up on
            await sending.give_up(delivery)
        # anything else (the broker) stops the worker (in_order.py): handled again after the restart

    # One actor; several deliveries under way within it, one per case, acknowledged in order (in_order.py)
    @app.agent(deliveries)
    async def notify(stream: faust.StreamT[bytes]) -> None:
        try:
            async for event in stream.noack().events():  # type: ignore[attr-defined]  # Stream has it, StreamT not
                await in_order.start(event, event.key, partial(take, event.value))
        finally:
            await in_order.close(timeout_s=settings.smtp_timeout_s)

    return app
