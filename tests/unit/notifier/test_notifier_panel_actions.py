"""Panel actions with a fake clock and plain dicts for the tables: each owner gets their own link, an action
unacknowledged at its due date reminds its owner and `chair_after_days` later the chair, an acknowledgement
stops it, an action nobody owns goes to the chair, a closed case drops it, and ids are deterministic."""

import re
from datetime import UTC, datetime
from typing import Any

from services.notifier.acknowledging.endpoint import action_link
from services.notifier.acknowledging.tokens import verify
from services.notifier.bootstrap import HERE, NotifierSettings
from services.notifier.email.guidance import load_guidance
from services.notifier.email.rendering import Renderer
from services.notifier.policy import load_policy
from services.notifier.priorities import Priority
from services.notifier.schedule import panel_actions
from services.notifier.schedule.panel_actions import PanelActions, ack_id, entries, own_actions, step_delivery
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.events import Envelope, parse_event
from shared.roles import Agency, Role
from shared.team import CaseTeam
from tests.unit.notifier.fakes import FakeClock
from tests.unit.notifier.test_notifier_escalation import Harness

POLICY = load_policy(HERE / "policy.yaml")
RULE = PanelActions(chair_after_days=2)


def member(pid: str, role: Role, agency: Agency = Agency.MENTAL_HEALTH) -> Recipient:
    return Recipient(practitioner_id=pid, name=f"Name {pid}", email=f"{pid}@team.example", agency=agency, role=role)


NURSE_A, NURSE_B = member("mh-a", Role.MENTAL_HEALTH), member("mh-b", Role.MENTAL_HEALTH)
CHAIR = member("chair-1", Role.PANEL_CHAIR, Agency.SOCIAL_CARE)
TEAM = CaseTeam(members={r.practitioner_id: r for r in (NURSE_A, NURSE_B, CHAIR)})
ACTIONS = [
    {"owner_role": "mental_health", "description": "Offer grief counselling", "due_date": "2026-12-01"},
    {"owner_role": "youth_work", "description": "Find a youth mentor", "due_date": "2026-12-03"},
]


def decision(case_id: str = "C-9", actions: list[dict[str, str]] = ACTIONS) -> Envelope:
    return parse_event({
        "event_type": "panel.decision", "occurred_at": "2026-11-25T09:00:00+00:00", "case_id": case_id,
        "source": {"agency": "panel", "system": "t"}, "person": {"identifiers": [{"type": "pnc", "value": "1"}]},
        "payload": {"panel_date": "2026-11-25", "decision": "Continue", "rationale": "Grief after bereavement.",
                    "actions": actions},
    })  # fmt: skip


def closed(case_id: str = "C-9") -> Envelope:
    return parse_event({
        "event_type": "case.closed", "occurred_at": "2026-11-26T09:00:00+00:00", "case_id": case_id,
        "source": {"agency": "probation", "system": "t"}, "person": {"identifiers": [{"type": "pnc", "value": "1"}]},
        "payload": {"reason": "Order ended.", "closed_on": "2026-11-26"},
    })  # fmt: skip


def harness() -> Harness:
    h = Harness(POLICY.panel_actions, POLICY.reminders.at_hour_utc)
    h.teams["C-9"] = TEAM.model_dump(mode="json")
    h.clock.current = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    return h


def to(h: Harness) -> list[tuple[str, str, str]]:
    """(event type, recipient, action) of every email sent so far."""
    return [(d.event_type, d.recipient.practitioner_id, d.payload["action"]) for d in h.emails]


def test_one_entry_per_action_and_owner_and_one_at_the_chair_step_for_an_ownerless_action() -> None:
    event = decision()
    found = entries(event, TEAM, RULE, at_hour_utc=9)
    owned = [e for e in found.values() if e["owner"] is not None]
    assert {e["owner"]["practitioner_id"] for e in owned} == {"mh-a", "mh-b"}
    assert {e["due"] for e in owned} == {"2026-12-01T09:00:00+00:00"}
    assert {e["ack_id"] for e in owned} == {str(ack_id(event.event_id, 0, p)) for p in ("mh-a", "mh-b")}
    [nobody] = [e for e in found.values() if e["owner"] is None]
    assert nobody["step"] == panel_actions.CHAIR_STEP and nobody["ack_id"] is None
    assert entries(closed(), TEAM, RULE, 9) == {}


