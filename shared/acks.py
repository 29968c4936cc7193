"""An acknowledgement, as it travels on drr.notifier-acks: from the email's link (the notifier's endpoint) or
from the practitioner's inbox (the portal), the same message on the same durable path. The notifier folds
it into its `acks` table (the first one counts) and audits it; an acknowledged alert stops escalating.

Shared because two services write it and one reads it back; the panel actions' acknowledgement ids are here
too, so the portal acknowledges an action under the id the notifier chases it by.
"""

from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.case_crypto import CaseKeys
from shared.sealing import CaseErased

MAX_COMMENT = 2000


class Outcome(StrEnum):
    """What the practitioner did about the alert: a code for the audit trail, never free text."""

    CONTACTED_PERSON = "contacted_person"
    INFORMED_TEAM = "informed_team"
    NO_ACTION_NEEDED = "no_action_needed"
    OTHER = "other"


def outcome_of(value: object) -> Outcome | None:
    """The outcome a form or a message names; None for none or one we do not know."""
    try:
        return Outcome(str(value))
    except ValueError:
        return None


def panel_action_ack_id(event_id: UUID | str, index: int, practitioner_id: str) -> UUID:
    """The id one owner's acknowledgement of one panel action is recorded under."""
    return uuid5(NAMESPACE_URL, f"drr:panel-action:{event_id}:{index}:{practitioner_id}")


def ack_message(
    *,
    ack_id: str,
    case_id: str,
    recipient_id: str,
    acknowledged_at: str,
    outcome: Outcome | None,
    comment: dict[str, str] | None,
    via: str,
) -> dict[str, Any]:
    """The value on drr.notifier-acks (keyed by case id). `ack_id` is the delivery's or the panel action's;
    `comment` arrives sealed (shared/sealing.py) or not at all; `via` is `email` or `portal`."""
    return {
        "delivery_id": ack_id,
        "case_id": case_id,
        "recipient_id": recipient_id,
        "acknowledged_at": acknowledged_at,
        "outcome": outcome.value if outcome else None,
        "comment": comment,
        "via": via,
    }


async def seal_comment(keys: CaseKeys, case_id: str, ack_id: str, comment: str) -> dict[str, str]:
    """The comment sealed under the case's data key, bound to the acknowledged id, with its digest under the
    case's digest key; CaseErased once the case's keys are destroyed."""
    assert keys.data is not None, "sealing a comment needs the data keys"
    await keys.started()
    cipher, digests = await keys.data.cipher(case_id), await keys.digests.key(case_id)
    if cipher is None or digests is None:
        raise CaseErased(case_id)
    return cipher.seal(ack_id, "comment", comment, digests.digest(comment))
