"""Idempotency: which key stands for an event, and whether two requests carry the same event.

The key is the `Idempotency-Key` header or else the event id the sender chose, either scoped to the
caller's agency; an event without either is new every time. The digest covers the event as validated
(so formatting does not matter), without an event id intake assigned itself.

Event ids across agencies: a claim answers only the agency that made it, so another agency's event id
is no oracle. An event id stays one event downstream (the router, the notifier and the ledger key by it),
so an agency posting an event id that another agency's event holds (a claim, or an accepted event in
store.py's event_publishers, which is never pruned) is refused 409 `event_id_taken`, and nothing is
stored or published. That answer is the same whatever the other event says, whether it is accepted or
still being published, and whose it is: the caller learns only that the id is in use, which it can know
only by holding the id already (event ids are random UUIDs, and intake assigns one when the sender gives
none). Claims written before this scoping (`event:ID`) are moved to their publisher's agency once, when
the store opens (store.py).
"""

from shared.audit_records import content_hash
from shared.events import Envelope


def idempotency_key(event: Envelope, header: str | None, agency: str) -> str | None:
    if header:
        return f"header:{agency}:{header}"
    if "event_id" in event.model_fields_set:
        return f"event:{agency}:{event.event_id}"
    return None


def body_digest(event: Envelope) -> str:
    exclude = None if "event_id" in event.model_fields_set else {"event_id"}
    return content_hash(event.model_dump(mode="json", exclude=exclude))
