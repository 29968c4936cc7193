"""What the policy needs to know about one case besides the event: the team, the agreements in force
(validity, consent), who is excluded, and who received which earlier event (for follow-ups).

Folded from events by pure functions; the router keeps it in Faust tables, read endpoints the same way.
"""

from pydantic import BaseModel, ConfigDict

from shared.deliveries import Recipient
from shared.events import Envelope
from shared.payloads import CaseAccessRestricted, SharingAgreementUpdated
from shared.team import CaseTeam


class CaseState(BaseModel):
    model_config = ConfigDict(frozen=True)

    team: CaseTeam = CaseTeam()
    agreements: dict[str, SharingAgreementUpdated] = {}
    """Agreement id -> its latest version for this case."""
    access: CaseAccessRestricted = CaseAccessRestricted()
    sent: dict[str, list[Recipient]] = {}
    """Event id -> the recipients who were told something of it."""

    def is_excluded(self, recipient: Recipient) -> bool:
        return (
            recipient.practitioner_id in self.access.excluded_practitioner_ids
            or recipient.agency in self.access.excluded_agencies
        )


def apply_access(state: CaseState, event: Envelope) -> CaseState:
    """The state after an agreement or access event; any other event leaves it as it is."""
    payload = event.payload
    if isinstance(payload, SharingAgreementUpdated):
        current = state.agreements.get(payload.agreement_id)
        if current is not None and current.version > payload.version:
            return state  # a stale version arriving late changes nothing
        return state.model_copy(update={"agreements": {**state.agreements, payload.agreement_id: payload}})
    if isinstance(payload, CaseAccessRestricted):
        return state.model_copy(update={"access": payload})
    return state
