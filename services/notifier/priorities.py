"""How urgent an alert is (shared/priorities.py); what each level means for sending is in policy.yaml and holding.py."""

from uuid import UUID

from shared.deliveries import Delivery, delivery_id_for
from shared.payloads import FOLLOW_UP_EVENTS
from shared.priorities import IMMEDIATE, Priority

__all__ = ["IMMEDIATE", "Priority", "original_of"]


def original_of(delivery: Delivery) -> UUID | None:
    """The delivery a retraction or correction follows up: the same recipient's of the earlier event.
    A follow-up is as urgent as what it follows up, so that it never reaches anyone before the alert it
    is about (a retracted digest item goes in the digest, a retracted critical trigger at once)."""
    field = FOLLOW_UP_EVENTS.get(delivery.event_type)
    earlier = delivery.payload.get(field) if field else None
    return delivery_id_for(UUID(str(earlier)), delivery.recipient.practitioner_id) if earlier else None
