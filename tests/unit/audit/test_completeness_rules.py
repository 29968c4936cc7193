"""The completeness rules as tables: which facts open a wait, which end it, and how long a held one waits."""

from datetime import UTC, datetime, timedelta

import pytest

from services.audit.completeness.rules import Awaiting, Fact, Windows, changes, delivery_ref
from services.audit.leaves import timestamp

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
WINDOWS = Windows(60, 3900, {"group": 600, "digest": 90_000, "paused": 2_595_600})
E, F = "0b7f0c1e-5a53-4a8e-9d0e-2b1f6f1c9a10", "1b7f0c1e-5a53-4a8e-9d0e-2b1f6f1c9a11"


def due(seconds: float) -> str:
    return timestamp(NOW + timedelta(seconds=seconds))


def fact(kind: str, event_id: str | None = E, recipient: str | None = None, outcome: str | None = None,
         event_type: str = "trigger.reported", case_id: str = "C-1") -> Fact:  # fmt: skip
    return Fact(kind, event_id, case_id, event_type, recipient, outcome)


RECEIVED = fact("event.received", outcome="accepted")
SHARED = fact("sharing.decided", recipient="p-1", outcome="shared")


@pytest.mark.parametrize(
    ("facts", "opened", "closed"),
    [
        ([RECEIVED], {E: due(60)}, set()),
        ([RECEIVED, fact("sharing.decided", recipient="p-1", outcome="not_shared")], {}, {E}),
        ([RECEIVED, fact("sharing.decided", outcome="no_team_members")], {}, {E}),
        ([RECEIVED, fact("sharing.decided", outcome="no_original_recipients")], {}, {E}),
        ([RECEIVED, fact("team.updated", outcome="applied")], {}, {E}),
        ([RECEIVED, fact("sharing_state.updated", outcome="applied")], {}, {E}),
        ([fact("sharing.decided", outcome="no_team_members"), RECEIVED], {}, {E}),  # decided first, same batch
        ([fact("event.rejected", event_id=None, outcome="invalid_payload")], {}, set()),  # refused: not accepted
        ([SHARED], {delivery_ref(E, "p-1"): due(3900)}, {E}),
        ([fact("email.created", recipient="p-1")], {delivery_ref(E, "p-1"): due(3900)}, set()),
        ([SHARED, fact("email.sent", recipient="p-1", outcome="delivered")], {}, {E, delivery_ref(E, "p-1")}),
        ([SHARED, fact("email.sent", recipient="p-1", outcome="delivered_test")], {}, {E, delivery_ref(E, "p-1")}),
        ([SHARED, fact("email.dead_lettered", recipient="p-1", outcome="max_age_exceeded")], {},
         {E, delivery_ref(E, "p-1")}),
        ([SHARED, fact("email.failed", recipient="p-1", outcome="permanent_failure")], {}, {E, delivery_ref(E, "p-1")}),
        ([SHARED, fact("email.failed", recipient="p-1", outcome="technical_failure")], {}, {E, delivery_ref(E, "p-1")}),
        ([SHARED, fact("email.failed", recipient="p-1", outcome="temporary_failure")],
         {delivery_ref(E, "p-1"): due(3900)}, {E}),
        ([SHARED, fact("email.sending", recipient="p-1", outcome="sending")], {delivery_ref(E, "p-1"): due(3900)}, {E}),
        ([fact("email.sent", recipient="p-1", outcome="delivered"), SHARED], {}, {E, delivery_ref(E, "p-1")}),
        ([fact("email.sent", recipient="p-2"), SHARED], {delivery_ref(E, "p-1"): due(3900)},
         {E, delivery_ref(E, "p-2")}),
    ],
)  # fmt: skip
def test_what_opens_and_what_ends_a_wait(facts: list[Fact], opened: dict[str, str], closed: set[str]) -> None:
    found = changes(facts, NOW, WINDOWS)
    assert {ref: a.due_at for ref, a in found.opened.items()} == opened
    assert found.closed == closed and not found.held


@pytest.mark.parametrize(
    ("kind", "waits_s"),
    [("group", 600 + 3900), ("digest", 90_000 + 3900), ("paused", 2_595_600 + 3900), ("unknown", 2_595_600 + 3900)],
)
def test_a_held_delivery_waits_its_hold_then_the_delivery_window(kind: str, waits_s: float) -> None:
    found = changes([SHARED, fact("email.held", recipient="p-1", outcome=kind)], NOW, WINDOWS)
    [held] = found.held.values()
    assert held.due_at == due(waits_s) and held.held == kind and not found.opened
    assert held.what is Awaiting.FINAL_STATE and held.event_id == E and held.recipient_id == "p-1"


def test_a_held_delivery_sent_in_a_grouped_email_is_finished() -> None:
    held = fact("email.held", recipient="p-1", outcome="group")
    sent = fact("email.sent", recipient="p-1", outcome="in_email:2b7f0c1e-5a53-4a8e-9d0e-2b1f6f1c9a12")
    found = changes([SHARED, held, sent], NOW, WINDOWS)
    assert not found.opened and not found.held and delivery_ref(E, "p-1") in found.closed


def test_a_pause_accepted_for_a_case_lets_its_held_alerts_wait_for_the_pause() -> None:
    group = fact("email.held", recipient="p-1", outcome="group")
    other_case = fact("email.held", event_id=F, recipient="p-1", outcome="group", case_id="C-2")
    pause = fact("event.received", event_id=F, event_type="alerts.paused", outcome="accepted")
    found = changes([group, other_case, pause], NOW, WINDOWS)
    assert found.paused == {"C-1": due(2_595_600 + 3900)}  # for held alerts stored by earlier batches
    assert found.held[delivery_ref(E, "p-1")].due_at == due(2_595_600 + 3900)
    assert found.held[delivery_ref(F, "p-1")].due_at == due(600 + 3900)


def test_facts_without_an_event_id_are_ignored() -> None:
    assert changes([fact("email.sent", event_id=None, recipient="p-1")], NOW, WINDOWS) == changes([], NOW, WINDOWS)
