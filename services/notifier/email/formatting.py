"""Payload values as words a practitioner reads, in their language: codes become words ("community_rejection"
-> "community rejection", then translated), timestamps the reader's locale and time zone, lists lines.
Pure; each field becomes (label, [lines]) and the templates lay those out. Calendar days stay ISO 8601
(2026-11-25): unambiguous in every language, and the same day in every time zone."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.i18n import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, N_, format_moment, translate

CODE_FIELDS = frozenset({"trigger_type", "severity", "agency", "referral_agency", "role", "owner_role"})
"""Fields whose values are codes, shown as words ("community_rejection" -> "community rejection")."""


@dataclass(frozen=True)
class Words:
    """One reader's words: their language's catalogue and their time zone's clock."""

    language: str = DEFAULT_LANGUAGE
    time_zone: str = DEFAULT_TIME_ZONE
    own_texts: bool = False
    """The delivery's strings were written by the notifier itself (a reminder's checklist, a chase's
    "see the case team"), so each is looked up in the catalogue; an agency's free text never is."""

    def __call__(self, message: str, **values: Any) -> str:
        return translate(self.language, message, **values) if message else message  # "" is gettext's header

    def when(self, value: datetime | str) -> str:
        return format_moment(value, self.language, self.time_zone)

    def code(self, code: object) -> str:
        return self(words(code))

    def label(self, name: str) -> str:
        return self(words(name).capitalize())


ENGLISH = Words()


def fields(values: dict[str, Any], w: Words = ENGLISH) -> list[tuple[str, str | list[str]]]:
    """(label, text) for a single value, (label, [lines]) for a list, so a list of one still reads as a list."""
    return [(w.label(name), _text(name, value, w)) for name, value in values.items()]


def person_lines(person: dict[str, Any], w: Words = ENGLISH) -> list[str]:
    identifiers = person.get("identifiers")
    if not isinstance(identifiers, list):
        return [f"{label}: {text}" for label, text in fields(person, w)]
    pairs = [(i.get("type", "identifier"), i.get("value")) for i in identifiers if isinstance(i, dict)]
    return [f"{words(kind)}: {value}" for kind, value in pairs]  # an agency's own identifier names: as given


def _text(name: str, value: Any, w: Words) -> str | list[str]:
    if isinstance(value, list):
        return [value_text(name, item, w) for item in value] if value else w(N_("none"))
    return value_text(name, value, w)


def value_text(name: str, value: Any, w: Words = ENGLISH) -> str:
    if value is None:
        return w(N_("not given"))
    if isinstance(value, bool):
        return w(N_("yes")) if value else w(N_("no"))
    if isinstance(value, dict):
        return _mapping(value, w)
    if name.endswith("_at") and isinstance(value, str):
        return w.when(value)
    if name in CODE_FIELDS:
        return w.code(value)
    return w(str(value)) if w.own_texts else str(value)


def _mapping(value: dict[str, Any], w: Words) -> str:
    if {"owner_role", "description", "due_date"} <= value.keys():  # a panel action
        due = w(N_("due %(day)s"), day=value["due_date"])
        return f"{w.code(value['owner_role'])}: {value['description']} ({due})"
    return ", ".join(f"{w.label(k)}: {value_text(k, v, w)}" for k, v in value.items())


def when(value: datetime | str, w: Words = ENGLISH) -> str:
    return w.when(value)


def words(code: object) -> str:
    return str(code).replace("_", " ")
