"""visible_to(): what every read endpoint asks before it admits a case exists (False: answer 404)."""

import pytest
from policy_cases import member, team_of

from shared.payloads import CaseAccessRestricted
from shared.policy import CaseState, visible_to
from shared.roles import Agency, Role
from shared.team import CaseTeam

MANAGER, POLICE, MH = member(Role.CASE_MANAGER), member(Role.POLICE), member(Role.MENTAL_HEALTH)
TEAM = team_of(MANAGER, POLICE, MH)


def state(team: CaseTeam = TEAM, ids: tuple[str, ...] = (), agencies: tuple[Agency, ...] = ()) -> CaseState:
    access = CaseAccessRestricted(excluded_practitioner_ids=list(ids), excluded_agencies=list(agencies))
    return CaseState(team=team, access=access)


@pytest.mark.parametrize(
    ("case", "who", "agency", "visible"),
    [
        (state(), POLICE.practitioner_id, Agency.POLICE, True),
        (state(), MANAGER.practitioner_id, Agency.PROBATION, True),
        (state(), "p-stranger", Agency.POLICE, False),  # need to know: not on the team
        (state(team=CaseTeam()), POLICE.practitioner_id, Agency.POLICE, False),
        (state(ids=(POLICE.practitioner_id,)), POLICE.practitioner_id, Agency.POLICE, False),
        (state(ids=(POLICE.practitioner_id,)), MH.practitioner_id, Agency.MENTAL_HEALTH, True),
        (state(agencies=(Agency.POLICE,)), POLICE.practitioner_id, Agency.POLICE, False),
        (state(agencies=(Agency.POLICE,)), MANAGER.practitioner_id, Agency.PROBATION, True),
        (state(agencies=(Agency.POLICE,)), POLICE.practitioner_id, Agency.PROBATION, False),  # the team's record
        (state(agencies=(Agency.PROBATION,)), POLICE.practitioner_id, Agency.PROBATION, False),  # acting for one
        (state(agencies=(Agency.MENTAL_HEALTH,)), MANAGER.practitioner_id, Agency.PROBATION, True),
    ],
)
def test_only_team_members_not_excluded_may_know_the_case_exists(
    case: CaseState, who: str, agency: Agency, visible: bool
) -> None:
    assert visible_to(case, who, agency) is visible


def test_lifting_a_restriction_makes_the_case_visible_again() -> None:
    restricted = state(ids=(POLICE.practitioner_id,), agencies=(Agency.POLICE,))
    lifted = restricted.model_copy(update={"access": CaseAccessRestricted()})
    assert not visible_to(restricted, POLICE.practitioner_id, Agency.POLICE)
    assert visible_to(lifted, POLICE.practitioner_id, Agency.POLICE)
