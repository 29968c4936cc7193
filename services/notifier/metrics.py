"""Notifier metrics. Labels are codes (event type, state, reason), never personal data."""

from prometheus_client import Counter, Gauge

from services.notifier.states import DeliveryState
from shared.audit_records import AuditRecord

SENT = Counter("drr_notifier_emails_sent", "Emails the SMTP server accepted (or test mode recorded)", ["event_type"])
FAILED = Counter("drr_notifier_send_failures", "Failed send attempts", ["outcome"])
DEAD_LETTERS = Counter("drr_notifier_dead_letters", "Deliveries given up on and dead-lettered", ["reason"])
TRANSITIONS = Counter("drr_notifier_transitions", "Delivery state machine transitions", ["state"])
DUPLICATES = Counter("drr_notifier_duplicates_skipped", "Deliveries already emailed, seen again (redelivery, replay)")
CASE_EVENTS = Counter("drr_notifier_case_events", "drr.events consumed by the notifier's own case-events consumer")
ACKS = Counter("drr_notifier_acknowledgements", "Alerts acknowledged through their link (first time each)")
HELD = Counter("drr_notifier_alerts_held", "Alerts held back for a grouped email, a digest or a pause's end", ["kind"])
UNDER_WAY = Gauge(
    "drr_notifier_deliveries_under_way",
    "Deliveries taken and not yet acknowledged (at most DRR_NOTIFIER_IN_FLIGHT; held there: SMTP is failing)",
)
RESENT_UNCERTAIN = Counter(
    "drr_notifier_possible_duplicates", "Deliveries interrupted mid-send and sent again marked as possible duplicates"
)


def zero_series() -> None:
    """Create the failure series at 0 from start-up, so an alert on them never sees "no data"."""
    for outcome in ("temporary_failure", "permanent_failure", "technical_failure"):
        FAILED.labels(outcome)
    for reason in ("permanent_failure", "max_attempts_exhausted", "max_age_exceeded", "technical_failure"):
        DEAD_LETTERS.labels(reason)
    DEAD_LETTERS.labels("unparseable")
    for state in DeliveryState:
        TRANSITIONS.labels(state.value)


def count(event_type: str, records: list[AuditRecord]) -> None:
    for record in records:
        kind = record.kind.value
        outcome = record.outcome or ""
        if kind == "email.sent":
            SENT.labels(event_type).inc()
        elif kind == "email.failed":
            FAILED.labels(outcome).inc()
        elif kind == "email.dead_lettered":
            DEAD_LETTERS.labels(outcome).inc()
        TRANSITIONS.labels(_state(record)).inc()


STATE_OF_KIND = {"email.created": "created", "email.sending": "sending", "email.dead_lettered": "dead_lettered"}


def _state(record: AuditRecord) -> str:
    """Sent and failed records carry their state as the outcome; the others are named by their kind."""
    kind = record.kind.value
    if kind in ("email.sent", "email.failed"):
        return record.outcome or kind
    return STATE_OF_KIND.get(kind, kind)
