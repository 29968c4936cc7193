"""A case team: the responsible case manager and the members by role, folded from the team events.

Shared because every service that must know who is on a case (router, notifier) folds the same events."""

from pydantic import BaseModel, ConfigDict

from shared.deliveries import Recipient
from shared.events import Envelope
from shared.payloads import CaseManagerAssigned, Practitioner, TeamMemberJoined, TeamMemberLeft
from shared.roles import Role


class CaseTeam(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_manager: Practitioner | None = None
    members: dict[str, Recipient] = {}

    def recipients(self) -> list[Recipient]:
        """Everyone on the team, once each; the case manager speaks as case manager."""
        people = dict(self.members)
        if self.case_manager is not None:
            people[self.case_manager.id] = _recipient(self.case_manager, Role.CASE_MANAGER)
        return sorted(people.values(), key=lambda r: (r.role != Role.CASE_MANAGER, r.role, r.practitioner_id))


_ROSTERS: dict[int, tuple[CaseTeam, tuple[Recipient, ...]]] = {}
MAX_ROSTERS = 4096


def roster(team: CaseTeam) -> tuple[Recipient, ...]:
    """`team.recipients()`, remembered per team object: a frozen team's roster cannot change, and the
    router asks for it on every event. An entry holds its team, so the id cannot be reused meanwhile."""
    found = _ROSTERS.get(id(team))
    if found is not None and found[0] is team:
        return found[1]
    if len(_ROSTERS) >= MAX_ROSTERS:
        _ROSTERS.clear()
    recipients = tuple(team.recipients())
    _ROSTERS[id(team)] = (team, recipients)
    return recipients


def apply(team: CaseTeam, event: Envelope) -> CaseTeam:
    """The team after a team event; any other event leaves it as it is."""
    payload = event.payload
    if isinstance(payload, CaseManagerAssigned):
        return team.model_copy(update={"case_manager": payload.practitioner})
    if isinstance(payload, TeamMemberJoined):
        member = _recipient(payload.practitioner, payload.role)
        return team.model_copy(update={"members": {**team.members, member.practitioner_id: member}})
    if isinstance(payload, TeamMemberLeft):
        members = {k: v for k, v in team.members.items() if k != payload.practitioner_id}
        manager = team.case_manager
        if manager is not None and manager.id == payload.practitioner_id:
            manager = None
        return team.model_copy(update={"members": members, "case_manager": manager})
    return team


def _recipient(practitioner: Practitioner, role: Role) -> Recipient:
    # model_construct: the practitioner was validated when its event was parsed; validating the e-mail
    # address again for every event routed would cost more than the whole sharing decision
    return Recipient.model_construct(
        practitioner_id=practitioner.id,
        name=practitioner.name,
        email=practitioner.email,
        agency=practitioner.agency,
        role=role,
        language=practitioner.language,
        time_zone=practitioner.time_zone,
    )
