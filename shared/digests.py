"""Keyed field digests: HMAC-SHA-256 of a field's canonical JSON under the producers' digest key.

An unkeyed hash of a field with few possible values (a risk level, a consent value) is no protection:
trying each value recovers it. Keyed, a digest says nothing to whoever lacks the key, yet the same value
still gives the same digest in every service that holds it (intake, router, notifier), so an oversight
body can be shown that what was shared is what was received. The key is held by the producing services
only, never by the audit service, whose ledger keeps the digests; whoever must test a value against a
digest asks the key's holder.

The key is 32 random bytes in a file (made by the local set-up, or a secret in production); a digest is
`KEYID:HEX`, KEYID naming the key (its first 8 hex digits of SHA-256 under a fixed label), so that digests
made under a rotated key can be told apart.
"""

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.audit_records import canonical_json

KEY_BYTES = 32


class DigestKey:
    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"a digest key needs at least {KEY_BYTES} bytes")
        self._key = key
        self.key_id = hashlib.sha256(b"drr-digest-key-id\n" + key).hexdigest()[:8]

    @classmethod
    def from_file(cls, path: Path) -> "DigestKey":
        """The key in `path` (raw bytes); a missing or short file stops the service at start-up."""
        try:
            return cls(path.read_bytes())
        except FileNotFoundError as missing:
            raise FileNotFoundError(f"digest key {path} is missing (make it with the set-up)") from missing

    def derived(self, salt: bytes, case_id: str) -> "DigestKey":
        """A case's own key: this key's HMAC of the case's salt and id (shared/case_crypto.py CaseDigests)."""
        label = b"drr-case-digest-key\n" + salt + case_id.encode()
        return DigestKey(hmac.new(self._key, label, hashlib.sha256).digest())

    def digest(self, value: Any) -> str:
        mac = hmac.new(self._key, canonical_json(value), hashlib.sha256).hexdigest()
        return f"{self.key_id}:{mac}"

    def digests(self, fields: Mapping[str, Any]) -> dict[str, str]:
        return {name: self.digest(value) for name, value in fields.items()}


def write_digest_key(path: Path) -> None:
    """A fresh random key, readable by its owner only; an existing file is kept."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(os.urandom(KEY_BYTES))
