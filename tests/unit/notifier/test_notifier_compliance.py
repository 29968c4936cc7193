"""Compliance patterns: two misses within 30 days alert once; the window, a redelivery and the
`attended_resets` rule behave as the data says; the alert lists operational fields only."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from services.notifier.bootstrap import HERE
from services.notifier.compliance import MissedAppointments, compliance_delivery, fold, recipients
from services.notifier.policy import load_policy
from shared.deliveries import Recipient
from shared.events import Envelope, parse_event
from shared.payloads import Practitioner
from shared.roles import Agency, Role
from shared.team import CaseTeam
from tests.unit.notifier.fakes import renderer

RULE = MissedAppointments()
PERSON = {"identifiers": [{"type": "pnc", "value": "2001/12345A"}]}


def attendance(kind: str, at: str, appointment_type: str = "probation supervision") -> Envelope:
    when = {"scheduled_at": at} if kind == "missed" else {"attended_at": at}
    payload = {"appointment_id": str(uuid4()), "appointment_type": appointment_type, "agency": "probation", **when}
    if kind == "missed":
        payload["reason"] = "Said he was at the hospital with his mother."
    return parse_event({
        "event_id": str(uuid4()), "event_type": f"appointment.{kind}", "occurred_at": at, "case_id": "C-5",
        "source": {"agency": "probation", "system": "t"}, "person": PERSON, "payload": payload,
    })  # fmt: skip


def run(events: list[Envelope], rule: MissedAppointments = RULE) -> tuple[dict[str, Any], list[list[dict[str, Any]]]]:
    state: dict[str, Any] = {}
    patterns = []
    for event in events:
        state, pattern = fold(state, event, rule)
        if pattern:
            patterns.append(pattern)
    return state, patterns


def test_the_shipped_rule_is_two_misses_in_thirty_days() -> None:
    rule = load_policy(HERE / "policy.yaml").missed_appointments
    assert (rule.count, rule.window_days, rule.attended_resets) == (2, 30, False)


def test_two_misses_within_the_window_make_one_pattern_listing_both() -> None:
    _, patterns = run(
        [attendance("missed", "2026-11-01T09:00:00+00:00"), attendance("missed", "2026-11-20T09:00:00+00:00")]
    )
    [pattern] = patterns
    assert [m["scheduled_at"][:10] for m in pattern] == ["2026-11-01", "2026-11-20"]


def test_misses_further_apart_than_the_window_make_none() -> None:
    _, patterns = run(
        [attendance("missed", "2026-10-01T09:00:00+00:00"), attendance("missed", "2026-11-20T09:00:00+00:00")]
    )
    assert patterns == []


def test_after_a_pattern_two_new_misses_are_needed() -> None:
    days = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    _, patterns = run([attendance("missed", f"{d}T09:00:00+00:00") for d in days])
    assert len(patterns) == 2


def test_a_redelivered_miss_is_not_counted_twice() -> None:
    miss = attendance("missed", "2026-11-01T09:00:00+00:00")
    _, patterns = run([miss, miss])
    assert patterns == []


def test_attendance_resets_only_when_the_rule_says_so() -> None:
    events = [
        attendance("missed", "2026-11-01T09:00:00+00:00"),
        attendance("attended", "2026-11-05T09:00:00+00:00"),
        attendance("missed", "2026-11-10T09:00:00+00:00"),
    ]
    assert len(run(events)[1]) == 1
    assert run(events, MissedAppointments(attended_resets=True))[1] == []


def test_the_alert_goes_to_the_case_manager_and_chair_with_operational_fields_only() -> None:
    manager = Practitioner(id="cm", name="Sam", email="sam@probation.example", agency=Agency.PROBATION)
    chair = Recipient(practitioner_id="ch", name="Pat", email="pat@la.example", agency=Agency.SOCIAL_CARE,
                      role=Role.PANEL_CHAIR)  # fmt: skip
    police = Recipient(practitioner_id="po", name="Ira", email="ira@police.example", agency=Agency.POLICE,
                       role=Role.POLICE)  # fmt: skip
    team = CaseTeam(case_manager=manager, members={"ch": chair, "po": police})
    assert {r.practitioner_id for r in recipients(team, RULE)} == {"cm", "ch"}
    _, [pattern] = run([attendance("missed", "2026-11-01T09:00:00+00:00", "mentoring session"),
                        attendance("missed", "2026-11-20T09:00:00+00:00")])  # fmt: skip
    now = datetime(2026, 11, 25, tzinfo=UTC)
    one, again = compliance_delivery("C-5", pattern, chair, now), compliance_delivery("C-5", pattern, chair, now)
    assert one.delivery_id == again.delivery_id and one.person == {}
    email = renderer().render(one, load_policy(HERE / "policy.yaml").priority_of(one.event_type, one.payload))
    assert "mentoring session" in email.body and "probation supervision" in email.body
    assert "hospital" not in one.model_dump_json() and "2001/12345A" not in email.body
