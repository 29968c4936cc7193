"""Property-based: for random events, teams, agreements and exclusions under the default policy,
no clinical or intelligence field reaches a role the policy does not allow, a non-member or an excluded
practitioner never receives anything, an expired agreement never authorises a share, and every decision
names a rule and a legal basis. 4 properties x 2,500 examples = 10,000 generated cases per run."""

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_cases import ON, agreement, event, member, team_of

from shared.events import Envelope
from shared.examples import EXAMPLES
from shared.payloads import PAYLOADS, SharingAgreementUpdated
from shared.policy import CaseState, decide, load_policy
from shared.roles import Agency, Role
from shared.sensitivity import Sensitivity, sensitivity_of

POLICY = load_policy()
ORIGINAL = str(EXAMPLES["event.retracted"]["retracted_event_id"])  # what the follow-up examples name
EXAMPLES_PER_PROPERTY = 2_500
CASES = settings(max_examples=EXAMPLES_PER_PROPERTY, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALLOWED = {
    Sensitivity.CLINICAL: {Role.MENTAL_HEALTH, Role.CASE_MANAGER},
    Sensitivity.INTELLIGENCE: {Role.POLICE},
    Sensitivity.RISK: {Role.CASE_MANAGER, Role.PROBATION, Role.POLICE, Role.PRISON, Role.MENTAL_HEALTH,
                       Role.PANEL_CHAIR, Role.PANEL_MEMBER},
}  # fmt: skip
"""The default policy's intent, written independently of its YAML."""

roles = st.sampled_from(list(Role))
agencies = st.sampled_from(list(Agency))
POOL = [member(role, f"p-{n}-{role}-{agency}", agency) for n in range(2) for role in Role for agency in Agency]
"""Recipients built once (validating e-mail addresses is slow); every role with every agency, twice."""
members = st.sampled_from(POOL)
unique_members = {"unique_by": lambda m: m.practitioner_id}


def _variants(event_type: str) -> list[Envelope]:
    """The example, and the example with each optional field left out (built once: parsing is slow)."""
    model, example = PAYLOADS[event_type], EXAMPLES[event_type]
    optional = [n for n in sensitivity_of(model) if not model.model_fields[n].is_required() and n in example]
    leaner = [{k: v for k, v in example.items() if k != name} for name in optional]
    return [event(event_type, payload) for payload in [example, *leaner]]


EVENT_POOL = [e for event_type in sorted(PAYLOADS) for e in _variants(event_type)]


@st.composite
def events(draw: st.DrawFn) -> Envelope:
    chosen = draw(st.sampled_from(EVENT_POOL))
    return chosen.model_copy(update={"occurred_at": ON + timedelta(days=draw(st.integers(-400, 400)))})


@st.composite
def agreements(draw: st.DrawFn) -> SharingAgreementUpdated:
    start = ON.date() + timedelta(days=draw(st.integers(-400, 400)))
    changes: dict[str, Any] = {
        "valid_from": start.isoformat(),
        "valid_to": (start + timedelta(days=draw(st.integers(0, 400)))).isoformat(),
        "consent": draw(st.sampled_from(["given", "withdrawn", "not_required"])),
        "roles": draw(st.lists(roles, max_size=3, unique=True)),
        "parties": draw(st.lists(agencies, min_size=1, max_size=4, unique=True)),
    }
    return agreement(**changes)


@st.composite
def states(draw: st.DrawFn) -> CaseState:
    team = team_of(*draw(st.lists(members, max_size=12, unique_by=lambda m: m.practitioner_id)))
    in_force = draw(st.lists(agreements(), max_size=1))
    ids = [m.practitioner_id for m in team.recipients()]
    excluded = draw(st.lists(st.sampled_from(ids), max_size=3)) if ids else []
    access = {
        "excluded_practitioner_ids": excluded,
        "excluded_agencies": draw(st.lists(st.sampled_from(list(Agency)), max_size=2)),
    }
    sent = {
        "5b0e6a3c-6f1e-4a8e-9a38-1a2b3c4d5e6f": draw(
            st.lists(members, max_size=5, unique_by=lambda m: m.practitioner_id)
        )
    }
    return CaseState.model_validate(
        {"team": team, "agreements": {a.agreement_id: a for a in in_force}, "access": access, "sent": sent}
    )


def classes_of(e: Envelope) -> dict[str, Sensitivity]:
    return sensitivity_of(PAYLOADS[e.event_type])


@CASES
@given(events(), states())
def test_restricted_classes_reach_only_the_roles_allowed_them(e: Envelope, state: CaseState) -> None:
    for d in decide(e, state, POLICY):
        for name in d.fields_shared:
            allowed = ALLOWED.get(classes_of(e)[name])
            assert allowed is None or d.recipient.role in allowed, (name, d.recipient.role)


@CASES
@given(events(), states())
def test_non_members_and_excluded_practitioners_receive_nothing(e: Envelope, state: CaseState) -> None:
    team_ids = {r.practitioner_id for r in state.team.recipients()}
    sent_ids = {r.practitioner_id for rs in state.sent.values() for r in rs}
    for d in decide(e, state, POLICY):
        assert d.recipient.practitioner_id in (sent_ids if e.event_type.startswith("event.") else team_ids)
        if state.is_excluded(d.recipient):
            assert not d.shares and d.payload == {} and d.notice is None


@CASES
@given(events(), states())
def test_an_agreement_out_of_its_validity_never_authorises_a_share(e: Envelope, state: CaseState) -> None:
    on = e.occurred_at.date()
    lapsed = {a.agreement_id for a in state.agreements.values() if not (a.valid_from <= on <= (a.valid_to or on))}
    for d in decide(e, state, POLICY):
        assert not (d.agreement and d.agreement.split("@")[0] in lapsed)
        if d.recipient.role is Role.CASE_MANAGER and any(
            classes_of(e)[n] is Sensitivity.CLINICAL for n in d.fields_shared
        ):
            [a] = state.agreements.values()
            assert a.valid_from <= on <= (a.valid_to or on) and a.consent == "given"


@CASES
@given(events(), states())
def test_every_decision_names_a_rule_a_legal_basis_and_the_policy(e: Envelope, state: CaseState) -> None:
    for d in decide(e, state, POLICY):
        assert d.rule and d.legal_basis and d.policy_hash == POLICY.hash
        assert (d.reason is None) == d.shares
        assert set(d.payload) == set(d.fields_shared) and not set(d.fields_shared) & set(d.fields_withheld)
