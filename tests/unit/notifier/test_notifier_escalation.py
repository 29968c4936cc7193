"""Escalation with a fake clock and plain dicts for the tables: rules, the chain and its loops, what an
escalation email may carry, and that a repeated or late step sends nothing twice."""

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.notifier.bootstrap import HERE
from services.notifier.policy import load_policy
from services.notifier.priorities import Priority
from services.notifier.schedule.chases import Chasing, chases
from services.notifier.schedule.escalation import AlertWatch, Escalation, escalation_delivery, pending_for
from services.notifier.schedule.ownership import Ownership
from services.notifier.schedule.panel_actions import PanelActions
from services.notifier.schedule.reminders import Reminders
from services.notifier.schedule.scheduler import Kind, Scheduler, kind_of
from services.notifier.schedule.teams import CaseTeams
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.events import Envelope, parse_event
from shared.payloads import Practitioner
from shared.roles import Agency, Role
from shared.team import CaseTeam
from tests.unit.notifier.fakes import FakeClock, FakeTable

POLICY = Escalation.model_validate(
    {
        "rules": [{"event_type": "trigger.reported", "severities": ["critical"], "after_minutes": 30}],
        "chain": ["panel_chair", "duty_manager"],
        "duty_managers": {"probation": "duty@probation.example"},
        "loops": 2,
    }
)
CHAIR = Practitioner(id="chair-1", name="Pat Chair", email="chair@la.example", agency=Agency.SOCIAL_CARE)


def alert(severity: str = "critical", event_id: UUID | None = None, to: str = "cm-1") -> Delivery:
    event_id = event_id or uuid4()
    recipient = Recipient(
        practitioner_id=to, name="Sam", email="sam@probation.example", agency=Agency.PROBATION,
        role=Role.CASE_MANAGER,
    )  # fmt: skip
    payload = {"trigger_type": "bereavement", "severity": severity, "description": "Father died.",
               "clinical_notes": "Low mood."}  # fmt: skip
    return Delivery(
        delivery_id=delivery_id_for(event_id, to), event_id=event_id, event_type="trigger.reported",
        case_id="C-9", occurred_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        person={"identifiers": [{"type": "pnc", "value": "99"}]}, recipient=recipient, payload=payload,
        fields_withheld=[], rule="team_member",
    )  # fmt: skip


class Recording:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []

    async def send(self, *, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))


class Harness:
    """The chase kind on one scheduler, as app.build wires them, over plain dicts; more kinds can be added."""

    def __init__(self, panel: PanelActions | None = None, at_hour_utc: int = Reminders().at_hour_utc) -> None:
        self.clock = FakeClock()
        self.pending = FakeTable()
        self.acks: dict[str, Any] = {}
        team = CaseTeam(members={"chair-1": Recipient(
            practitioner_id="chair-1", name=CHAIR.name, email=CHAIR.email, agency=CHAIR.agency, role=Role.PANEL_CHAIR
        )})  # fmt: skip
        self.commands, self.audit = Recording(), Recording()
        self.teams: dict[str, Any] = {"C-9": team.model_dump(mode="json")}
        self.case_teams = CaseTeams(self.teams)
        self.alerts = AlertWatch(self.pending, POLICY, self.clock, 60.0)
        self.chasing = Chasing(
            self.pending, chases(POLICY, Ownership(), self.acks), self.case_teams, self.send, self.audit, self.clock,
            unit_s=60.0, owners=Ownership(), panel=panel or PanelActions(), at_hour_utc=at_hour_utc,
        )  # fmt: skip
        self.kinds: list[Kind] = [self.chasing]
        self.emails: list[Delivery] = []
        self.priorities: list[Priority] = []

    @property
    def scheduler(self) -> Scheduler:
        return Scheduler(self.commands, self.clock, self.kinds)

    def add(self, kind: Kind) -> None:
        """Another kind on the same scheduler, ahead of the chases (as app.build orders them)."""
        self.kinds.insert(len(self.kinds) - 1, kind)

    async def send(self, delivery: Delivery, priority: Priority) -> None:
        self.emails.append(delivery)
        self.priorities.append(priority)

    async def tick(self, minutes: float) -> None:
        """Advance the clock, sweep, and feed every command the sweep produced to the agent."""
        self.clock.advance(minutes * 60)
        self.commands.sent.clear()
        await self.scheduler.sweep()
        for _, raw in list(self.commands.sent):
            await self.scheduler.take(json.loads(raw))


def test_the_shipped_policy_escalates_critical_triggers_only() -> None:
    policy = load_policy(HERE / "policy.yaml").escalation
    assert policy.rule_for("trigger.reported", {"severity": "critical"}) is not None
    assert policy.rule_for("trigger.reported", {"severity": "high"}) is None


