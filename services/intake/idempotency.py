"""Idempotency: which key stands for an event, and whether two requests carry the same event.

The key is the `Idempotency-Key` header (scoped to the caller's agency) or else the event id the
sender chose; an event without either is new every time. The digest covers the event as validated
(so formatting does not matter), without an event id intake assigned itself.
"""

from shared.audit_records import content_hash
from shared.events import Envelope


def idempotency_key(event: Envelope, header: str | None, agency: str) -> str | None:
    if header:
        return f"header:{agency}:{header}"
    if "event_id" in event.model_fields_set:
        return f"event:{event.event_id}"
    return None


def body_digest(event: Envelope) -> str:
    exclude = None if "event_id" in event.model_fields_set else {"event_id"}
    return content_hash(event.model_dump(mode="json", exclude=exclude))
