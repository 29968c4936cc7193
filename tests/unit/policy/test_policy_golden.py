"""Golden decision tables: for each event type and each role, exactly what the default policy shares
and withholds, in one readable file per event type (tests/unit/policy/golden/EVENT_TYPE.md).

A change to the policy or the catalogue that changes who learns what fails here until a person has
read the new table: regenerate with `DRR_UPDATE_GOLDEN=1 pytest tests/unit/policy`, review the diff.
"""

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from shared.deliveries import Recipient
from shared.events import parse_event
from shared.examples import EXAMPLES
from shared.payloads import PAYLOADS, SharingAgreementUpdated
from shared.policy import CaseState, decide, load_policy
from shared.policy.explaining import markdown_table
from shared.roles import Agency, Role
from shared.team import CaseTeam

GOLDEN = Path(__file__).parent / "golden"
POLICY = load_policy()
ON = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ORIGINAL = "5b0e6a3c-6f1e-4a8e-9a38-1a2b3c4d5e6f"  # the event the retraction/correction examples name
AGENCY = {Role.CASE_MANAGER: Agency.PROBATION, Role.PANEL_CHAIR: Agency.PANEL, Role.PANEL_MEMBER: Agency.PANEL}


def member(role: Role) -> Recipient:
    agency = AGENCY[role] if role in AGENCY else Agency(role.value)
    email = f"{role}@example.org"
    return Recipient(practitioner_id=f"p-{role}", name=f"{role} lead", email=email, agency=agency, role=role)


def team() -> CaseTeam:
    return CaseTeam(members={m.practitioner_id: m for m in map(member, Role)})


def agreement(consent: str) -> SharingAgreementUpdated:
    raw = {**EXAMPLES["sharing_agreement.updated"], "consent": consent, "valid_from": "2026-11-01"}
    return SharingAgreementUpdated.model_validate(raw)


def state(agreements: list[SharingAgreementUpdated]) -> CaseState:
    members = team()
    in_force = {a.agreement_id: a for a in agreements}
    return CaseState(team=members, agreements=in_force, sent={ORIGINAL: members.recipients()})


SCENARIOS: list[tuple[str, CaseState]] = [
    ("no agreement in force", state([])),
    ("DRR-CLINICAL-ISA@2 in force, consent given", state([agreement("given")])),
    ("DRR-CLINICAL-ISA@2 in force, consent withdrawn", state([agreement("withdrawn")])),
]


def event(event_type: str) -> Any:
    return parse_event(
        {
            "event_id": str(UUID(int=1)),
            "event_type": event_type,
            "occurred_at": ON.isoformat(),
            "source": {"agency": "probation", "system": "golden"},
            "case_id": "C-GOLDEN",
            "person": {"identifiers": [{"type": "nomis", "value": "A1234BC"}]},
            "payload": EXAMPLES[event_type],
        }
    )


def golden_text(event_type: str) -> str:
    parts = [
        f"# {event_type}: decisions under the default policy\n\n",
        "The example payload from `shared/examples.py`, a team with one practitioner per role, "
        f"the event on {ON.date()}.\n",
    ]
    for title, case_state in SCENARIOS:
        parts += [f"\n## {title}\n\n", markdown_table(decide(event(event_type), case_state, POLICY))]
    return "".join(parts)


@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_decisions_match_the_golden_table(event_type: str) -> None:
    path = GOLDEN / f"{event_type}.md"
    text = golden_text(event_type)
    if os.environ.get("DRR_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"no golden table for {event_type}: run with DRR_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text()


def test_every_golden_file_names_an_event_type_of_the_catalogue() -> None:
    assert {p.stem for p in GOLDEN.glob("*.md")} == set(PAYLOADS)


def test_the_agreement_scenarios_are_in_force_on_the_event_date() -> None:
    chosen = agreement("given")
    assert chosen.valid_from <= ON.date() <= (chosen.valid_to or date.max)
    assert ON.date() + timedelta(days=1) > chosen.valid_from
