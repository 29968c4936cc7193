"""The router's pure core: team state from team events, one redacted delivery per member."""

from deploy.local.demo_case import CASE_MANAGER, CLINICAL_NOTES, FORMER_MEMBER, MEMBERS, case_history
from services.router.handling import Outcome
from services.router.handling import handle as handle_with
from shared.audit_records import AuditKind
from shared.digests import DigestKey
from shared.events import Envelope, parse_event
from shared.policy import CaseState, load_policy

POLICY = load_policy()
DIGEST_KEY = DigestKey(bytes(range(32)))


def handle(event: Envelope, state: CaseState) -> Outcome:
    return handle_with(event, state, POLICY, DIGEST_KEY)


def replay(case_id: str = "C-7") -> tuple[CaseState, list[Envelope]]:
    """Fold the team and sharing-state events of the demo history; return the state and the other events."""
    state, others = CaseState(), []
    for raw in case_history(case_id):
        event = parse_event(raw)
        outcome = handle(event, state)
        if outcome.team is not None:
            state = state.model_copy(update={"team": outcome.team})
        elif outcome.state is not None:
            state = outcome.state
        else:
            others.append(event)
    return state, others


def test_team_holds_the_case_manager_and_current_members_only() -> None:
    state, _ = replay()
    team = state.team
    assert team.case_manager is not None and team.case_manager.id == CASE_MANAGER["id"]
    ids = {r.practitioner_id for r in team.recipients()}
    assert ids == {CASE_MANAGER["id"], *(p["id"] for p in MEMBERS.values())}
    assert FORMER_MEMBER["id"] not in ids


def test_a_case_manager_who_leaves_the_team_no_longer_owns_the_case() -> None:
    state, _ = replay()
    left = parse_event(
        {**case_history("C-7")[0], "event_type": "team.member_left", "payload": {"practitioner_id": CASE_MANAGER["id"]}}
    )
    outcome = handle(left, state)
    assert outcome.team is not None and outcome.team.case_manager is None


def test_each_member_gets_one_delivery_and_clinical_notes_only_where_the_policy_allows() -> None:
    state, others = replay()
    trigger = next(e for e in others if e.event_type == "trigger.reported")
    outcome = handle(trigger, state)
    by_role = {d.recipient.role: d for d in outcome.deliveries}
    assert set(by_role) == {"case_manager", "probation", "police", "mental_health"}
    assert by_role["mental_health"].payload["clinical_notes"] == CLINICAL_NOTES
    assert by_role["case_manager"].payload["clinical_notes"] == CLINICAL_NOTES  # under the agreement
    assert by_role["case_manager"].agreement == "DRR-CLINICAL-ISA@1"
    for role in ("probation", "police"):
        assert CLINICAL_NOTES not in by_role[role].model_dump_json()
        assert by_role[role].fields_withheld == ["clinical_notes"]
    assert len({d.delivery_id for d in outcome.deliveries}) == 4


def test_one_audit_record_per_decision_with_digests_not_content() -> None:
    state, others = replay()
    outcome = handle(others[-1], state)
    assert [r.kind for r in outcome.audit] == [AuditKind.SHARING_DECIDED] * len(outcome.deliveries)
    for record, delivery in zip(outcome.audit, outcome.deliveries, strict=True):
        assert record.recipient_id == delivery.recipient.practitioner_id
        assert set(record.field_digests) == set(delivery.payload)
        assert all(d.startswith(DIGEST_KEY.key_id + ":") and len(d) == 73 for d in record.field_digests.values())
        assert delivery.payload["decision"] not in record.model_dump_json()
        assert record.policy_hash == POLICY.hash and record.legal_basis and record.purpose


def test_replaying_an_event_gives_the_same_delivery_and_record_ids() -> None:
    state, others = replay()
    first, again = handle(others[0], state), handle(others[0], state)
    assert [d.delivery_id for d in first.deliveries] == [d.delivery_id for d in again.deliveries]
    assert [r.record_id for r in first.audit] == [r.record_id for r in again.audit]


def test_an_event_for_a_case_without_a_team_is_audited_as_unshared() -> None:
    _, others = replay()
    outcome = handle(others[0], CaseState())
    assert outcome.deliveries == []
    assert [r.outcome for r in outcome.audit] == ["no_team_members"]
