"""API keys for agency systems: `drr_<key id>_<secret>`, stored only as a SHA-256 hash.

The key id is public (it names the key in logs, audit records and `intake keys list`); the secret
is shown once, when the key is issued, and never stored.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from shared.roles import Agency

PREFIX = "drr"


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
