"""Issue, revoke and list API keys: the library behind the `intake keys` CLI and the local stack."""

from datetime import UTC, datetime

from services.intake.keys import ApiKey, hash_key, new_key
from services.intake.permissions import DEFAULT_PERMISSIONS, check_patterns
from services.intake.store import KeyRepository
from shared.roles import Agency


def issue_key(
    keys: KeyRepository, *, agency: Agency, system: str, event_types: list[str] | None = None
) -> tuple[ApiKey, str]:
    """A new key for one agency system; returns the stored record and the key itself (shown once)."""
    patterns = tuple(event_types) if event_types else DEFAULT_PERMISSIONS[agency]
    check_patterns(patterns)
    key_id, secret = new_key()
    record = ApiKey(key_id, hash_key(secret), agency, system, patterns, datetime.now(UTC))
    keys.add_key(key=record)
    return record, secret


def issue_agency_keys(keys: KeyRepository, *, system: str) -> dict[Agency, str]:
    """One key per agency with its default permissions, revoking earlier keys of the same system:
    the local stack and the demo use these."""
    for old in keys.list_keys():
        if old.system == system and not old.revoked:
            keys.revoke_key(key_id=old.key_id)
    return {agency: issue_key(keys, agency=agency, system=system)[1] for agency in Agency}
