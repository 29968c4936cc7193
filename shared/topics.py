"""Topic names and partition counts. Every topic is created explicitly (deploy), never auto-created.

A faust table's changelog must have as many partitions as the table's source topic, so both use
PARTITIONS. Keys are case ids everywhere, so one case's messages stay in order on one partition.
"""

EVENTS = "drr.events"
"""Accepted agency events (intake -> router)."""
DELIVERIES = "drr.deliveries"
"""One redacted message per recipient (router -> notifier)."""
AUDIT = "drr.audit"
"""Audit records from every service (-> audit)."""
DEAD_LETTERS = "drr.dead-letters"
"""Messages a service could not process or deliver, with the error, for an operator."""

ROUTER_APP_ID = "drr-router"
NOTIFIER_APP_ID = "drr-notifier"
AUDIT_GROUP_ID = "drr-audit"
"""The audit ledger's consumer group; a replay into a second ledger uses another with this prefix."""
CASE_TEAMS_TABLE = "case_teams"
CASE_TEAMS_CHANGELOG = f"{ROUTER_APP_ID}-{CASE_TEAMS_TABLE}-changelog"
"""Faust's name for the router's case-team table changelog (compacted)."""
CASE_ACCESS_TABLE = "case_access"
CASE_ACCESS_CHANGELOG = f"{ROUTER_APP_ID}-{CASE_ACCESS_TABLE}-changelog"
"""The router's table of sharing agreements, consent and exclusions per case (compacted)."""
EVENT_RECIPIENTS_TABLE = "event_recipients"
EVENT_RECIPIENTS_CHANGELOG = f"{ROUTER_APP_ID}-{EVENT_RECIPIENTS_TABLE}-changelog"
"""The router's table of who received each event ("case_id/event_id"), for retractions (compacted)."""
NOTIFIER_EMAILS_TABLE = "emails"
NOTIFIER_EMAILS_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_EMAILS_TABLE}-changelog"
"""The notifier's idempotency ledger (delivery -> state), same partitions as drr.deliveries (compacted)."""
ACKS = "drr.notifier-acks"
"""Acknowledgements taken by the notifier's web endpoint, keyed by case id (notifier -> notifier)."""
NOTIFIER_ACKS_TABLE = "acks"
NOTIFIER_ACKS_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_ACKS_TABLE}-changelog"

ESCALATIONS = "drr.notifier-escalations"
"""Escalation step commands from the notifier's sweep timer to its own agent (Faust tables are written from streams)."""
NOTIFIER_ESCALATIONS_TABLE = "escalations"
NOTIFIER_ESCALATIONS_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_ESCALATIONS_TABLE}-changelog"
NOTIFIER_TEAMS_TABLE = "teams"
NOTIFIER_TEAMS_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_TEAMS_TABLE}-changelog"
NOTIFIER_COMPLIANCE_TABLE = "compliance"
NOTIFIER_COMPLIANCE_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_COMPLIANCE_TABLE}-changelog"
NOTIFIER_REMINDERS_TABLE = "reminders"
NOTIFIER_REMINDERS_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_REMINDERS_TABLE}-changelog"
HOLDS = "drr.notifier-holds"
"""Alerts held back (grouping, digests, pauses) and their release, keyed by case id or, for a digest, by
recipient id (notifier -> notifier)."""
NOTIFIER_HOLDS_TABLE = "holds"
NOTIFIER_HOLDS_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_HOLDS_TABLE}-changelog"
NOTIFIER_PAUSES_TABLE = "pauses"
NOTIFIER_PAUSES_CHANGELOG = f"{NOTIFIER_APP_ID}-{NOTIFIER_PAUSES_TABLE}-changelog"
"""The notifier's case-level alert pauses by case id (owner, reason digest, expiry, reminder state)."""

ERASURES = "drr.erasures"
"""Erasure commands by case id: the router's retention sweep or a data protection officer's `router erase`
(router -> router, notifier)."""
ERASURES_TABLE = "erasures"
ERASURES_CHANGELOG = f"{ROUTER_APP_ID}-{ERASURES_TABLE}-changelog"
"""The router's closed cases, each with when its retention ends and under which rule (compacted)."""

CASE_KEYS = "drr.case-keys"
"""Per-case data keysets, wrapped by the key-encryption key, keyed by case id (compacted); a tombstone is
the case's erasure (crypto-shredding)."""
CASE_DIGEST_KEYS = "drr.case-digest-keys"
"""Per-case audit digest keys, wrapped, keyed by case id (compacted); tombstoned with the case's data key."""

PARTITIONS = 4


def faust_leader_topic(app_id: str) -> str:
    """Faust's own assignor topic; created here too, since the broker auto-creates nothing."""
    return f"{app_id}-__assignor-__leader"


