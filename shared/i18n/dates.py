"""Dates and times as the reader writes them: their locale's order and month names, their time zone,
24-hour clock, and the zone's offset from UTC spelled out, so a time read across borders stays unambiguous
("20 nov. 2026, 15:05 UTC+01:00"). English is formatted as British English (day month year)."""

from datetime import date, datetime, timedelta

from babel import Locale
from babel.dates import format_skeleton

from shared.i18n.languages import DEFAULT_TIME_ZONE, zone

BABEL_LOCALES = {"en": "en_GB"}
"""The locale whose conventions a language's dates follow (the project writes British English)."""


def format_moment(moment: datetime | str, language: str, time_zone: str | None = DEFAULT_TIME_ZONE) -> str:
    """A timestamp in the reader's locale and zone; a naive one is shown as it is, with no zone; text that
    is not a timestamp is returned unchanged (a payload field named *_at may hold anything)."""
    try:
        value = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    except ValueError:
        return str(moment)
    locale = Locale.parse(BABEL_LOCALES.get(language, language))
    if value.tzinfo is not None:
        value = value.astimezone(zone(time_zone))
    day = format_skeleton("yMMMd", value, locale=locale)
    clock = format_skeleton("Hm", value, locale=locale)
    text = str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", clock)
    offset = value.utcoffset()
    return text if offset is None else f"{text} {utc_offset(offset)}"


def format_day(day: date | str, language: str) -> str:
    """A calendar day (a release date, a due date) in the reader's locale; not a date: unchanged."""
    try:
        value = day if isinstance(day, date) else date.fromisoformat(day)
    except ValueError:
        return str(day)
    return format_skeleton("yMMMd", value, locale=Locale.parse(BABEL_LOCALES.get(language, language)))


def utc_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