def test_ids_are_deterministic_per_event_action_and_owner() -> None:
    event = decision()
    assert ack_id(event.event_id, 0, "mh-a") == ack_id(str(event.event_id), 0, "mh-a")
    assert len({ack_id(event.event_id, i, p) for i in (0, 1) for p in ("mh-a", "mh-b")}) == 4
    entry = entries(event, TEAM, RULE, 9)[f"panel-action:{event.event_id}:0:mh-a"]
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert step_delivery(entry, NURSE_A, now).delivery_id == step_delivery(entry, NURSE_A, now).delivery_id
    chair_step = panel_actions.next_step(entry)
    assert chair_step is not None
    assert step_delivery(chair_step, CHAIR, now).delivery_id != step_delivery(entry, CHAIR, now).delivery_id


async def test_an_unacknowledged_action_reminds_its_owners_at_the_due_date_then_the_chair_two_days_later() -> None:
    h = harness()
    h.chasing.follow_panel_actions(decision(actions=ACTIONS[:1]))
    await h.tick(6 * 24 * 60 - 4 * 60)  # 2026-12-01 08:00: not yet due (09:00 UTC)
    assert h.emails == []
    await h.tick(60)
    counselling = "Offer grief counselling"
    assert sorted(to(h)) == [(panel_actions.OVERDUE, "mh-a", counselling), (panel_actions.OVERDUE, "mh-b", counselling)]
    assert set(h.priorities) == {Priority.HIGH}
    await h.tick(24 * 60)
    assert len(h.emails) == 2  # one day later: the chair's turn has not come
    await h.tick(24 * 60)
    chair = [d for d in h.emails if d.recipient.practitioner_id == "chair-1"]
    assert [(d.event_type, d.payload["owner"]) for d in chair] == [
        (panel_actions.UNACKNOWLEDGED, "Name mh-a"), (panel_actions.UNACKNOWLEDGED, "Name mh-b"),
    ]  # fmt: skip
    await h.tick(10 * 24 * 60)
    assert len(h.emails) == 4 and h.pending == {}  # then it stops
    assert len(h.audit.sent) == 4 and all(b"panel_action_step_" in v for _, v in h.audit.sent)


async def test_each_owner_acknowledges_separately_and_an_ack_after_the_reminder_spares_the_chair() -> None:
    h = harness()
    event = decision(actions=ACTIONS[:1])
    h.chasing.follow_panel_actions(event)
    h.acks[str(ack_id(event.event_id, 0, "mh-a"))] = {}
    await h.tick(7 * 24 * 60)  # past the due date: only mh-b is reminded
    assert to(h) == [(panel_actions.OVERDUE, "mh-b", "Offer grief counselling")]
    h.acks[str(ack_id(event.event_id, 0, "mh-b"))] = {}
    await h.tick(3 * 24 * 60)
    assert len(h.emails) == 1 and h.pending == {}


async def test_an_action_nobody_on_the_team_owns_goes_to_the_chair_at_its_due_date() -> None:
    h = harness()
    h.chasing.follow_panel_actions(decision(actions=ACTIONS[1:]))
    await h.tick(7 * 24 * 60)  # 2026-12-02 12:00: not yet due (2026-12-03)
    assert h.emails == []
    await h.tick(24 * 60)
    assert [(d.event_type, d.recipient.practitioner_id, d.payload["owner"]) for d in h.emails] == [
        (panel_actions.UNACKNOWLEDGED, "chair-1", "nobody on the team holds this role")
    ]
    await h.tick(10 * 24 * 60)
    assert len(h.emails) == 1 and h.pending == {}


async def test_no_chair_on_the_team_means_the_owners_agency_duty_manager_who_learns_no_name() -> None:
    h = harness()
    probation_officer = member("po-1", Role.PROBATION, Agency.PROBATION)
    h.teams["C-9"] = CaseTeam(members={"po-1": probation_officer}).model_dump(mode="json")
    h.chasing.follow_panel_actions(decision(actions=[{**ACTIONS[0], "owner_role": "probation"}]))
    await h.tick(10 * 24 * 60)  # long past both steps: one step per sweep, none skipped
    await h.tick(1)
    assert [(d.recipient.email, d.payload.get("owner")) for d in h.emails] == [
        ("po-1@team.example", None), ("duty@probation.example", "see the case team"),
    ]  # fmt: skip


