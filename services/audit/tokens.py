"""Oversight bearer tokens: issued by the CLI, shown once, stored only as their SHA-256."""

import hashlib
import secrets
from datetime import UTC, datetime

from services.audit.leaves import timestamp
from services.audit.store import SqlLedger

PREFIX = "drr_ovs_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(ledger: SqlLedger, name: str) -> str:
    """A new token for the oversight body `name`; only its digest is kept."""
    token = PREFIX + secrets.token_urlsafe(32)
    ledger.add_token(token_sha256=token_digest(token), name=name, issued_at=timestamp(datetime.now(UTC)))
    return token


def holder(ledger: SqlLedger, authorization: str | None) -> str | None:
    """The oversight body a `Bearer` header belongs to, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(PREFIX):
        return None
    return ledger.token_name(token_digest(token.strip()))
