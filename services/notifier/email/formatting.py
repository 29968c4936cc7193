"""Payload values as words a practitioner reads: codes become words, timestamps UTC minutes, lists lines.
Pure; each field becomes (label, [lines]) and the templates lay those out."""

from datetime import UTC, datetime
from typing import Any

CODE_FIELDS = frozenset({"trigger_type", "severity", "agency", "referral_agency", "role", "owner_role"})
"""Fields whose values are codes, shown as words ("community_rejection" -> "community rejection")."""


def fields(values: dict[str, Any]) -> list[tuple[str, str | list[str]]]:
    """(label, text) for a single value, (label, [lines]) for a list, so a list of one still reads as a list."""
    return [(words(name).capitalize(), _text(name, value)) for name, value in values.items()]


def person_lines(person: dict[str, Any]) -> list[str]:
    identifiers = person.get("identifiers")
    if not isinstance(identifiers, list):
        return [f"{label}: {text}" for label, text in fields(person)]
    pairs = [(i.get("type", "identifier"), i.get("value")) for i in identifiers if isinstance(i, dict)]
    return [f"{words(kind)}: {value}" for kind, value in pairs]


def _text(name: str, value: Any) -> str | list[str]:
    if isinstance(value, list):
        return [value_text(name, item) for item in value] if value else "none"
    return value_text(name, value)


def value_text(name: str, value: Any) -> str:
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return _mapping(value)
    if name.endswith("_at") and isinstance(value, str):
        return when(value)
    return words(value) if name in CODE_FIELDS else str(value)


def _mapping(value: dict[str, Any]) -> str:
    if {"owner_role", "description", "due_date"} <= value.keys():  # a panel action
        return f"{words(value['owner_role'])}: {value['description']} (due {value['due_date']})"
    return ", ".join(f"{words(k).capitalize()}: {value_text(k, v)}" for k, v in value.items())


def when(value: datetime | str) -> str:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def words(code: object) -> str:
    return str(code).replace("_", " ")
