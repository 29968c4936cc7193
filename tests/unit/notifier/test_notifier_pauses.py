"""Case-level pauses with a fake clock: a pause is in force until its expiry, a new one replaces it,
`alerts.resumed` and `case.closed` lift it, the table keeps no free text, and the owner is reminded once,
`remind_before_hours` before expiry (at once for a shorter pause)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from services.notifier.bootstrap import HERE
from services.notifier.policy import load_policy
from services.notifier.priorities import Priority
from services.notifier.schedule.pauses import (
    EXPIRING,
    NEVER_HELD,
    Pauses,
    Pausing,
    active_until,
    fold,
    owner_recipient,
    reminder_due,
)
from shared.events import Envelope, parse_event
from shared.roles import Role
from shared.team import CaseTeam
from tests.unit.notifier.test_notifier_escalation import Harness

RULE = Pauses()
AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OWNER = {"id": "p-owner", "name": "Dana Ortiz", "email": "dana.ortiz@probation.example.org", "agency": "probation"}
REASON = "Hand-over between offices this week."


def event(event_type: str, payload: dict[str, Any], at: datetime = AT, case_id: str = "C-9") -> Envelope:
    return parse_event({
        "event_type": event_type, "occurred_at": at.isoformat(), "case_id": case_id,
        "source": {"agency": "probation", "system": "t"}, "person": {"identifiers": [{"type": "pnc", "value": "1"}]},
        "payload": payload,
    })  # fmt: skip


def pause(hours: float, pause_id: str | None = "pz-1", at: datetime = AT) -> Envelope:
    payload = {"owner": OWNER, "reason": REASON, "expires_at": (at + timedelta(hours=hours)).isoformat()}
    return event("alerts.paused", {**payload, **({"pause_id": pause_id} if pause_id else {})}, at)


def test_a_pause_is_in_force_until_its_expiry_only() -> None:
    state = fold(None, pause(72), RULE)
    assert active_until(state, AT) == AT + timedelta(hours=72)
    assert active_until(state, AT + timedelta(hours=71, minutes=59)) == AT + timedelta(hours=72)
    assert active_until(state, AT + timedelta(hours=72)) is None
    assert active_until(None, AT) is None


def test_a_new_pause_replaces_the_last_and_resumed_or_closed_lift_it() -> None:
    state = fold(fold(None, pause(72), RULE), pause(5, "pz-2"), RULE)
    assert state is not None and state["pause_id"] == "pz-2"
    assert active_until(state, AT + timedelta(hours=6)) is None
    assert fold(state, event("alerts.resumed", {"reason": "Hand-over done."}), RULE) is None
    assert fold(state, event("case.closed", {"reason": "Order ended.", "closed_on": "2026-11-26"}), RULE) is None
    assert fold(state, event("case.opened", {"programme": "DRR", "referral_agency": "prison"}), RULE) is state


def test_the_table_keeps_the_reason_as_a_digest_and_the_event_id_stands_in_for_a_missing_pause_id() -> None:
    paused = pause(72, None)
    state = fold(None, paused, RULE)
    assert state is not None and REASON not in json.dumps(state) and len(state["reason_digest"]) == 64
    assert state["pause_id"] == str(paused.event_id)


def test_the_reminder_falls_due_before_expiry_or_at_once_for_a_short_pause() -> None:
    long_pause = fold(None, pause(72), RULE)
    assert not reminder_due(long_pause, AT + timedelta(hours=47, minutes=59))
    assert reminder_due(long_pause, AT + timedelta(hours=48))
    assert not reminder_due(long_pause, AT + timedelta(hours=72))  # over: too late to remind
    short_pause = fold(None, pause(3), RULE)
    assert reminder_due(short_pause, AT)
    assert reminder_due(fold(None, pause(72), Pauses(remind_before_hours=0)), AT + timedelta(hours=71)) is False


def test_the_owner_is_reminded_with_their_team_role_or_their_agency_role() -> None:
    state = fold(None, pause(3), RULE)
    assert state is not None
    assert owner_recipient(state, CaseTeam()).role is Role.PROBATION
    manager = CaseTeam.model_validate({"case_manager": OWNER})
    assert owner_recipient(state, manager).role is Role.CASE_MANAGER


def test_the_shipped_policy_reminds_a_day_ahead_and_sends_a_pause_at_once() -> None:
    policy = load_policy(HERE / "policy.yaml")
    assert policy.pauses == Pauses(remind_before_hours=24)
    assert policy.priority_of("alerts.paused", {}) is Priority.HIGH


def test_pause_deliveries_are_never_held() -> None:
    assert {"alerts.paused", "alerts.resumed", EXPIRING} == NEVER_HELD


async def test_the_owner_is_reminded_once_even_when_commands_repeat() -> None:
    h = Harness()
    h.clock.current = AT
    table: dict[str, Any] = {}
    pausing = Pausing(RULE, h.clock, table, h.case_teams, h.send)
    h.add(pausing)  # as wired: the one scheduler
    pausing.on_event(pause(30).model_copy(update={"case_id": "C-9"}))
    assert pausing.active_until("C-9", h.clock.now()) == AT + timedelta(hours=30)
    for _ in range(40):
        await h.tick(60)
        for _, raw in h.commands.sent:  # every command again, as after a restart
            await h.scheduler.take(json.loads(raw))
    [email] = h.emails
    assert email.event_type == EXPIRING and email.recipient.email == OWNER["email"] and h.priorities == [Priority.HIGH]
    assert email.payload == {"expires_at": (AT + timedelta(hours=30)).isoformat(), "pause_id": "pz-1"}
    assert email.occurred_at == AT + timedelta(hours=6)  # 24 hours before a 30-hour pause ends
    assert pausing.active_until("C-9", h.clock.now()) is None


async def test_a_command_for_a_replaced_or_lifted_pause_sends_nothing() -> None:
    h = Harness()
    h.clock.current = AT
    table: dict[str, Any] = {}
    pausing = Pausing(RULE, h.clock, table, h.case_teams, h.send)
    pausing.on_event(pause(3))
    h.add(pausing)
    await h.scheduler.sweep()
    [(_, stale)] = h.commands.sent
    pausing.on_event(pause(3, "pz-2"))
    await pausing.take(json.loads(stale))
    pausing.on_event(event("alerts.resumed", {"reason": "Done."}))
    assert "C-9" not in table
    await pausing.take({**json.loads(stale), "pause": "pz-2"})
    assert h.emails == []


async def test_a_pause_that_has_run_out_leaves_the_table_and_a_new_one_is_kept() -> None:
    h = Harness()
    h.clock.current = AT
    table: dict[str, Any] = {}
    pausing = Pausing(RULE, h.clock, table, h.case_teams, h.send)
    h.add(pausing)
    pausing.on_event(pause(2))
    await h.tick(60)  # the reminder (a short pause: at once)
    assert "C-9" in table
    await h.tick(90)  # run out: the sweep asks for it to go, and the command takes it out
    assert "C-9" not in table
    [(_, purge)] = [(k, v) for k, v in h.commands.sent if b"purge" in v]
    pausing.on_event(pause(5, "pz-2", at=h.clock.now()))
    await pausing.take(json.loads(purge))  # a repeat of the old command, e.g. after a restart
    assert table["C-9"]["pause_id"] == "pz-2"
