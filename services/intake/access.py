"""Who may pass intake's door, with what, and how often: API keys, the lanes each agency publishes in,
authentication and authorisation, and the token buckets that rate each caller.

A key is `drr_<key id>_<secret>`, stored only as a SHA-256 hash: the key id is public (it names the key in
logs, audit records and `intake keys list`); the secret is shown once, when the key is issued, and never
stored. A key carries its own list of event-type patterns (an exact type, or `noun.*`); issued without one,
it gets its agency's lane from DEFAULT_PERMISSIONS, checked at start-up. The lanes follow the paper's "stay
in lanes": the prison announces releases, the panel secretariat records panel decisions, probation (the
case-owning agency, where the case manager sits) opens and closes cases and keeps the team, and any team
agency reports what it sees (triggers, attendance, risk assessments, discharge reports). Which case a key
may act on is authority.py's.

Refusal reasons are codes agency systems can act on: missing_credentials, invalid_credentials, key_revoked
(401); agency_mismatch, event_type_not_allowed (403).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Protocol

from shared.events import Envelope
from shared.payloads import PAYLOADS
from shared.roles import Agency

PREFIX = "drr"
OBSERVATIONS = (
    "trigger.reported",
    "appointment.missed",
    "appointment.attended",
    "risk_assessment.updated",
    "discharge.reported",
)
"""What any team agency may report about a person it works with."""
PAUSES = ("alerts.paused", "alerts.resumed")
"""Holding back (and lifting the hold on) a case's non-critical alerts: the case owner and the panel."""
CASE_OWNERSHIP = (
    "case.opened",
    "case.transferred",
    "case_manager.assigned",
    "team.*",
    "case.closed",
    "sharing_agreement.updated",
    "case.access_restricted",
)
"""The case-owning agency keeps the team, the sharing agreements and who is kept out of the case. Lanes only:
which case a key may act on, and which agreements, is authority.py's (the case owner; the data holder)."""
CORRECTIONS = ("event.*",)
"""Any agency may retract or correct what it published (authority.py: only what it published)."""

DEFAULT_PERMISSIONS: dict[Agency, tuple[str, ...]] = {
    Agency.PRISON: ("release.*", *OBSERVATIONS, *CORRECTIONS),
    Agency.PROBATION: (*CASE_OWNERSHIP, *OBSERVATIONS, *CORRECTIONS, *PAUSES),
    Agency.POLICE: (*OBSERVATIONS, *CORRECTIONS, "sharing_agreement.updated"),  # records intelligence agreements
    Agency.MENTAL_HEALTH: (*OBSERVATIONS, *CORRECTIONS, "sharing_agreement.updated"),  # records clinical consent
    Agency.SOCIAL_CARE: (*OBSERVATIONS, *CORRECTIONS),
    Agency.YOUTH_WORK: (*OBSERVATIONS, *CORRECTIONS),
    Agency.COMMUNITY: (*OBSERVATIONS, *CORRECTIONS),
    Agency.FAMILY_SUPPORT: (*OBSERVATIONS, *CORRECTIONS),
    Agency.EXIT_PROGRAMME: (*OBSERVATIONS, *CORRECTIONS),
    Agency.PANEL: ("panel.decision", *CORRECTIONS, *PAUSES),
}


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    key_hash: str
    agency: Agency
    system: str
    event_types: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class KeyRepository(Protocol):
    def add_key(self, *, key: ApiKey) -> None: ...
    def find_key(self, *, key_id: str) -> ApiKey | None: ...
    def revoke_key(self, *, key_id: str) -> bool: ...
    def list_keys(self) -> list[ApiKey]: ...


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    message: str
    key_id: str | None = None
    """The id of a key intake knows that the request named (a wrong secret, a revoked key); never an id
    the sender merely typed."""


def new_key() -> tuple[str, str]:
    """A fresh (key id, full key) pair."""
    key_id = secrets.token_hex(6)
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str | None:
    """The id part of a well-formed key, or None: lets a lookup go by id, then compare hashes."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def matches(key: str, stored: ApiKey) -> bool:
    return hmac.compare_digest(hash_key(key), stored.key_hash)


def authenticate(authorization: str | None, keys: KeyRepository) -> ApiKey | Refusal:
    if not authorization:
        return Refusal(401, "missing_credentials", "send Authorization: Bearer <api key>")
    scheme, _, token = authorization.partition(" ")
    key_id = key_id_of(token.strip()) if scheme.lower() == "bearer" else None
    stored = keys.find_key(key_id=key_id) if key_id else None
    if stored is None:
        return Refusal(401, "invalid_credentials", "unknown or malformed API key")
    if not matches(token.strip(), stored):
        return Refusal(401, "invalid_credentials", "unknown or malformed API key", stored.key_id)
    if stored.revoked:
        return Refusal(401, "key_revoked", "this API key has been revoked", stored.key_id)
    return stored


def authorise(key: ApiKey, event: Envelope) -> Refusal | None:
    if event.source.agency != key.agency:
        return Refusal(403, "agency_mismatch", f"this key publishes for agency {key.agency.value} only")
    if not allows(key.event_types, event.event_type):
        return Refusal(403, "event_type_not_allowed", f"this key may not publish {event.event_type}")
    return None


def allows(patterns: tuple[str, ...] | list[str], event_type: str) -> bool:
    return any(fnmatchcase(event_type, pattern) for pattern in patterns)


def check_patterns(patterns: tuple[str, ...] | list[str]) -> None:
    """Refuse a pattern that matches no event type in the catalogue: it is a typo, not a permission."""
    for pattern in patterns:
        if not any(allows((pattern,), event_type) for event_type in PAYLOADS):
            raise ValueError(f"event-type pattern {pattern!r} matches no event type")


def check_table(table: dict[Agency, tuple[str, ...]] = DEFAULT_PERMISSIONS) -> None:
    """Run at start-up: every agency has an entry and every pattern names real event types."""
    missing = set(Agency) - set(table)
    if missing:
        raise ValueError(f"no default permissions for {sorted(missing)}")
    for patterns in table.values():
        check_patterns(patterns)


@dataclass
class TokenBuckets:
    """`rate` tokens a second on average, bursts of up to `burst`, one bucket per name (an API key id, a
    client address).

    Memory is bounded: at most `max_buckets` are kept, in the order they were last used, so the oldest come
    first; those that have refilled to the burst are the same as no bucket and are dropped as they come to
    the front, and past the bound the least recently used goes (a flood of new names then finds full
    buckets, as it would anyway: the bound caps memory, the rate caps each name)."""

    rate: float
    burst: float
    max_buckets: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """name -> (tokens left, when last refilled), least recently used first."""

    def take(self, name: str, cost: float, now: float) -> float:
        """Take `cost` tokens (capped at the burst, so a large batch can pass); 0 if granted, else
        the seconds to wait before they would be there."""
        cost = min(cost, self.burst)
        tokens, then = self._buckets.pop(name, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        self._forget_idle(now)
        if tokens < cost:
            self._buckets[name] = (tokens, now)
            return (cost - tokens) / self.rate
        self._buckets[name] = (tokens - cost, now)
        return 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        """Drop full buckets from the front, and the least recently used past the bound (room for one)."""
        while self._buckets:
            name, (tokens, then) = next(iter(self._buckets.items()))
            if len(self._buckets) < self.max_buckets and tokens + (now - then) * self.rate < self.burst:
                return
            del self._buckets[name]