def test_only_covered_alerts_are_watched() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert pending_for(alert("high"), POLICY, now, 60) is None
    entry = pending_for(alert(), POLICY, now, 60)
    assert entry is not None and entry["due"] == "2026-11-25T09:30:00+00:00"


def test_a_one_minute_unit_of_one_second_makes_minutes_seconds() -> None:
    entry = pending_for(alert(), POLICY, datetime(2026, 11, 25, 9, 0, tzinfo=UTC), 1)
    assert entry is not None and entry["due"] == "2026-11-25T09:00:30+00:00"


async def test_nothing_happens_before_the_window_ends() -> None:
    h = Harness()
    h.alerts.watch(alert(), sent=True)
    await h.tick(29)
    assert h.emails == [] and h.commands.sent == []


async def test_the_chain_is_walked_level_by_level_and_looped_then_stops() -> None:
    h = Harness()
    h.alerts.watch(alert(), sent=True)
    addresses = []
    for _ in range(6):
        await h.tick(30)
        addresses.append([str(d.recipient.email) for d in h.emails])
        h.emails.clear()
    chair, duty = ["chair@la.example"], ["duty@probation.example"]
    assert addresses == [chair, duty, chair, duty, [], []]
    assert set(h.priorities) == {Priority.CRITICAL}
    assert h.pending == {}
    assert len(h.audit.sent) == 4


async def test_an_acknowledged_alert_does_not_escalate() -> None:
    h = Harness()
    delivery = alert()
    h.alerts.watch(delivery, sent=True)
    h.acks[str(delivery.delivery_id)] = {"delivery_id": str(delivery.delivery_id)}
    await h.tick(31)
    assert h.emails == [] and h.pending == {}


async def test_an_acknowledgement_between_levels_stops_the_chain() -> None:
    h = Harness()
    delivery = alert()
    h.alerts.watch(delivery, sent=True)
    await h.tick(30)
    h.acks[str(delivery.delivery_id)] = {}
    await h.tick(30)
    assert [str(d.recipient.email) for d in h.emails] == ["chair@la.example"]


async def test_a_repeated_command_sends_nothing_twice() -> None:
    h = Harness()
    h.alerts.watch(alert(), sent=True)
    await h.tick(30)
    first = list(h.emails)
    for _, raw in h.commands.sent:  # the same command again, as after a restart before its offset was committed
        await h.scheduler.take(json.loads(raw))
    assert h.emails == first


def test_a_dead_lettered_alert_is_not_watched() -> None:
    h = Harness()
    h.alerts.watch(alert(), sent=False)
    assert h.pending == {}


def test_an_escalation_email_ids_are_stable_and_carry_no_alert_content() -> None:
    entry = pending_for(alert(), POLICY, datetime(2026, 11, 25, 9, 0, tzinfo=UTC), 60)
    assert entry is not None
    chair = Recipient(practitioner_id="chair-1", name="P", email="c@x.example", agency=Agency.POLICE,
                      role=Role.PANEL_CHAIR)  # fmt: skip
    later = datetime(2026, 11, 25, 9, 45, tzinfo=UTC)
    one, two = escalation_delivery(entry, chair, later), escalation_delivery(entry, chair, later)
    assert one.delivery_id == two.delivery_id
    assert one.person == {}
    assert set(one.payload) == {
        "alert_id", "alert_type", "sent_at", "unacknowledged_for_minutes", "escalation_level"
    }  # fmt: skip
    assert one.payload["unacknowledged_for_minutes"] == 45
    text = one.model_dump_json()
    assert "Father died" not in text and "Low mood" not in text and "bereavement" not in text


def test_a_chain_level_must_be_a_role_or_the_duty_manager() -> None:
    with pytest.raises(ValueError, match="chain"):
        Escalation.model_validate({"chain": ["janitor"]})


async def test_acknowledging_an_escalation_email_stops_the_chain() -> None:
    h = Harness()
    h.alerts.watch(alert(), sent=True)
    await h.tick(30)
    [escalation] = h.emails
    h.acks[str(escalation.delivery_id)] = {}
    await h.tick(30)
    assert h.emails == [escalation] and h.pending == {}


async def test_an_acknowledgement_by_any_recipient_of_the_alert_counts() -> None:
    h = Harness()
    first = alert()
    second = alert(event_id=first.event_id, to="pol-1")
    h.alerts.watch(first, sent=True)
    h.alerts.watch(second, sent=True)
    h.alerts.watch(second, sent=True)  # redelivered: no second entry
    assert len(h.pending) == 1
    h.acks[str(second.delivery_id)] = {}
    await h.tick(30)
    assert h.emails == [] and h.pending == {}


