"""decide(): agreements and consent, exclusions, follow-ups, and what every decision names."""

from datetime import timedelta
from typing import Any

import pytest
from policy_cases import ON, agreement, event, member, team_of

from shared.examples import CLINICAL_EXAMPLE
from shared.policy import CaseState, Decision, Reason, apply_access, decide, load_policy
from shared.roles import Agency, Role

POLICY = load_policy()
MANAGER, POLICE, MH = member(Role.CASE_MANAGER), member(Role.POLICE), member(Role.MENTAL_HEALTH)
TEAM = team_of(MANAGER, POLICE, MH)


def by_id(state: CaseState, event_type: str = "trigger.reported", **kw: Any) -> dict[str, Decision]:
    return {d.recipient.practitioner_id: d for d in decide(event(event_type, **kw), state, POLICY)}


def manager_sees_clinical(**agreement_changes: Any) -> tuple[bool, object]:
    state = CaseState(team=TEAM, agreements={"DRR-CLINICAL-ISA": agreement(**agreement_changes)})
    decision = by_id(state)[MANAGER.practitioner_id]
    return "clinical_notes" in decision.fields_shared, decision.withheld_reasons.get("clinical_notes")


def test_the_case_manager_sees_clinical_detail_only_under_an_agreement_in_force_with_consent() -> None:
    assert manager_sees_clinical(consent="given") == (True, None)
    assert manager_sees_clinical(consent="withdrawn") == (False, Reason.CONSENT_NOT_GIVEN)
    assert manager_sees_clinical(valid_to=(ON - timedelta(days=1)).date().isoformat()) == (
        False,
        Reason.AGREEMENT_NOT_IN_FORCE,
    )
    assert manager_sees_clinical(valid_from=(ON + timedelta(days=1)).date().isoformat()) == (
        False,
        Reason.AGREEMENT_NOT_IN_FORCE,
    )
    assert manager_sees_clinical(roles=["probation"]) == (False, Reason.AGREEMENT_DOES_NOT_COVER)
    assert manager_sees_clinical(parties=["mental_health"]) == (False, Reason.AGREEMENT_DOES_NOT_COVER)
    assert by_id(CaseState(team=TEAM))[MANAGER.practitioner_id].withheld_reasons == {
        "clinical_notes": Reason.AGREEMENT_MISSING
    }


def test_a_decision_under_an_agreement_names_it_with_its_version_and_legal_basis() -> None:
    state = CaseState(team=TEAM, agreements={"DRR-CLINICAL-ISA": agreement(consent="given")})
    decision = by_id(state)[MANAGER.practitioner_id]
    assert decision.agreement == "DRR-CLINICAL-ISA@2"
    assert "clinical-to-case-manager-under-agreement" in decision.rule
    assert "Art. 9(2)(a)" in decision.legal_basis and decision.policy_hash == POLICY.hash
    assert decision.payload["clinical_notes"] == CLINICAL_EXAMPLE


def test_withdrawing_consent_takes_effect_for_the_next_event() -> None:
    state = apply_access(CaseState(team=TEAM), event("sharing_agreement.updated"))
    assert "clinical_notes" in by_id(state)[MANAGER.practitioner_id].fields_shared
    withdrawn = {**agreement(consent="withdrawn", version=3).model_dump(mode="json")}
    state = apply_access(state, event("sharing_agreement.updated", withdrawn))
    assert "clinical_notes" not in by_id(state)[MANAGER.practitioner_id].fields_shared
    stale = {**agreement(consent="given", version=2).model_dump(mode="json")}
    assert apply_access(state, event("sharing_agreement.updated", stale)) == state


RESTRICTIONS = [{"excluded_practitioner_ids": ["p-police"]}, {"excluded_agencies": ["police"]}]


@pytest.mark.parametrize("restriction", RESTRICTIONS)
def test_an_excluded_practitioner_or_agency_gets_nothing_not_even_a_notice(restriction: dict[str, object]) -> None:
    state = apply_access(CaseState(team=TEAM), event("case.access_restricted", restriction))
    decision = by_id(state, "risk_assessment.updated")[POLICE.practitioner_id]
    assert decision.payload == {} and decision.notice is None and not decision.shares
    assert decision.reason == Reason.EXCLUDED and decision.legal_basis
    assert by_id(state)[MH.practitioner_id].shares


def test_intelligence_reaches_police_and_only_a_flag_reaches_the_case_manager() -> None:
    decisions = by_id(CaseState(team=team_of(MANAGER, POLICE, MH, member(Role.PROBATION))), "risk_assessment.updated")
    assert "intelligence_detail" in decisions["p-police"].fields_shared
    manager = decisions[MANAGER.practitioner_id]
    assert "intelligence_detail" in manager.notice_fields and "police lead" in manager.notice
    for pid in ("p-probation", "p-mental_health"):
        assert "intelligence_detail" in decisions[pid].fields_withheld
        assert "intelligence_detail" not in decisions[pid].notice_fields


def test_a_retraction_goes_exactly_to_the_recipients_of_the_original() -> None:
    original = event("appointment.missed")
    late_joiner = member(Role.PROBATION)
    state = CaseState(team=team_of(MANAGER, POLICE, late_joiner), sent={str(original.event_id): [MANAGER, MH]})
    payload = {"retracted_event_id": str(original.event_id), "reason": "Wrong case."}
    decisions = decide(event("event.retracted", payload), state, POLICY)
    assert [d.recipient.practitioner_id for d in decisions] == [MANAGER.practitioner_id, MH.practitioner_id]
    assert all(d.shares for d in decisions)
    unknown = {"retracted_event_id": "00000000-0000-0000-0000-000000000009", "reason": "x"}
    assert decide(event("event.retracted", unknown), state, POLICY) == []


def test_a_role_the_policy_gives_nothing_gets_a_reason_and_the_default_rule() -> None:
    lean = POLICY.spec.model_copy(update={"rules": [r for r in POLICY.spec.rules if r.id != "operational-to-team"]})
    from shared.policy.compiled import compile_policy

    policy = compile_policy(lean, "sha256:test")
    [decision] = decide(event("appointment.missed"), CaseState(team=team_of(member(Role.COMMUNITY))), policy)
    assert not decision.shares and decision.reason == Reason.NO_RULE
    assert decision.rule == "default-deny" and "Art. 5(1)(c)" in decision.legal_basis
    [denied] = decide(event("risk_assessment.updated"), CaseState(team=team_of(member(Role.COMMUNITY))), policy)
    assert denied.reason == Reason.DENIED and denied.rule == "deny-risk-to-community-roles"


def test_agency_of_a_recipient_matters_for_exclusion_not_the_role() -> None:
    seconded = member(Role.PROBATION, "p-sec", Agency.POLICE)
    state = CaseState(team=team_of(seconded, MH), access={"excluded_agencies": ["police"]})
    decisions = by_id(state)
    assert decisions["p-sec"].reason == Reason.EXCLUDED
