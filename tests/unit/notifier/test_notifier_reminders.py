"""Release countdown and panel follow-up with a fake clock: T-28/T-7/T-1 fall due on their days, a
reschedule moves them, a cancellation cancels them, the mental-health role's carries the handover
checklist, and the panel is reminded 7 days before the next review."""

import json
from datetime import UTC, datetime
from typing import Any

from services.notifier.priorities import Priority
from services.notifier.schedule.reminders import Reminders, Reminding, due, fold, recipients, reminder_delivery, taken
from shared.deliveries import Recipient
from shared.events import Envelope, parse_event
from shared.roles import Agency, Role
from shared.team import CaseTeam
from tests.unit.notifier.fakes import FakeClock, renderer

RULE = Reminders()


def event(event_type: str, payload: dict[str, Any]) -> Envelope:
    return parse_event({
        "event_type": event_type, "occurred_at": "2026-11-01T09:00:00+00:00", "case_id": "C-3",
        "source": {"agency": "prison", "system": "t"}, "person": {"identifiers": [{"type": "pnc", "value": "1"}]},
        "payload": payload,
    })  # fmt: skip


SCHEDULED = event("release.scheduled", {"release_date": "2027-01-30", "establishment": "HMP Example",
                                        "medication": "Sertraline 50 mg"})  # fmt: skip


def walk(state: dict[str, Any], clock: FakeClock, days: int) -> list[tuple[str, int, str]]:
    """Advance a day at a time, taking whatever falls due; (kind, days_before, date taken)."""
    seen = []
    for _ in range(days):
        clock.advance(86400)
        for kind, n in due(state, RULE, clock.now()):
            seen.append((kind, n, clock.now().date().isoformat()))
            state = taken(state, kind, n)
    return seen


def test_the_countdown_falls_due_at_t_minus_28_7_and_1_days() -> None:
    clock = FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    state = fold({}, SCHEDULED, RULE, clock.now())
    assert walk(state, clock, 70) == [
        ("release", 28, "2027-01-02"), ("release", 7, "2027-01-23"), ("release", 1, "2027-01-29"),
    ]  # fmt: skip


def test_a_reschedule_moves_the_reminders_and_past_ones_are_not_sent_late() -> None:
    clock = FakeClock(datetime(2027, 1, 10, 12, 0, tzinfo=UTC))  # T-28 of the first date already past
    state = fold({}, SCHEDULED, RULE, clock.now())
    state = fold(state, event("release.rescheduled", {"release_date": "2027-02-20"}), RULE, clock.now())
    assert walk(state, clock, 60) == [
        ("release", 28, "2027-01-23"), ("release", 7, "2027-02-13"), ("release", 1, "2027-02-19"),
    ]  # fmt: skip


def test_a_cancellation_cancels_the_countdown() -> None:
    clock = FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    state = fold({}, SCHEDULED, RULE, clock.now())
    state = fold(state, event("release.cancelled", {"reason": "Parole board deferred."}), RULE, clock.now())
    assert walk(state, clock, 70) == []


def test_the_panel_is_reminded_seven_days_before_the_next_review() -> None:
    clock = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    decision = {"panel_date": "2026-11-18", "decision": "Continue", "rationale": "Stable.",
                "next_review_date": "2026-12-16"}  # fmt: skip
    state = fold({}, event("panel.decision", decision), RULE, clock.now())
    assert walk(state, clock, 40) == [("panel", 7, "2026-12-09")]


def test_reminders_are_idempotent_and_the_mental_health_role_gets_the_handover_checklist() -> None:
    now = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)
    state = fold({}, SCHEDULED, RULE, datetime(2026, 12, 1, tzinfo=UTC))
    nurse = Recipient(practitioner_id="mh", name="Ada", email="ada@nhs.example", agency=Agency.MENTAL_HEALTH,
                      role=Role.MENTAL_HEALTH)  # fmt: skip
    officer = Recipient(practitioner_id="po", name="Ira", email="ira@police.example", agency=Agency.POLICE,
                        role=Role.POLICE)  # fmt: skip
    mh = reminder_delivery("C-3", "release", state, 28, nurse, now)
    assert mh.delivery_id == reminder_delivery("C-3", "release", state, 28, nurse, now).delivery_id
    assert "care_handover_checklist" in mh.payload
    assert "care_handover_checklist" not in reminder_delivery("C-3", "release", state, 28, officer, now).payload
    body = renderer().render(mh, Priority.HIGH).body
    assert "Medication: supply on release" in body and "Sertraline" not in body
    team = CaseTeam(members={"mh": nurse, "po": officer})
    assert {r.practitioner_id for r in recipients("release", team)} == {"mh", "po"}
    assert recipients("panel", team) == []


def test_a_closed_case_has_no_reminders() -> None:
    state = fold({}, SCHEDULED, RULE, datetime(2026, 12, 1, tzinfo=UTC))
    assert (
        fold(
            state,
            event("case.closed", {"reason": "Order ended.", "closed_on": "2026-12-02"}),
            RULE,
            datetime(2026, 12, 2, tzinfo=UTC),
        )
        == {}
    )


async def test_the_reminders_table_is_swept_and_each_reminder_taken_once() -> None:
    from tests.unit.notifier.test_notifier_escalation import Harness

    h = Harness()  # a team with a panel chair only; the harness records what would be sent
    h.clock.current = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    table: dict[str, Any] = {}
    reminding = Reminding(RULE, h.clock, table, h.case_teams, h.send)
    reminding.on_event(event("release.scheduled", {"release_date": "2027-01-30", "establishment": "HMP Example"})
                       .model_copy(update={"case_id": "C-9"}))  # fmt: skip
    h.add(reminding)  # as wired: the one scheduler
    for _ in range(70):
        await h.tick(24 * 60)
        for _, raw in h.commands.sent:  # every command again, as after a restart
            await h.scheduler.take(json.loads(raw))
    assert [(d.event_type, d.payload["days_to_go"]) for d in h.emails] == [
        ("release.reminder", 28), ("release.reminder", 7), ("release.reminder", 1),
    ]  # fmt: skip
    assert table["C-9"]["release"]["pending"] == []
