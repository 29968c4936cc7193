"""The retired first rule, now a shim over the default policy: clinical withheld outside care."""

import pytest

from deploy.local.demo_case import CLINICAL_NOTES, MEDICATION, TREATMENT, case_history
from shared.events import parse_event
from shared.payloads import ReleaseScheduled, TriggerReported
from shared.roles import Role
from shared.sharing import redact


def payload_of(event_type: str) -> object:
    return next(parse_event(e).payload for e in case_history("C-1") if e["event_type"] == event_type)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.MENTAL_HEALTH])
def test_clinical_notes_reach_no_role_but_mental_health(role: Role) -> None:
    payload = payload_of("trigger.reported")
    assert isinstance(payload, TriggerReported)
    shared, withheld, notice = redact(payload, role)
    assert "clinical_notes" not in shared and "clinical_notes" in withheld
    assert CLINICAL_NOTES not in str(shared)
    assert notice is not None and "mental-health" in notice


def test_mental_health_sees_the_clinical_notes() -> None:
    payload = payload_of("trigger.reported")
    shared, withheld, notice = redact(payload, Role.MENTAL_HEALTH)  # type: ignore[arg-type]
    assert shared["clinical_notes"] == CLINICAL_NOTES


def test_release_treatment_and_medication_are_withheld_from_police() -> None:
    payload = payload_of("release.scheduled")
    assert isinstance(payload, ReleaseScheduled)
    shared, withheld, _ = redact(payload, Role.POLICE)
    assert sorted(withheld) == ["medication", "treatment_in_custody"]
    assert TREATMENT not in str(shared) and MEDICATION not in str(shared)
    assert shared["licence_conditions"] == payload.licence_conditions
    assert list(shared) == ["release_date", "establishment", "licence_conditions", "residual_risk"]


def test_an_empty_clinical_field_is_not_reported_as_withheld() -> None:
    payload = TriggerReported.model_validate({**payload_of("trigger.reported").model_dump(), "clinical_notes": None})  # type: ignore[attr-defined]
    _, withheld, notice = redact(payload, Role.POLICE)
    assert withheld == [] and notice is None
