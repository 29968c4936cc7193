"""Alert emails from Jinja2 files (`email/templates/`), per event type and priority, plain text and HTML,
in the recipient's language and time zone (shared/i18n: their own, else their agency's default, else English).

Built from the delivery alone: the router already removed what this recipient may not see, so a
withheld value cannot reach the email. Withheld fields are named (with whom to ask), never shown.
Template lookup, most specific first: `{event_type}.{priority}`, `{event_type}`, `default.{priority}`,
`default` (each `.txt.j2` and `.html.j2`); an email of alerts released together (holding.py) uses
`updates`, each alert laid out as it would be alone. Python only prepares values; the files lay them out.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from services.notifier.email.formatting import Words, fields, person_lines, value_text, words
from services.notifier.email.guidance import Guidance
from services.notifier.holding import RELEASED_TYPES
from services.notifier.priorities import IMMEDIATE, Priority
from services.notifier.schedule import ACTION_OVERDUE, own_actions
from shared.deliveries import Delivery, Recipient
from shared.i18n import N_, Localised, ReaderDefaults
from shared.payloads import PAYLOADS, TriggerType


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    html: str


UNKNOWN_NEXT_STEP = N_("Read the details and ask the case manager if unclear.")
"""What to do about an event type guidance.yaml does not know (yet)."""
ActionLink = Callable[[str, Delivery, date], str]
"""(acknowledgement id, delivery, action due date) -> a signed link for the delivery's recipient."""


class Renderer:
    def __init__(
        self,
        templates_dir: Path,
        guidance: Guidance,
        action_link: ActionLink | None = None,
        readers: ReaderDefaults | None = None,
    ) -> None:
        self.guidance, self.action_link, self.readers = guidance, action_link, readers or ReaderDefaults()
        self.templates = Localised(
            FileSystemLoader(templates_dir),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # templates are loaded once at start-up: no file check per email
        )
        self.env = self.templates.environment(None)  # English: the one tests and lookups list templates from
        for env in self.templates.environments.values():
            env.filters["strong"] = strong
            for name in env.list_templates(extensions=["j2"]):
                env.get_template(name)  # a syntax error fails start-up, not an email

    def words(self, recipient: Recipient) -> Words:
        """The recipient's language and time zone: their own, else their agency's default, else English, UTC."""
        reader = self.readers.reader(
            agency=recipient.agency, language=recipient.language, time_zone=recipient.time_zone
        )
        return Words(reader.language, reader.time_zone)

    def render(self, delivery: Delivery, priority: Priority, ack_url: str | None = None) -> Email:
        w = self.words(delivery.recipient)
        context = self.context(delivery, priority, ack_url, w)
        env = self.templates.environment(w.language)
        subject = env.get_template("subject.txt.j2").render(context)
        return Email(
            subject=" ".join(subject.split()),  # a header must stay on one line whatever the delivery holds
            body=self._part(w.language, delivery.event_type, priority, "txt", context),
            html=self._part(w.language, delivery.event_type, priority, "html", context),
        )

    def _part(self, language: str, event_type: str, priority: Priority, part: str, context: dict[str, Any]) -> str:
        names = template_names(event_type, priority)
        env = self.templates.environment(language)
        return env.select_template([f"{name}.{part}.j2" for name in names]).render(context)

    def context(self, d: Delivery, priority: Priority, ack_url: str | None, w: Words) -> dict[str, Any]:
        wording = self.guidance.events.get(d.event_type)
        trigger = d.payload.get("trigger_type")
        values = w if d.event_type in PAYLOADS else Words(w.language, w.time_zone, own_texts=True)
        return {
            "d": d,
            "case_id": d.case_id,
            "priority": priority.value,
            "priority_word": w.code(priority.value),
            "base": f"default.{priority}" if priority in IMMEDIATE else "default",  # what a specific template extends
            "title": w(wording.title) if wording else words(d.event_type.replace(".", " ")).capitalize(),
            "detail": w.code(trigger) if trigger else "",
            "next_step": w(wording.next_step if wording else UNKNOWN_NEXT_STEP),
            "trigger": self.trigger(trigger, w),
            "recipient": d.recipient,
            "role": w.code(d.recipient.role),
            "agency": w.code(d.recipient.agency),
            "when": w.when(d.occurred_at),
            "person": person_lines(d.person, w),
            "fields": fields(d.payload, values),
            "withheld": d.fields_withheld,
            "withheld_notice": d.withheld_notice or w(N_("Some information was withheld: ask the case manager.")),
            "ack_url": None if d.event_type == ACTION_OVERDUE else ack_url,  # its action link only
            "own_actions": self.own_actions(d, w),
            "items": [self.item(x, w) for x in d.payload["items"]] if d.event_type in RELEASED_TYPES else [],
            "until": w.when(d.payload["expires_at"]) if "expires_at" in d.payload else None,  # a pause's end
        }

    def trigger(self, trigger: object, w: Words) -> dict[str, str] | None:
        guidance = self.guidance.triggers.get(TriggerType(str(trigger))) if trigger in set(TriggerType) else None
        return {"do_now": w(guidance.do_now), "call": w(guidance.call)} if guidance else None

    def own_actions(self, d: Delivery, w: Words) -> list[dict[str, str | None]]:
        """The recipient's own panel actions, each with its acknowledgement link (if links are wired)."""
        link = self.action_link
        return [
            {
                "text": value_text("action", a, w),
                "url": link(ack, d, date.fromisoformat(a["due_date"])) if link else None,
            }
            for a, ack in own_actions(d)
        ]

    def item(self, held: dict[str, Any], w: Words) -> dict[str, Any]:
        """One alert of a released batch, as its own email would have shown it (in the batch reader's words)."""
        return self.context(Delivery.model_validate(held["delivery"]), Priority(held["priority"]), None, w)


def strong(value: object) -> Markup:
    """`<strong>` around an escaped value, for a word a translated sentence emphasises."""
    return Markup("<strong>%s</strong>") % escape(value)


def template_names(event_type: str, priority: Priority) -> list[str]:
    family = ["updates"] if event_type in RELEASED_TYPES else []
    return [f"{event_type}.{priority}", event_type, *family, f"default.{priority}", "default"]
