"""Notifier: turns each delivery into exactly one email (plain text + HTML, from Jinja2 files) over
SMTP, at once (critical and high), or held back and released as one email with others (normal after a
settle window, low in a daily digest, non-critical while the case is paused: holding/). Every email
takes one path (sending/sender.py): a durable ledger (Faust table) that makes redelivery, restarts and
replays send nothing twice, the delivery state machine (states.py) with an audit record and a metric per
transition, and the dead-letter topic for what it gives up on. Several deliveries are under way at
once, one per case, acknowledged in the order they came (sending/in_order.py); a handler that fails
unexpectedly stops the worker, so what it had not committed is handled again after its restart.
Scheduled work (escalations, ownership, panel actions, reminders, pauses) runs on one scheduler (schedule/).

Run: `python -m services.notifier` (settings: DRR_KAFKA_BOOTSTRAP, DRR_NOTIFIER_PORT,
DRR_NOTIFIER_SMTP_HOST, DRR_NOTIFIER_SMTP_PORT, DRR_NOTIFIER_DELIVERY_MODE, ...).
Alert on `drr_notifier_dead_letters_total`.
"""

import asyncio
from functools import partial

import faust

from services.notifier import metrics
from services.notifier.acknowledging import action_link, wire_acks
from services.notifier.bootstrap import NotifierSettings, mailer_for
from services.notifier.case_events import wire_case_events
from services.notifier.clock import Clock, SystemClock
from services.notifier.command_topics import wire_commands
from services.notifier.compliance import PatternWatcher
from services.notifier.email import Mailer, Opener, Renderer, load_guidance
from services.notifier.erasing import wire_erasures
from services.notifier.holding import Holds
from services.notifier.policy import Policy, load_policy
from services.notifier.priorities import original_of
from services.notifier.schedule import AlertWatch, CaseTeams, Chasing, Forgetting, Pausing, Reminding, Scheduler, chases
from services.notifier.sending import SERVICE, EmailLedger, InOrder, RetryPolicy, Seen, Sender
from services.notifier.states import DeliveryState
from services.notifier.tables import Tables
from shared import topics
from shared.case_crypto import CaseKeys, case_keys
from shared.dead_letters import DATA_ERRORS, parse_or_dead_letter
from shared.deliveries import Delivery
from shared.digests import DigestKey
from shared.faust_app import follow_case_keys, make_app, raw_topic
from shared.record_signing import RecordSigner, SigningAuditTopic


def build(
    settings: NotifierSettings,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
    ledger: EmailLedger | None = None,
    keys: CaseKeys | None = None,
) -> faust.App:
    """The app, its parts made in the order they depend on each other; `mailer`, `clock`, `ledger` and `keys`
    replace the SMTP adapter, the system clock, the Kafka-backed ledger and the key topics (broker-free
    tests pass fakes)."""
    app = make_app(topics.NOTIFIER_APP_ID, settings)
    metrics.zero_series()
    keys = keys or case_keys(
        settings.kafka_access().client_options(), DigestKey.from_file(settings.digest_key_path), settings.kek_uri,
        writes=False,
    )  # fmt: skip
    follow_case_keys(app, keys)
    time, policy, tables = clock or SystemClock(), load_policy(settings.policy_path), Tables.of(app)
    audit = SigningAuditTopic(raw_topic(app, topics.AUDIT), RecordSigner.from_file(SERVICE, settings.record_key_path))
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)

    ack_url = wire_acks(app, settings, time, audit, tables.acks, keys)
    guidance = load_guidance(settings.templates_dir / "guidance.yaml")
    renderer = Renderer(settings.templates_dir, guidance, action_link(settings, time), settings.readers())
    ledger = ledger or EmailLedger(tables.emails, time)
    alerts = AlertWatch(tables.chases, policy.escalation, time, settings.escalation_unit_s)
    sender = Sender(
        ledger, renderer, mailer or mailer_for(settings), _retry(settings), time, _delivered(settings), ack_url,
        alerts.watch, audit, dead_letters, Opener(keys).opened,
    )  # fmt: skip

    teams = CaseTeams(tables.teams)
    pausing = Pausing(policy.pauses, time, tables.pauses, teams, sender.send)
    reminding = Reminding(policy.reminders, time, tables.reminders, teams, sender.send)
    chasing = Chasing(
        tables.chases, chases(policy.escalation, policy.ownership, tables.acks), teams, sender.send, audit, time,
        unit_s=settings.escalation_unit_s, owners=policy.ownership, panel=policy.panel_actions,
        at_hour_utc=policy.reminders.at_hour_utc,
    )  # fmt: skip
    schedule_commands, hold_commands = raw_topic(app, topics.ESCALATIONS), raw_topic(app, topics.HOLDS)
    forgetting = Forgetting(tables.emails, tables.acks, tables.chases)
    scheduler = Scheduler(schedule_commands, time, [pausing, reminding, chasing, forgetting])
    wire_commands(app, schedule_commands, scheduler.take, name="notifier.escalations", sweep=scheduler.sweep,
                  sweep_s=settings.escalation_sweep_s)  # fmt: skip
    watcher = PatternWatcher(policy.missed_appointments, time, tables.compliance, teams, sender.send)
    wire_case_events(app, teams, chasing, watcher, reminding, pausing)
    holds = Holds(policy.holding, time, tables.holds, (hold_commands, audit), pausing, sender.send)
    wire_commands(app, hold_commands, holds.on_command, name="notifier.holds", sweep=holds.sweep,
                  sweep_s=settings.escalation_sweep_s)  # fmt: skip

    wire_deliveries(app, settings, policy, ledger, holds, sender, dead_letters)
    wire_erasures(app, tables)
    return app


def wire_deliveries(
    app: faust.App,
    settings: NotifierSettings,
    policy: Policy,
    ledger: EmailLedger,
    holds: Holds,
    sender: Sender,
    dead_letters: faust.TopicT,
) -> None:
    """The one actor on drr.deliveries; several deliveries under way within it, one per case, acknowledged
    in order (sending/in_order.py)."""

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
            await sender.send(delivery, priority)
            return
        await holds.hold(delivery, priority, place)  # on the broker before the ledger says held
        await ledger.mark(delivery, DeliveryState.HELD, priority)

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
            await sender.give_up(delivery)
        # anything else (the broker) stops the worker (in_order.py): handled again after the restart

    @app.agent(raw_topic(app, topics.DELIVERIES))
    async def notify(stream: faust.StreamT[bytes]) -> None:
        try:
            async for event in stream.noack().events():  # type: ignore[attr-defined]  # Stream has it, StreamT not
                await in_order.start(event, event.key, partial(take, event.value))
        finally:
            await in_order.close(timeout_s=settings.smtp_timeout_s)


def _retry(settings: NotifierSettings) -> RetryPolicy:
    s = settings
    return RetryPolicy(s.max_attempts, s.retry_base_s, s.retry_max_delay_s, s.retry_max_age_s)


def _delivered(settings: NotifierSettings) -> DeliveryState:
    """DELIVERED, or DELIVERED_TEST in test mode (nothing leaves the machine)."""
    return DeliveryState.DELIVERED_TEST if settings.delivery_mode == "test" else DeliveryState.DELIVERED