ALL: dict[str, int] = {
    EVENTS: PARTITIONS,
    DELIVERIES: PARTITIONS,
    AUDIT: 1,  # one total order: replaying the topic into an empty ledger must give the identical tree
    DEAD_LETTERS: 1,
    CASE_TEAMS_CHANGELOG: PARTITIONS,
    CASE_ACCESS_CHANGELOG: PARTITIONS,
    EVENT_RECIPIENTS_CHANGELOG: PARTITIONS,
    ERASURES: PARTITIONS,
    ERASURES_CHANGELOG: PARTITIONS,
    NOTIFIER_EMAILS_CHANGELOG: PARTITIONS,
    ACKS: PARTITIONS,
    NOTIFIER_ACKS_CHANGELOG: PARTITIONS,
    ESCALATIONS: PARTITIONS,
    NOTIFIER_ESCALATIONS_CHANGELOG: PARTITIONS,
    NOTIFIER_TEAMS_CHANGELOG: PARTITIONS,
    NOTIFIER_COMPLIANCE_CHANGELOG: PARTITIONS,
    NOTIFIER_REMINDERS_CHANGELOG: PARTITIONS,
    HOLDS: PARTITIONS,
    NOTIFIER_HOLDS_CHANGELOG: PARTITIONS,
    NOTIFIER_PAUSES_CHANGELOG: PARTITIONS,
    faust_leader_topic(ROUTER_APP_ID): 1,
    faust_leader_topic(NOTIFIER_APP_ID): 1,
    CASE_KEYS: PARTITIONS,
    CASE_DIGEST_KEYS: PARTITIONS,
}
"""Every topic the system uses -> its partition count."""

COMPACTED = frozenset(
    {
        CASE_TEAMS_CHANGELOG,
        CASE_ACCESS_CHANGELOG,
        EVENT_RECIPIENTS_CHANGELOG,
        ERASURES_CHANGELOG,
        NOTIFIER_EMAILS_CHANGELOG,
        NOTIFIER_ACKS_CHANGELOG,
        NOTIFIER_ESCALATIONS_CHANGELOG,
        NOTIFIER_TEAMS_CHANGELOG,
        NOTIFIER_COMPLIANCE_CHANGELOG,
        NOTIFIER_REMINDERS_CHANGELOG,
        NOTIFIER_HOLDS_CHANGELOG,
        NOTIFIER_PAUSES_CHANGELOG,
    }
)

DAY_MS = 24 * 60 * 60 * 1000
KEEP_FOREVER = -1


def _stream(days: int) -> dict[str, str]:
    return {"cleanup.policy": "delete", "retention.ms": str(days * DAY_MS)}


COMPACTED_CONFIG = {
    "cleanup.policy": "compact",
    "delete.retention.ms": str(DAY_MS),
    "min.compaction.lag.ms": str(60 * 60 * 1000),
    "segment.ms": str(DAY_MS),
}
"""A table's changelog: the last value per key, for ever; a tombstone (a deleted entry) is kept a day so a
restoring worker sees it, then compacted away with the value it deletes (segments roll daily, so the
cleaner reaches them; the hour's lag lets a consumer read a value before it is compacted)."""

KEY_TOPICS = frozenset({CASE_KEYS, CASE_DIGEST_KEYS})
KEY_CONFIG = COMPACTED_CONFIG | {"min.compaction.lag.ms": str(7 * DAY_MS)}
"""A key topic: the last record per case, for ever, until its tombstone. A week before compaction may
remove a record, so a race between two intake instances is repaired long before (shared/case_keys.py)."""

CONFIGS: dict[str, dict[str, str]] = (
    {
        EVENTS: _stream(14),  # read at once by router and notifier; two weeks covers a long outage, then goes
        DELIVERIES: _stream(14),  # the same horizon: the notifier's emails ledger need not outlive it
        AUDIT: {"cleanup.policy": "delete", "retention.ms": str(KEEP_FOREVER)},
        # kept: a replay of the whole topic into an empty ledger must give the identical tree (services/audit),
        # and the records hold ids and keyed digests only, never content
        DEAD_LETTERS: _stream(30),  # an operator's month to look, mend and redrive
        ACKS: _stream(14),
        ESCALATIONS: _stream(7),  # commands the notifier gives itself and applies at once
        HOLDS: _stream(7),
        ERASURES: _stream(30),  # a command applied at once; a month shows what was asked
        faust_leader_topic(ROUTER_APP_ID): _stream(1),
        faust_leader_topic(NOTIFIER_APP_ID): _stream(1),
    }
    | {name: COMPACTED_CONFIG for name in COMPACTED}
    | {name: KEY_CONFIG for name in KEY_TOPICS}
)
"""Every topic's configuration at creation (shared/kafka.py create_topics; a test compares the live
broker's): content never sits on the broker's disks for the default week by accident, nor for ever
unless that is the point. A new topic needs an entry here."""