async def test_a_redelivered_decision_does_not_restart_and_a_closed_case_drops_its_actions() -> None:
    h = harness()
    event = decision()
    h.chasing.follow_panel_actions(event)
    await h.tick(7 * 24 * 60)
    assert len(h.emails) == 2
    h.chasing.follow_panel_actions(event)  # Kafka redelivery of the decision
    await h.tick(60)
    assert len(h.emails) == 2  # a restarted follow-up would have reminded both owners again
    h.chasing.follow_panel_actions(closed())
    assert h.pending == {}
    await h.tick(10 * 24 * 60)
    assert len(h.emails) == 2


def test_an_owner_who_left_the_team_is_not_reminded() -> None:
    event = decision(actions=ACTIONS[:1])
    entry = next(iter(entries(event, TEAM, RULE, 9).values()))
    assert panel_actions.owner_on_team(entry, CaseTeam()) is None
    assert panel_actions.owner_on_team(entry, TEAM) is not None


def panel_delivery(recipient: Recipient, event: Envelope) -> Delivery:
    return Delivery(
        delivery_id=delivery_id_for(event.event_id, recipient.practitioner_id), event_id=event.event_id,
        event_type="panel.decision", case_id="C-9", occurred_at=event.occurred_at, person={},
        recipient=recipient, payload=event.payload.model_dump(mode="json", exclude={"rationale"}),
        fields_withheld=["rationale"], rule="team_member",
    )  # fmt: skip


def links_renderer(clock: FakeClock) -> tuple[Renderer, bytes]:
    settings = NotifierSettings()
    templates = HERE / "email" / "templates"
    renderer = Renderer(templates, load_guidance(templates / "guidance.yaml"), action_link(settings, clock))
    return renderer, settings.ack_key()


def test_each_owner_sees_a_signed_link_per_action_they_own_and_others_see_the_actions_without_links() -> None:
    clock = FakeClock()
    renderer, secret = links_renderer(clock)
    event = decision()
    for nurse in (NURSE_A, NURSE_B):
        email = renderer.render(panel_delivery(nurse, event), Priority.HIGH, "http://x/v1/ack/whole-alert")
        [link] = re.findall(r"Acknowledge this action: (\S+)", email.body)
        claim = verify(secret, link.rsplit("/", 1)[1], clock.now())
        assert claim.delivery_id == str(ack_id(event.event_id, 0, nurse.practitioner_id))
        assert claim.recipient_id == nurse.practitioner_id
        assert "http://x/v1/ack/whole-alert" in email.body  # the alert's own link stays
        assert email.html.count("Acknowledge this action") == 1
    chair = renderer.render(panel_delivery(CHAIR, event), Priority.HIGH)
    assert "Offer grief counselling" in chair.body and "Acknowledge this action" not in chair.body + chair.html
    assert own_actions(panel_delivery(CHAIR, event)) == []


def test_the_overdue_reminder_carries_the_action_link_only_and_no_clinical_or_risk_content() -> None:
    clock = FakeClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    renderer, secret = links_renderer(clock)
    event = decision()
    entry = entries(event, TEAM, RULE, 9)[f"panel-action:{event.event_id}:0:mh-a"]
    delivery = step_delivery(entry, NURSE_A, clock.now())
    email = renderer.render(delivery, Priority.HIGH, "http://x/v1/ack/reminder-itself")
    assert email.subject == "[DRR case C-9] Panel action overdue (HIGH)"
    assert "reminder-itself" not in email.body + email.html
    [link] = re.findall(r"Acknowledge when done or taken on \(no login needed\): (\S+)", email.body)
    assert verify(secret, link.rsplit("/", 1)[1], clock.now()).delivery_id == entry["ack_id"]
    assert "Days overdue: 1" in email.body and "Grief after bereavement" not in email.body
    chair_entry: dict[str, Any] = {**entry, "step": panel_actions.CHAIR_STEP}
    chair_mail = renderer.render(step_delivery(chair_entry, CHAIR, clock.now()), Priority.HIGH)
    assert "Owner: Name mh-a" in chair_mail.body and "Acknowledge when done" not in chair_mail.body
