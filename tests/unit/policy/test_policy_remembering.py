"""What decide() remembers to be fast (verdicts per situation, rosters per team) never goes stale."""

from policy_cases import agreement, event, member, team_of

from shared.policy import CaseState, apply_access, decide, load_policy
from shared.policy.deciding import Decision
from shared.roles import Role
from shared.team import apply, roster

MANAGER, POLICE, MH = member(Role.CASE_MANAGER), member(Role.POLICE), member(Role.MENTAL_HEALTH)


def facts(decisions: list[Decision]) -> list[tuple[object, ...]]:
    return [(d.recipient, d.payload, d.fields_withheld, d.rule, d.agreement, d.reason) for d in decisions]


def test_a_warm_policy_decides_exactly_as_a_cold_one() -> None:
    cold, warm = load_policy(), load_policy()
    state = CaseState(team=team_of(MANAGER, POLICE, MH), agreements={"DRR-CLINICAL-ISA": agreement(consent="given")})
    for event_type in ("trigger.reported", "risk_assessment.updated", "discharge.reported"):
        decide(event(event_type), state, warm)
    for event_type in ("trigger.reported", "risk_assessment.updated", "discharge.reported"):
        cold.verdicts.clear()
        assert facts(decide(event(event_type), state, warm)) == facts(decide(event(event_type), state, cold))


def test_a_verdict_remembered_under_one_agreement_version_is_not_reused_for_the_next() -> None:
    policy = load_policy()
    state = apply_access(CaseState(team=team_of(MANAGER)), event("sharing_agreement.updated"))
    [given] = decide(event("trigger.reported"), state, policy)
    newer = agreement(consent="given", version=7).model_dump(mode="json")
    [again] = decide(event("trigger.reported"), apply_access(state, event("sharing_agreement.updated", newer)), policy)
    assert "clinical_notes" in given.fields_shared and "clinical_notes" in again.fields_shared
    assert (given.agreement, again.agreement) == ("DRR-CLINICAL-ISA@2", "DRR-CLINICAL-ISA@7")


def test_a_payload_without_clinical_notes_withholds_nothing_even_after_one_that_had_them() -> None:
    policy, state = load_policy(), CaseState(team=team_of(POLICE))
    [full] = decide(event("trigger.reported"), state, policy)
    lean = {k: v for k, v in event("trigger.reported").payload.model_dump(mode="json").items() if k != "clinical_notes"}
    [plain] = decide(event("trigger.reported", lean), state, policy)
    assert full.notice_fields == ("clinical_notes",) and plain.fields_withheld == () and plain.notice is None


def test_the_roster_follows_the_team_as_it_changes() -> None:
    team = team_of(POLICE)
    assert roster(team) == tuple(team.recipients()) and roster(team) is roster(team)
    left = event("team.member_left", {"practitioner_id": POLICE.practitioner_id})
    assert roster(apply(team, left)) == () and roster(team) == (POLICE,)
