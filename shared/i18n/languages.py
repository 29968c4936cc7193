"""Which language and time zone a reader gets: what their practitioner record says, else their agency's
default (settings), else English and UTC. A request for a language we do not serve falls back the same way."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

LANGUAGES = ("en", "fr", "nl", "sv", "da", "de")
"""English, French, Dutch, Swedish, Danish and German: the seed paper's programmes' countries."""
DEFAULT_LANGUAGE = "en"
DEFAULT_TIME_ZONE = "UTC"


def negotiate(*requested: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The first requested tag we serve, by its primary language ("fr-BE" -> "fr", "de_AT" -> "de"), else
    `default`. Pass the practitioner's own language first, then e.g. `accept_language(header)`."""
    for tag in requested:
        primary = (tag or "").replace("_", "-").split("-")[0].strip().lower()
        if primary in LANGUAGES:
            return primary
    return default


def accept_language(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first ("da, en-GB;q=0.8" -> ["da", "en-GB"])."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = params.strip().removeprefix("q=")
        try:
            q = float(weight) if params else 1.0
        except ValueError:
            q = 0.0
        if tag and tag != "*" and q > 0:
            weighted.append((-q, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone of that name, or UTC for none or a name this host's zone data does not know (a
    reader's email must still go out: the date then says UTC, so it stays true)."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


@dataclass(frozen=True)
class Reader:
    """Who reads a page or an email: the language (one of LANGUAGES) and IANA time zone to use."""

    language: str = DEFAULT_LANGUAGE
    time_zone: str = DEFAULT_TIME_ZONE


class ReaderDefaults(BaseModel):
    """Per-agency defaults, for readers whose practitioner record names no language or time zone
    (settings such as DRR_NOTIFIER_LANGUAGES='{"police": "fr"}'); checked at start-up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    languages: dict[str, str] = {}
    time_zones: dict[str, str] = {}

    @field_validator("languages")
    @classmethod
    def _served(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(lang for lang in value.values() if lang not in LANGUAGES)
        if unknown:
            raise ValueError(f"languages not served: {', '.join(unknown)} (served: {', '.join(LANGUAGES)})")
        return value

    @field_validator("time_zones")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(name for name in value.values() if zone(name).key != name)
        if unknown:
            raise ValueError(f"unknown time zones: {', '.join(unknown)}")
        return value

    def reader(self, *, agency: str, language: str | None = None, time_zone: str | None = None) -> Reader:
        """The reader's own choice where it is served and known, else the agency's, else English and UTC."""
        agency_language = self.languages.get(agency, DEFAULT_LANGUAGE)
        own_zone = time_zone if time_zone and zone(time_zone).key == time_zone else None
        return Reader(
            language=negotiate(language, default=agency_language),
            time_zone=own_zone or self.time_zones.get(agency, DEFAULT_TIME_ZONE),
        )
