"""Oversight bearer tokens: issued by the CLI, shown once, stored only as their SHA-256.

A token has an expiry (DEFAULT_DAYS unless asked, at most MAX_DAYS), a scope (every case, or only the
cases of named agencies: scopes.py says which those are) and may be revoked, by a row of its own. Its
public id is the start of its digest, which tells nothing about the token. A token issued before tokens
expired has no expiry stored: it expires MAX_DAYS after it was issued, and sees every case.
"""

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from services.audit.leaves import timestamp
from services.audit.store import SqlLedger
from services.audit.token_store import StoredToken

PREFIX = "drr_ovs_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
ID_LENGTH = 12
"""Hex digits of the digest that name a token in `audit tokens list` and `revoke --id`."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What one token lets its holder see, and whether it still does."""

    id: str
    name: str
    scope: tuple[str, ...] | None
    """The agencies whose cases it may see (sorted); None: every case."""
    issued_at: str
    expires_at: str
    revoked_at: str | None

    @staticmethod
    def id_of(token: str) -> str:
        return token_digest(token)[:ID_LENGTH]

    @classmethod
    def of(cls, row: StoredToken) -> "Grant":
        expires = row.expires_at or timestamp(datetime.fromisoformat(row.issued_at) + timedelta(days=MAX_DAYS))
        scope = tuple(sorted(row.agencies.split(","))) if row.agencies else None
        return cls(row.token_sha256[:ID_LENGTH], row.name, scope, row.issued_at, expires, row.revoked_at)

    def refusal(self, now: datetime) -> str | None:
        """Why the token no longer opens anything (`token_revoked`, `token_expired`), or None."""
        if self.revoked_at is not None:
            return "token_revoked"
        return "token_expired" if timestamp(now) >= self.expires_at else None


def issue(
    ledger: SqlLedger,
    name: str,
    *,
    days: int = DEFAULT_DAYS,
    agencies: tuple[str, ...] = (),
    now: datetime | None = None,
) -> str:
    """A new token for the oversight body `name`, valid `days` days, for the cases of `agencies` (none:
    every case); only its digest is kept."""
    if not 0 < days <= MAX_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_DAYS} days")
    issued = now or datetime.now(UTC)
    token = PREFIX + secrets.token_urlsafe(32)
    ledger.tokens.add(
        token_sha256=token_digest(token),
        name=name,
        issued_at=timestamp(issued),
        expires_at=timestamp(issued + timedelta(days=days)),
        agencies=",".join(sorted(set(agencies))) or None,
    )
    return token


def holder(ledger: SqlLedger, authorization: str | None) -> Grant | None:
    """The token a `Bearer` header carries (expired and revoked ones too), or None if it is none of ours."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX):
        return None
    row = ledger.tokens.get(token_digest(token))
    return None if row is None else Grant.of(row)


def listing(ledger: SqlLedger) -> list[Grant]:
    return [Grant.of(row) for row in ledger.tokens.all()]


def revoke(
    ledger: SqlLedger, *, token_id: str | None = None, name: str | None = None, now: datetime | None = None
) -> list[Grant]:
    """Revoke the token with this id, or every unrevoked token of this name; returns those revoked now."""
    moment = timestamp(now or datetime.now(UTC))
    rows = [r for r in ledger.tokens.all() if r.revoked_at is None]
    chosen = [r for r in rows if r.token_sha256[:ID_LENGTH] == token_id or (name is not None and r.name == name)]
    revoked = [r for r in chosen if ledger.tokens.revoke(token_sha256=r.token_sha256, revoked_at=moment)]
    return [replace(Grant.of(row), revoked_at=moment) for row in revoked]
