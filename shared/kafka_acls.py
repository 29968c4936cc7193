"""Who may do what on the broker: one principal per service, each allowed only its own topics and
consumer group (StandardAuthorizer, allow.everyone.if.no.acl.found=false, so anything not granted here
is refused). The admin principal is a super user: it creates topics and applies this table.

Data, not code: tests/unit/test_kafka_acls.py derives what each service really reads and writes from
shared/topics.py and the Faust apps themselves, and compares. No transactional ids: no service uses
Kafka transactions (the idempotent producer needs only WRITE on its topics since Kafka 3.0).
"""

from dataclasses import dataclass
from enum import StrEnum

from shared import topics

ADMIN = "admin"
"""The super user (super.users): topics, ACLs, operator commands. Never given to a service."""
INTAKE, ROUTER, NOTIFIER, AUDIT, PORTAL = "intake", "router", "notifier", "audit", "portal"
SERVICES = (INTAKE, ROUTER, NOTIFIER, AUDIT, PORTAL)
PRINCIPALS = (ADMIN, *SERVICES)


class Operation(StrEnum):
    READ = "read"
    WRITE = "write"


class Resource(StrEnum):
    TOPIC = "topic"
    GROUP = "group"


@dataclass(frozen=True, order=True)
class Grant:
    principal: str
    operation: Operation
    resource: Resource
    name: str
    prefixed: bool = False
    """The name is a prefix (the audit service's replay groups: drr-audit, drr-audit-replay, ...)."""


def _changelogs(app_id: str) -> frozenset[str]:
    return frozenset(name for name in topics.COMPACTED if name.startswith(f"{app_id}-"))


ROUTER_OWN = _changelogs(topics.ROUTER_APP_ID)
NOTIFIER_OWN = _changelogs(topics.NOTIFIER_APP_ID) | {topics.ACKS, topics.ESCALATIONS, topics.HOLDS}
"""Topics a Faust app writes and reads back itself: its tables' changelogs and its command topics."""

PORTAL_FOLLOWS = frozenset(
    {
        topics.DELIVERIES,
        topics.CASE_TEAMS_CHANGELOG,
        topics.CASE_ACCESS_CHANGELOG,
        topics.NOTIFIER_ACKS_CHANGELOG,
        topics.ERASURES,
    }
)
"""What the portal reads whole, without a consumer group (services/portal/feeds.py): each recipient's redacted
deliveries, and the router's and notifier's records of the team, its access rules and the acknowledgements,
read only. Never drr.events: the portal shows a practitioner what they were sent, nothing more."""
KEY_READS: dict[str, frozenset[str]] = {
    INTAKE: topics.KEY_TOPICS,
    ROUTER: frozenset({topics.CASE_DIGEST_KEYS}),
    NOTIFIER: topics.KEY_TOPICS,
    AUDIT: frozenset(),
    PORTAL: topics.KEY_TOPICS,
}
"""The key topics each service reads whole, without a consumer group (shared/case_keys.py). The data keys
only where data is sealed or opened (intake, notifier): the router copies ciphertext and never holds them."""
READS: dict[str, frozenset[str]] = {
    INTAKE: KEY_READS[INTAKE],
    ROUTER: ROUTER_OWN
    | {topics.EVENTS, topics.ERASURES, topics.faust_leader_topic(topics.ROUTER_APP_ID)}
    | KEY_READS[ROUTER],
    NOTIFIER: NOTIFIER_OWN
    | {topics.EVENTS, topics.DELIVERIES, topics.ERASURES, topics.faust_leader_topic(topics.NOTIFIER_APP_ID)}
    | KEY_READS[NOTIFIER],
    AUDIT: frozenset({topics.AUDIT}),
    PORTAL: PORTAL_FOLLOWS | KEY_READS[PORTAL],
}
WRITES: dict[str, frozenset[str]] = {
    INTAKE: frozenset({topics.EVENTS, topics.AUDIT}) | topics.KEY_TOPICS,  # makes each case's keys
    # tombstones only, at a case's erasure: it may destroy the data key it can never read
    # drr.erasures: its retention sweep's commands (and `router erase`), applied by itself and the notifier
    ROUTER: ROUTER_OWN | {topics.DELIVERIES, topics.AUDIT, topics.DEAD_LETTERS, topics.ERASURES} | topics.KEY_TOPICS,
    NOTIFIER: NOTIFIER_OWN | {topics.AUDIT, topics.DEAD_LETTERS},
    # each oversight query is itself recorded (services/audit/queries.py); refused records are dead-lettered
    AUDIT: frozenset({topics.AUDIT, topics.DEAD_LETTERS}),
    # an acknowledgement taken in the inbox goes the email link's way: onto the notifier's own command topic
    PORTAL: frozenset({topics.ACKS}),
}
GROUPS: dict[str, tuple[str, bool]] = {
    ROUTER: (topics.ROUTER_APP_ID, False),
    NOTIFIER: (topics.NOTIFIER_APP_ID, False),
    AUDIT: (topics.AUDIT_GROUP_ID, True),
}
"""Principal -> (consumer group, is it a prefix). Faust apps use their app id as their group."""


def grants() -> frozenset[Grant]:
    """The whole table, as the broker should hold it."""
    out = {Grant(p, Operation.READ, Resource.TOPIC, t) for p, names in READS.items() for t in names}
    out |= {Grant(p, Operation.WRITE, Resource.TOPIC, t) for p, names in WRITES.items() for t in names}
    out |= {Grant(p, Operation.READ, Resource.GROUP, g, prefixed) for p, (g, prefixed) in GROUPS.items()}
    return frozenset(out)
