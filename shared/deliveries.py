"""A delivery: what one recipient may learn from one event, already redacted by the router.

The notifier renders emails from deliveries only, never from the original event, so content the
sharing rules withheld cannot reach an email by mistake.
"""

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, EmailStr

from shared.bounds import Moment
from shared.roles import Agency, Role


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    practitioner_id: str
    name: str
    email: EmailStr
    agency: Agency
    role: Role
    language: str | None = None
    """The practitioner's language and IANA time zone as their team event gave them (None: not given); the
    notifier and the portal resolve the reader's own with shared.i18n (agency default, then English, UTC)."""
    time_zone: str | None = None


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: UUID
    event_id: UUID
    event_type: str
    case_id: str
    occurred_at: Moment
    correlation_id: str | None = None
    person: dict[str, Any]
    recipient: Recipient
    payload: dict[str, Any]
    """Only the fields this recipient may see."""
    fields_withheld: list[str]
    withheld_notice: str | None = None
    rule: str
    purpose: str | None = None
    """Why this recipient is told: the purpose of the rule(s) that allowed the share."""
    legal_basis: str | None = None
    agreement: str | None = None
    """The sharing agreement (id@version) the share relied on, if any."""
    follow_up_of: UUID | None = None
    """For a retraction or correction: the earlier event it concerns (the recipient received it)."""


def delivery_id_for(event_id: UUID, practitioner_id: str) -> UUID:
    """Stable per (event, recipient), so a replayed event yields the same delivery id."""
    return uuid5(NAMESPACE_URL, f"drr:delivery:{event_id}:{practitioner_id}")
