"""Every event type renders; the email says which case, what, how urgent; withheld content stays out."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.notifier.email.rendering import Email, template_names
from services.notifier.priorities import Priority
from services.notifier.schedule.pauses import EXPIRING
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.examples import CLINICAL_EXAMPLE, EXAMPLES
from shared.payloads import PAYLOADS
from shared.roles import Agency, Role
from shared.sharing import RULE_ID, redact
from tests.unit.notifier.fakes import renderer

CLINICAL_SECRET = CLINICAL_EXAMPLE
SAMPLES = EXAMPLES
RENDERER = renderer()
NEXT_STEPS = {t: w.next_step for t, w in RENDERER.guidance.events.items()}


def render(delivery: Delivery, priority: Priority = Priority.HIGH, ack_url: str | None = None) -> Email:
    return RENDERER.render(delivery, priority, ack_url)


def delivery_for(event_type: str, role: Role = Role.CASE_MANAGER) -> Delivery:
    payload = PAYLOADS[event_type].model_validate(SAMPLES[event_type])
    shared, withheld, notice = redact(payload, role)
    event_id = uuid4()
    recipient = Recipient(
        practitioner_id="p-1",
        name="Sam Lee",
        email="sam@probation.example",
        agency=Agency.PROBATION,
        role=role,
    )
    return Delivery(
        delivery_id=delivery_id_for(event_id, "p-1"),
        event_id=event_id,
        event_type=event_type,
        case_id="C-123",
        occurred_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        person={"identifiers": [{"type": "prison_number", "value": "A1234BC"}]},
        recipient=recipient,
        payload=shared,
        fields_withheld=withheld,
        withheld_notice=notice,
        rule=RULE_ID,
    )


def test_samples_cover_the_catalogue() -> None:
    assert SAMPLES.keys() == PAYLOADS.keys()


@pytest.mark.parametrize("priority", list(Priority))
@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_every_event_type_renders_at_every_priority_in_text_and_html(event_type: str, priority: Priority) -> None:
    delivery = delivery_for(event_type)
    email = render(delivery, priority)
    assert email.subject.startswith("[DRR case C-123] ") and email.subject.endswith(f"({priority.upper()})")
    assert "\n" not in email.subject
    for part in (email.body, email.html):
        for expected in ("Sam Lee", "case manager", "prison number: A1234BC", str(delivery.delivery_id)):
            assert expected in part
        assert str(delivery.event_id) in part
        assert NEXT_STEPS[event_type] in part
    assert email.html.startswith("<!DOCTYPE html>")
    assert ("ALERT" in email.body) == (priority in (Priority.CRITICAL, Priority.HIGH))


def test_every_template_file_is_used_by_some_event_type_and_priority() -> None:
    used: set[str] = set()
    for event_type in RENDERER.guidance.events:  # the catalogue and the notifier's own (escalation, held...)
        for priority in Priority:
            for part in ("txt", "html"):
                names = template_names(event_type, priority)
                used.add(RENDERER.env.select_template([f"{n}.{part}.j2" for n in names]).name or "")
    files = {n for n in RENDERER.env.list_templates(extensions=["j2"]) if not n.startswith(("_", "subject"))}
    assert files == used


def test_html_escapes_what_a_delivery_carries() -> None:
    delivery = delivery_for("case.closed")
    delivery = delivery.model_copy(update={"payload": {**delivery.payload, "reason": "<script>x</script>"}})
    email = render(delivery)
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "<script>x</script>" in email.body  # plain text is not HTML


def test_an_ack_link_appears_in_both_parts_when_given() -> None:
    email = render(delivery_for("trigger.reported"), Priority.CRITICAL, "http://127.0.0.1:8003/v1/ack/tok")
    assert "http://127.0.0.1:8003/v1/ack/tok" in email.body and 'href="http://127.0.0.1:8003/v1/ack/tok"' in email.html


def test_trigger_subject_names_case_type_and_severity() -> None:
    email = render(delivery_for("trigger.reported"))
    assert email.subject == "[DRR case C-123] Trigger reported: bereavement (HIGH)"
    assert "Observed at: 20 Nov 2026, 14:05 UTC" in email.body
    assert "within a day" in email.body and "Whom to call: the case manager" in email.body


def test_lists_and_panel_actions_read_as_lines() -> None:
    release = render(delivery_for("release.scheduled")).body
    assert "Licence conditions:\n    - Curfew 19:00-07:00\n    - No contact" in release
    panel = render(delivery_for("panel.decision")).body
    assert "- mental health: Offer grief counselling (due 2026-11-25)" in panel


def test_withheld_fields_are_named_with_the_notice_but_their_values_never_appear() -> None:
    for event_type in ("trigger.reported", "release.scheduled"):
        delivery = delivery_for(event_type, Role.PROBATION)
        email = render(delivery)
        assert delivery.fields_withheld and delivery.withheld_notice
        assert delivery.withheld_notice in email.body
        assert all(name in email.body for name in delivery.fields_withheld)
        assert CLINICAL_SECRET not in email.body + email.subject


def test_the_mental_health_lead_sees_clinical_detail_and_no_withheld_notice() -> None:
    email = render(delivery_for("trigger.reported", Role.MENTAL_HEALTH))
    assert CLINICAL_SECRET in email.body
    assert "withheld" not in email.body.lower()


def test_unknown_event_type_still_renders_with_a_default_line() -> None:
    delivery = delivery_for("case.opened").model_copy(update={"event_type": "case.reopened"})
    email = render(delivery, Priority.NORMAL)
    assert email.subject == "[DRR case C-123] Case reopened (NORMAL)"
    assert "ask the case manager" in email.body


@pytest.mark.parametrize("priority", list(Priority))
def test_the_pause_expiring_reminder_renders_with_its_end_and_next_step(priority: Priority) -> None:
    delivery = delivery_for("case.closed").model_copy(
        update={"event_type": EXPIRING, "payload": {"expires_at": "2026-12-02T17:00:00+00:00", "pause_id": "p-1"}}
    )
    email = render(delivery, priority)
    assert email.subject == f"[DRR case C-123] Your pause of alerts on this case ends soon ({priority.upper()})"
    for part in (email.body, email.html):
        assert "the pause ends at 2 Dec 2026, 17:00 UTC" in part and NEXT_STEPS[EXPIRING] in part


def test_a_pause_email_says_until_when_and_that_critical_alerts_still_go() -> None:
    body = render(delivery_for("alerts.paused")).body
    assert "(until 2 Dec 2026, 17:00 UTC)" in body and "critical alerts still go out at once" in body
    assert "Dana Ortiz" in body and "hand-over" in body
