"""The authority rules as a table: who may publish what about a case, and the reason code when not."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from deploy.local.demo_case import clinical_agreement, envelope
from services.intake.authority import CaseFacts, DataHolders, System, accepted, judge, updated
from shared.events import Envelope, parse_event
from shared.examples import EXAMPLES
from shared.policy.loading import load_policy
from shared.roles import Agency

OWNER = System(Agency.PROBATION, "ndelius")
OTHER_PROBATION = System(Agency.PROBATION, "other-region")
POLICE, MH = System(Agency.POLICE, "sys"), System(Agency.MENTAL_HEALTH, "sys")
PANEL, PRISON = System(Agency.PANEL, "sys"), System(Agency.PRISON, "sys")
PRISONS_EVENT, POLICE_EVENT = uuid4(), uuid4()
OPEN = CaseFacts(
    owner=OWNER,
    publishers={PRISONS_EVENT: frozenset({Agency.PRISON}), POLICE_EVENT: frozenset({Agency.POLICE})},
    agreement_versions={"DRR-CLINICAL-ISA": 3},
)
UNOPENED = CaseFacts()
DATA = DataHolders.of(load_policy().spec)


def event(event_type: str, caller: System, payload: dict[str, Any] | None = None) -> Envelope:
    body = envelope("C-1", event_type, payload or example(event_type), caller.agency.value)
    return parse_event(body)


def example(event_type: str) -> dict[str, Any]:
    """The catalogue's example, with a pause that has not run out yet (the example's date is fixed)."""
    payload = dict(EXAMPLES[event_type])
    if event_type == "alerts.paused":
        payload["expires_at"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return payload


def agreement(agreement_id: str = "DRR-CLINICAL-ISA", version: int = 4, **changes: Any) -> dict[str, Any]:
    return {**clinical_agreement(datetime.now(UTC), version=version), "agreement_id": agreement_id, **changes}


def retraction(of: UUID) -> dict[str, Any]:
    return {"retracted_event_id": str(of), "reason": "Sent for the wrong case."}


def correction(of: UUID) -> dict[str, Any]:
    return {"corrected_event_id": str(of), "summary": "The date was wrong."}


OPERATIONAL_ONLY = {"sensitivity_classes": ["operational"], "roles": [], "parties": ["probation", "police"]}
INTELLIGENCE = {"sensitivity_classes": ["intelligence"], "parties": ["police", "probation"]}
BOTH = {"sensitivity_classes": ["clinical", "intelligence"]}

CASES: list[tuple[str, System, str, dict[str, Any] | None, CaseFacts, str | None]] = [  # fmt: skip
    # (why, caller, event type, payload, facts, expected reason or None for allowed)
    ("anyone opens a new case", OWNER, "case.opened", None, UNOPENED, None),
    ("an open case is not opened twice", OWNER, "case.opened", None, OPEN, "case_exists"),
    ("nothing is said about an unopened case", PRISON, "release.scheduled", None, UNOPENED, "case_not_found"),
    ("not even by a would-be owner", OWNER, "case_manager.assigned", None, UNOPENED, "case_not_found"),
    ("any agency reports what it sees on an open case", POLICE, "trigger.reported", None, OPEN, None),
    ("the panel records its decision", PANEL, "panel.decision", None, OPEN, None),
    ("the owner assigns the case manager", OWNER, "case_manager.assigned", None, OPEN, None),
    ("another probation system does not", OTHER_PROBATION, "case_manager.assigned", None, OPEN, "not_case_owner"),
    ("nor does it add team members", OTHER_PROBATION, "team.member_joined", None, OPEN, "not_case_owner"),
    ("nor remove them", OTHER_PROBATION, "team.member_left", None, OPEN, "not_case_owner"),
    ("nor restrict access", OTHER_PROBATION, "case.access_restricted", None, OPEN, "not_case_owner"),
    ("nor close the case", OTHER_PROBATION, "case.closed", None, OPEN, "not_case_owner"),
    ("nor transfer it", OTHER_PROBATION, "case.transferred", None, OPEN, "not_case_owner"),
    ("the owner transfers it", OWNER, "case.transferred", None, OPEN, None),
    ("the owner restricts access", OWNER, "case.access_restricted", None, OPEN, None),
    ("the owner pauses alerts", OWNER, "alerts.paused", None, OPEN, None),
    ("the panel pauses alerts", PANEL, "alerts.paused", None, OPEN, None),
    ("the panel resumes them", PANEL, "alerts.resumed", None, OPEN, None),
    ("another probation system may not pause", OTHER_PROBATION, "alerts.paused", None, OPEN, "not_case_owner"),
    ("nor resume", OTHER_PROBATION, "alerts.resumed", None, OPEN, "not_case_owner"),
    ("the prison retracts its own event", PRISON, "event.retracted", retraction(PRISONS_EVENT), OPEN, None),
    (
        "police may not retract the prison's",
        POLICE,
        "event.retracted",
        retraction(PRISONS_EVENT),
        OPEN,
        "event_not_found",
    ),
    ("not even the owner may", OWNER, "event.retracted", retraction(PRISONS_EVENT), OPEN, "event_not_found"),
    (
        "an id two agencies used is each one's own",
        POLICE,
        "event.retracted",
        retraction(PRISONS_EVENT),
        CaseFacts(OWNER, {PRISONS_EVENT: frozenset({Agency.PRISON, Agency.POLICE})}),
        None,
    ),
    ("an unknown event looks the same", POLICE, "event.retracted", retraction(uuid4()), OPEN, "event_not_found"),
    ("police correct their own event", POLICE, "event.corrected", correction(POLICE_EVENT), OPEN, None),
    (
        "the prison may not correct police's",
        PRISON,
        "event.corrected",
        correction(POLICE_EVENT),
        OPEN,
        "event_not_found",
    ),
    ("mental health records clinical consent", MH, "sharing_agreement.updated", agreement(), OPEN, None),
    ("the owner may not", OWNER, "sharing_agreement.updated", agreement(), OPEN, "not_data_holder"),
    (
        "nor by leaving out the class",
        OWNER,
        "sharing_agreement.updated",
        agreement(sensitivity_classes=[]),
        OPEN,
        "not_data_holder",
    ),  # the policy's rule names the agreement: it opens clinical whatever it says
    ("nor under another name", OWNER, "sharing_agreement.updated", agreement("MY-ISA", 1), OPEN, "not_data_holder"),
    ("version 10^9 is not next", MH, "sharing_agreement.updated", agreement(version=10**9), OPEN, "version_not_next"),
    ("nor is the same version again", MH, "sharing_agreement.updated", agreement(version=3), OPEN, "version_not_next"),
    (
        "a first agreement is version 1",
        MH,
        "sharing_agreement.updated",
        agreement("NEW-ISA", 2),
        OPEN,
        "version_not_next",
    ),
    (
        "police record intelligence agreements",
        POLICE,
        "sharing_agreement.updated",
        agreement("DRR-INTEL", 1, **INTELLIGENCE),
        OPEN,
        None,
    ),
    (
        "mental health does not",
        MH,
        "sharing_agreement.updated",
        agreement("DRR-INTEL", 1, **INTELLIGENCE),
        OPEN,
        "not_data_holder",
    ),
    (
        "one agreement cannot reach two holders' data",
        MH,
        "sharing_agreement.updated",
        agreement("X", 1, **BOTH),
        OPEN,
        "agreement_spans_data_holders",
    ),
    (
        "the owner records an agreement of no held class",
        OWNER,
        "sharing_agreement.updated",
        agreement("OPS", 1, **OPERATIONAL_ONLY),
        OPEN,
        None,
    ),
    (
        "no one else does",
        POLICE,
        "sharing_agreement.updated",
        agreement("OPS", 1, **OPERATIONAL_ONLY),
        OPEN,
        "not_case_owner",
    ),
]


@pytest.mark.parametrize(
    ("why", "caller", "event_type", "payload", "facts", "reason"), CASES, ids=[c[0] for c in CASES]
)  # noqa: E501
def test_the_rule(
    why: str, caller: System, event_type: str, payload: dict[str, Any] | None, facts: CaseFacts, reason: str | None
) -> None:
    refusal = judge(caller, event(event_type, caller, payload), facts, DATA)
    assert (refusal.reason if refusal else None) == reason, why


@pytest.mark.parametrize(
    ("reason", "status"),
    [("case_exists", 409), ("case_not_found", 404), ("event_not_found", 404), ("not_case_owner", 403),
     ("not_data_holder", 403), ("version_not_next", 409), ("agreement_spans_data_holders", 422)],
)  # fmt: skip
def test_each_reason_has_its_status(reason: str, status: int) -> None:
    found = {
        r.reason: r.status
        for why, caller, event_type, payload, facts, _ in CASES
        if (r := judge(caller, event(event_type, caller, payload), facts, DATA))
    }
    assert found[reason] == status


def test_opening_makes_the_caller_owner_and_a_transfer_moves_it() -> None:
    opened = updated(UNOPENED, accepted(OWNER, event("case.opened", OWNER)))
    assert opened.owner == OWNER
    moved = updated(opened, accepted(OWNER, event("case.transferred", OWNER)))
    new_owner = System(Agency.PROBATION, EXAMPLES["case.transferred"]["to_system"])
    assert moved.owner == new_owner
    assert judge(OWNER, event("case.closed", OWNER), moved, DATA) is not None
    assert judge(new_owner, event("case.closed", new_owner), moved, DATA) is None


def test_an_accepted_agreement_makes_the_next_version_next() -> None:
    facts = updated(OPEN, accepted(MH, event("sharing_agreement.updated", MH, agreement(version=4))))
    assert facts.agreement_versions["DRR-CLINICAL-ISA"] == 4
    assert judge(MH, event("sharing_agreement.updated", MH, agreement(version=5)), facts, DATA) is None


def test_an_accepted_event_may_be_followed_up_by_its_publisher() -> None:
    report = event("trigger.reported", POLICE)
    facts = updated(OPEN, accepted(POLICE, report))
    assert judge(POLICE, event("event.retracted", POLICE, retraction(report.event_id)), facts, DATA) is None