def case_event(event_type: str, payload: dict[str, Any], case_id: str = "C-9") -> Envelope:
    return parse_event({
        "event_type": event_type, "occurred_at": "2026-11-25T09:00:00+00:00", "case_id": case_id,
        "source": {"agency": "probation", "system": "t"}, "person": {"identifiers": [{"type": "pnc", "value": "1"}]},
        "payload": payload,
    })  # fmt: skip


MISSED = {"appointment_id": "a", "appointment_type": "supervision", "agency": "probation",
          "scheduled_at": "2026-11-25T09:00:00+00:00", "reason": "Unwell."}  # fmt: skip
MANAGER = {"id": "cm-1", "name": "Sam", "email": "sam@probation.example", "agency": "probation"}


async def on_event(h: Harness, event: Envelope) -> None:
    h.case_teams.fold(event)
    await h.chasing.check_owner(event)


async def test_an_event_on_an_unowned_case_alerts_the_chair_at_once_and_repeats_until_assigned() -> None:
    h = Harness()
    await on_event(h, case_event("appointment.missed", MISSED))
    assert [str(d.recipient.email) for d in h.emails] == ["chair@la.example"]
    assert "Unwell" not in h.emails[0].model_dump_json()
    await on_event(h, case_event("appointment.missed", MISSED))  # already reminded: no second entry
    assert len(h.emails) == 1
    await h.tick(60)
    await h.tick(60)
    assert len(h.emails) == 3 and len({d.delivery_id for d in h.emails}) == 3
    await on_event(h, case_event("case_manager.assigned", {"practitioner": MANAGER}))
    await h.tick(60)
    assert len(h.emails) == 3 and h.pending == {}


async def test_structural_events_do_not_count_as_unowned_and_no_chair_means_the_duty_manager() -> None:
    h = Harness()
    await on_event(h, case_event("case.opened", {"programme": "DRR", "referral_agency": "prison"}, "C-NEW"))
    assert h.emails == []
    await on_event(h, case_event("appointment.missed", MISSED, "C-NEW"))
    assert [str(d.recipient.email) for d in h.emails] == ["duty@probation.example"]


async def test_the_case_manager_leaving_makes_the_case_unowned_again() -> None:
    h = Harness()
    await on_event(h, case_event("case_manager.assigned", {"practitioner": MANAGER}))
    await on_event(h, case_event("team.member_left", {"practitioner_id": "cm-1"}))
    assert [str(d.recipient.email) for d in h.emails] == ["chair@la.example"]


async def test_the_sweep_names_each_command_s_kind_and_a_step_is_taken_once() -> None:
    h = Harness()
    h.alerts.watch(alert(), sent=True)
    h.clock.advance(30 * 60)
    await h.scheduler.sweep()
    [(key, raw)] = h.commands.sent
    assert key == b"C-9" and json.loads(raw)["kind"] == "chase"
    await h.scheduler.take(json.loads(raw))
    await h.scheduler.take(json.loads(raw))
    assert [e.recipient.practitioner_id for e in h.emails] == ["chair-1"]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ({"alert_id": "a-1", "step": 0}, "chase"),
        ({"pause": "pz-1", "expires_at": "2026-12-01T00:00:00+00:00", "case_id": "C-9"}, "pause"),
        ({"purge": "pz-1", "expires_at": "2026-12-01T00:00:00+00:00", "case_id": "C-9"}, "pause"),
        ({"reminder": "release", "days_before": 7, "case_id": "C-9"}, "reminder"),
        ({"kind": "reminder", "reminder": "release", "days_before": 7, "case_id": "C-9"}, "reminder"),
    ],
)
def test_commands_written_before_kinds_were_named_are_still_read(command: dict[str, Any], kind: str) -> None:
    assert kind_of(command) == kind


async def test_a_chase_step_in_the_old_shape_is_still_taken() -> None:
    h = Harness()
    h.alerts.watch(alert(), sent=True)
    h.clock.advance(30 * 60)
    [(alert_id, entry)] = list(h.pending.items())
    await h.scheduler.take({"alert_id": alert_id, "step": entry["step"]})  # as written by the last release
    assert [e.recipient.practitioner_id for e in h.emails] == ["chair-1"]
    assert h.pending[alert_id]["step"] == 1


async def test_a_command_of_no_known_kind_is_refused_as_a_data_error() -> None:
    with pytest.raises(KeyError):
        await Harness().scheduler.take({"kind": "no.such"})
    with pytest.raises(KeyError):
        await Harness().scheduler.take({"case_id": "C-9"})
