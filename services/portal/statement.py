"""The person's own statement (issue 15, item 4): which agencies were told what kind of information about
them, when and why, in plain language and in their language. Pure.

Built from the case's deliveries (drr.deliveries: the disclosures record, one per recipient), reading only
field names, never a value: a payload may hold sealed ciphertext or a clinical note, and the statement
says "health and treatment information", not what it was. Withheld fields are not listed as content; a
line says at most that some information was withheld. Rendered by templates/statement.html and
statement_pdf.py from the same Statement; every text goes through the `_` / `ngettext` given (gettext).

Caller: the portal's statement routes, for the case's current case manager only (they answer 404 to
anyone else, as for any case a practitioner may not see).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import cache
from uuid import UUID
from zoneinfo import ZoneInfo

from babel.dates import format_date
from pydantic import BaseModel, ConfigDict

from services.portal import statement_labels as labels
from services.portal.statement_texts import Texts, texts
from shared.deliveries import Delivery
from shared.payloads import PAYLOADS
from shared.roles import Agency
from shared.sensitivity import Sensitivity, sensitivity_of

__all__ = ["LANGUAGES", "Gettext", "Line", "NGettext", "Statement", "Texts", "statement_of"]

Gettext = Callable[[str], str]
NGettext = Callable[[str, str, int], str]
LANGUAGES = ("en", "fr", "nl", "sv", "da", "de")
BABEL_LOCALES = {"en": "en_GB"}
"""The locale whose date conventions a language follows (the project writes British English)."""
RESTRICTED = frozenset({Sensitivity.INTELLIGENCE})
"""Classes not named to the person by default: saying that police hold intelligence could prejudice the
prevention or detection of crime (Directive (EU) 2016/680 Art. 15). The statement says so in general."""


def _identity(message: str) -> str:
    return message


def _nidentity(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


class Line(BaseModel):
    """One agency (and role) told about one event: what kind of information, when, and why."""

    model_config = ConfigDict(frozen=True)

    day: date
    when: str
    agency: str
    role: str
    information: str
    classes: tuple[str, ...]
    purpose: str
    legal_basis: str
    agreement: str | None
    """"Under the agreement DRR-CLINICAL-ISA@2", when the share relied on one."""
    notes: tuple[str, ...]
    """Some information withheld from them; the information later withdrawn or corrected."""


class Statement(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    person_name: str | None
    language: str
    produced_on: date
    texts: Texts
    lines: tuple[Line, ...]
    agencies: tuple[str, ...]
    """Per agency, how many events it was told of ("Police: told about 2 events")."""


def statement_of(
    case_id: str,
    deliveries: Iterable[Delivery],
    *,
    person_name: str | None = None,
    language: str = "en",
    time_zone: str = "UTC",
    produced_at: datetime | None = None,
    restricted: frozenset[Sensitivity] = RESTRICTED,
    _: Gettext = _identity,
    ngettext: NGettext = _nidentity,
) -> Statement:
    """Raises ValueError for a delivery of another case: the caller mixed up cases."""
    zone, locale = ZoneInfo(time_zone), language if language in LANGUAGES else "en"
    unique = {d.delivery_id: d for d in deliveries}.values()
    if any(d.case_id != case_id for d in unique):
        raise ValueError(f"a delivery of another case was given for case {case_id}")
    groups: dict[tuple[UUID, str, str], list[Delivery]] = defaultdict(list)
    for d in sorted(unique, key=lambda d: (d.occurred_at, d.recipient.agency, d.recipient.role)):
        groups[(d.event_id, d.recipient.agency, d.recipient.role)].append(d)
    later = _follow_ups(unique)
    lines = tuple(_line(group, zone, locale, later, restricted, _) for group in groups.values())
    told = {(e, _(labels.AGENCIES[Agency(a)])) for e, a, _role in groups}
    produced = (produced_at or datetime.now(UTC)).astimezone(zone).date()
    return Statement(
        case_id=case_id,
        person_name=person_name,
        language=locale,
        produced_on=produced,
        texts=texts(case_id, _long(produced, locale), bool(restricted), _),
        lines=lines,
        agencies=_agencies(told, ngettext),
    )


def _line(
    group: list[Delivery], zone: ZoneInfo, locale: str, later: dict[UUID, str], restricted: frozenset[Sensitivity],
    _: Gettext,
) -> Line:  # fmt: skip
    first = group[0]
    day = first.occurred_at.astimezone(zone).date()
    classes = set().union(*(_classes(d) for d in group)) - restricted
    notes = [_("Some information was withheld from them.")] if any(d.fields_withheld for d in group) else []
    if first.event_id in later:
        notes.append(_(labels.FOLLOW_UPS[later[first.event_id]]))
    return Line(
        day=day,
        when=_long(day, locale),
        agency=_(labels.AGENCIES[first.recipient.agency]),
        role=_(labels.ROLES[first.recipient.role]),
        information=_(labels.KINDS.get(first.event_type, labels.OTHER_KIND)),
        classes=tuple(_(labels.CLASSES[c]) for c in Sensitivity if c in classes),
        purpose=labels.citation(first.purpose, _),
        legal_basis=labels.citation(first.legal_basis, _),
        agreement=_("Under the agreement %(agreement)s") % {"agreement": first.agreement} if first.agreement else None,
        notes=tuple(notes),
    )


def _long(day: date, language: str) -> str:
    return format_date(day, format="long", locale=BABEL_LOCALES.get(language, language))


def _classes(delivery: Delivery) -> set[Sensitivity]:
    """The classes of the fields sent, by name only; the person's identifiers go with every delivery."""
    declared = _declared(delivery.event_type)
    found = {declared[name] for name in delivery.payload.keys() if name in declared}
    return found | ({Sensitivity.IDENTITY} if delivery.person else set())


@cache
def _declared(event_type: str) -> dict[str, Sensitivity]:
    model = PAYLOADS.get(event_type)
    return sensitivity_of(model) if model is not None else {}


def _follow_ups(deliveries: Iterable[Delivery]) -> dict[UUID, str]:
    """Earlier event id -> how it was followed up (a retraction outweighs a correction)."""
    later: dict[UUID, str] = {}
    for d in deliveries:
        if d.follow_up_of is not None and later.get(d.follow_up_of) != "event.retracted":
            later[d.follow_up_of] = d.event_type
    return {event_id: kind for event_id, kind in later.items() if kind in labels.FOLLOW_UPS}


def _agencies(told: set[tuple[UUID, str]], ngettext: NGettext) -> tuple[str, ...]:
    """(event, agency) pairs -> per agency, how many events it was told of."""
    counts: dict[str, int] = defaultdict(int)
    for _event, agency in told:
        counts[agency] += 1
    return tuple(
        ngettext("%(agency)s: told about %(num)d event", "%(agency)s: told about %(num)d events", n)
        % {"agency": agency, "num": n}
        for agency, n in sorted(counts.items())
    )
