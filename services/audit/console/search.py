"""The console's search form, read as the API reads its query: only the fields the form has, each once,
bounded and printable, dates with their offset (or a browser's `datetime-local`, taken as UTC). Pure:
the view turns a SearchRefused into a page that names the fields at fault; nothing refused is recorded."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException
from starlette.datastructures import QueryParams

from services.audit.access import moments
from services.audit.leaves import EntryFilter
from services.audit.oversight import PRINTABLE
from services.audit.queries import recorded

CODES = ("case_id", "recipient", "agency", "event_type", "decision", "kind")
"""The form's exact-match fields (decision: the record's outcome, e.g. shared, withheld, delivered)."""
DATES = ("since", "until")
PAGE = ("start",)
MAX_CHARS = 200
LOCAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?")
"""What a browser's datetime-local input sends: no offset (the form says the times are UTC)."""


class SearchRefused(Exception):
    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


@dataclass(frozen=True)
class Search:
    codes: dict[str, str]
    dates: dict[str, datetime]
    start: int = 0

    def where(self, scope: tuple[str, ...] | None = None) -> EntryFilter:
        c, d = self.codes.get, self.dates.get
        return EntryFilter(case_id=c("case_id"), agency=c("agency"), recipient=c("recipient"),
                           event_type=c("event_type"), decision=c("decision"), kind=c("kind"),
                           since=d("since"), until=d("until"), scope=scope)  # fmt: skip

    def recorded(self) -> dict[str, str]:
        """What the query's record keeps: the fields filled in, dates as UTC timestamps."""
        dates = {name: recorded(moment) for name, moment in self.dates.items()}
        return {**self.codes, **dates, **({"start": str(self.start)} if self.start else {})}


def search_of(query: QueryParams) -> Search:
    """The search a form asked for; SearchRefused naming every field that is unknown, repeated or wrong."""
    names = [name for name, _ in query.multi_items()]
    wrong = sorted({n[:40] for n in names if n not in (*CODES, *DATES, *PAGE) or names.count(n) > 1})
    given = {name: value.strip() for name, value in query.items() if name not in wrong and value.strip()}
    wrong += [n for n in CODES if n in given and (len(given[n]) > MAX_CHARS or not re.match(PRINTABLE, given[n]))]
    start = given.get("start", "0")
    if not start.isdigit() or int(start) > 2**62:
        wrong.append("start")
    dates = _dates({name: given[name] for name in DATES if name in given}, wrong)
    if wrong:
        raise SearchRefused(wrong)
    return Search({name: given[name] for name in CODES if name in given}, dates, int(start))


def _dates(asked: Mapping[str, str], wrong: list[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for name, text in asked.items():
        if LOCAL.fullmatch(text):
            text += "Z" if text.count(":") == 2 else ":00Z"
        try:
            moment = moments(**{name: text})[name] if len(text) <= 40 else None
        except HTTPException:  # moments' 422: no RFC 3339 date, or out of range
            moment = None
        if moment is None:
            wrong.append(name)
        else:
            found[name] = moment
    return found
