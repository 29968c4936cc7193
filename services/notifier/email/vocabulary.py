"""The words of the emails that live as data rather than in a template, for the catalogues (`make
messages` asks `messages()`): guidance.yaml's titles and advice, the field labels ("Trigger type") of
every payload, nested model and notifier-made delivery, and the code words ("community rejection").
Rendering translates each of them through the reader's catalogue (formatting.Words)."""

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from services.notifier.email.formatting import words
from services.notifier.email.guidance import load_guidance
from shared.payloads import PAYLOADS, PanelAction, Practitioner, Severity, Strategy, TriggerType
from shared.priorities import Priority
from shared.roles import Agency, Role

TEMPLATES = Path(__file__).resolve().parent / "templates"
NESTED: tuple[type[BaseModel], ...] = (Practitioner, PanelAction, Strategy)
NOTIFIER_FIELDS = (
    "alert_id", "alert_type", "sent_at", "unacknowledged_for_minutes", "escalation_level",  # escalation
    "unowned_since", "first_event_type", "reminder",  # ownership
    "missed_appointments", "count",  # compliance
    "panel_date", "days_to_go", "care_handover_checklist",  # reminders
    "action", "days_overdue", "acknowledgement_id",  # panel actions
)  # fmt: skip
"""Payload keys of the deliveries the notifier makes itself (schedule/, compliance.py)."""
CODES = (Agency, Role, TriggerType, Severity, Priority)


def field_names() -> set[str]:
    models = [*PAYLOADS.values(), *NESTED]
    return {name for model in models for name in model.model_fields} | set(NOTIFIER_FIELDS)


def messages() -> Iterator[str]:
    guidance = load_guidance(TEMPLATES / "guidance.yaml")
    for wording in guidance.events.values():
        yield from (wording.title, wording.next_step)
    for trigger in guidance.triggers.values():
        yield from (trigger.do_now, trigger.call)
    yield from sorted(words(name).capitalize() for name in field_names())
    yield from sorted({words(code) for codes in CODES for code in codes})
