"""Who is calling, and may they publish this event? Pure decisions over the key repository.

Refusal reasons are codes agency systems can act on: missing_credentials, invalid_credentials,
key_revoked (401); agency_mismatch, event_type_not_allowed (403).
"""

from dataclasses import dataclass

from services.intake.keys import ApiKey, key_id_of, matches
from services.intake.permissions import allows
from services.intake.store import KeyRepository
from shared.events import Envelope


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    message: str
    key_id: str | None = None
    """The id of a key intake knows that the request named (a wrong secret, a revoked key); never an id
    the sender merely typed."""


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
