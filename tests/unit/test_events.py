"""The wire contract: what agency systems may rely on."""

from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from deploy.local.demo_case import case_history
from shared.events import EVENT_MODELS, parse_event, parse_event_json
from shared.payloads import PAYLOADS, Practitioner, TriggerReported
from shared.sensitivity import Sensitivity, classed, sensitivity_of


def trigger(**overrides: object) -> dict[str, object]:
    event = next(e for e in case_history("C-1") if e["event_type"] == "trigger.reported")
    return {**event, **overrides}


def test_every_event_of_the_demo_history_parses_into_its_own_payload_model() -> None:
    for raw in case_history("C-1"):
        event = parse_event(raw)
        assert isinstance(event.payload, PAYLOADS[raw["event_type"]])


def test_intake_assigns_an_event_id_when_absent_and_keeps_a_given_one() -> None:
    assigned = parse_event(trigger())
    given = parse_event(trigger(event_id="5b0e6a3c-6f1e-4a8e-9a38-1a2b3c4d5e6f"))
    assert isinstance(assigned.event_id, UUID)
    assert parse_event(trigger()).event_id != assigned.event_id
    assert str(given.event_id) == "5b0e6a3c-6f1e-4a8e-9a38-1a2b3c4d5e6f"


def test_occurred_at_needs_a_timezone_and_is_stored_as_utc() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        parse_event(trigger(occurred_at="2026-03-01T10:00:00"))
    event = parse_event(trigger(occurred_at="2026-03-01T10:00:00+02:00"))
    assert event.occurred_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() is not None and event.occurred_at.tzinfo == UTC


def test_json_names_are_exactly_the_contract() -> None:
    event = parse_event(trigger())
    dumped = event.model_dump(mode="json")
    assert set(dumped) == {
        "event_id",
        "event_type",
        "version",
        "occurred_at",
        "source",
        "case_id",
        "person",
        "correlation_id",
        "payload",
    }
    assert dumped["version"] == 1
    assert parse_event_json(event.model_dump_json()) == event


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_type": "trigger.unknown"}, "event_type"),
        ({"case_id": ""}, "case_id"),
        ({"source": {"agency": "ministry_of_magic", "system": "x"}}, "source"),
        ({"person": {"identifiers": []}}, "person"),
        ({"payload": {"trigger_type": "bereavement"}}, "payload"),
        ({"unexpected": 1}, "unexpected"),
        ({"version": 0}, "version"),
    ],
)
def test_bad_input_is_refused_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(trigger(**overrides))
    assert any(field in map(str, e["loc"]) or field in str(e["msg"]) for e in caught.value.errors())


def test_a_payload_of_another_event_type_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_event(trigger(event_type="appointment.missed"))


def test_every_payload_field_declares_its_sensitivity_class() -> None:
    for event_type, model in PAYLOADS.items():
        classes = sensitivity_of(model)
        assert set(classes) == set(model.model_fields), event_type
    assert set(EVENT_MODELS) == set(PAYLOADS)


def test_a_field_without_a_class_is_caught() -> None:
    class Careless(BaseModel):
        known: str = classed(Sensitivity.OPERATIONAL)
        forgotten: str

    with pytest.raises(TypeError, match="forgotten"):
        sensitivity_of(Careless)


def test_clinical_fields_are_classed_clinical() -> None:
    classes = sensitivity_of(TriggerReported)
    assert classes["clinical_notes"] is Sensitivity.CLINICAL
    assert classes["severity"] is Sensitivity.OPERATIONAL


def test_practitioner_email_is_validated() -> None:
    with pytest.raises(ValidationError):
        Practitioner(id="p", name="n", email="not-an-address", agency="police")  # type: ignore[arg-type]


def test_every_event_type_has_an_example_that_validates() -> None:
    from shared.examples import EXAMPLES

    assert set(EXAMPLES) == set(PAYLOADS)
    for event_type, example in EXAMPLES.items():
        PAYLOADS[event_type].model_validate(example)


def _pause(expires_at: str, occurred_at: str = "2026-11-25T09:00:00+00:00") -> dict[str, object]:
    owner = {"id": "p-1", "name": "Dana Ortiz", "email": "dana@probation.example.org", "agency": "probation"}
    return {
        "event_type": "alerts.paused",
        "occurred_at": occurred_at,
        "source": {"agency": "probation", "system": "t"},
        "case_id": "C-1",
        "person": {"identifiers": [{"type": "pnc", "value": "1"}]},
        "payload": {"owner": owner, "reason": "Hand-over this week.", "expires_at": expires_at},
    }


@pytest.mark.parametrize(
    ("expires_at", "error_type"),
    [
        ("2026-11-25T08:59:00+00:00", "pause_expiry_not_in_future"),
        ("2026-11-25T09:00:00+00:00", "pause_expiry_not_in_future"),
        ("2026-12-25T09:00:01+00:00", "pause_too_long"),
    ],
)
def test_a_pause_must_end_after_it_begins_and_within_the_maximum(expires_at: str, error_type: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(_pause(expires_at))
    assert [e["type"] for e in caught.value.errors()] == [error_type]


def test_a_pause_of_exactly_the_maximum_is_accepted_and_owner_reason_and_expiry_are_required() -> None:
    assert parse_event(_pause("2026-12-25T09:00:00+00:00")).payload.expires_at.day == 25
    for name in ("owner", "reason", "expires_at"):
        raw = _pause("2026-11-26T09:00:00+00:00")
        del raw["payload"][name]  # type: ignore[attr-defined]
        with pytest.raises(ValidationError):
            parse_event(raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occurred_at", "0001-01-01T00:00:00+14:00"),  # its UTC time is before year 1: astimezone overflowed
        ("occurred_at", "9999-12-31T23:59:59-14:00"),
        ("occurred_at", "1899-12-31T23:59:59+00:00"),
        ("version", 2**31),
        ("version", 0),
    ],
)
def test_numbers_and_moments_out_of_range_are_validation_errors_not_overflows(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as error:
        parse_event(trigger(**{field: value}))
    assert [e["loc"][-1] for e in error.value.errors()] == [field]


def test_the_bounds_themselves_are_accepted_and_payload_dates_are_bounded_too() -> None:
    event = parse_event(trigger(version=2**31 - 1, occurred_at="2200-12-31T23:59:59-14:00"))
    assert event.version == 2**31 - 1 and event.occurred_at.year == 2201  # the bound is on the year as sent
    panel = next(e for e in case_history("C-1") if e["event_type"] == "panel.decision")
    action = {**panel["payload"]["actions"][0], "due_date": "0001-01-01"}
    with pytest.raises(ValidationError, match="year_out_of_range|year must be"):
        parse_event({**panel, "payload": {**panel["payload"], "actions": [action]}})
