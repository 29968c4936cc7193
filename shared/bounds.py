"""Bounds on the numbers and moments of the wire contract.

Every consumer must be able to hold what intake accepts (a Java `int`, a JavaScript number, a PostgreSQL
`integer`), and no arithmetic on it (a shift to UTC, a reminder a week before) may overflow: a version of
10**30 or a time of 0001-01-01T00:00+14:00 would otherwise pass validation and fail later, in a service.
"""

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field
from pydantic_core import PydanticCustomError

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
"""Far enough for any date of birth, sentence or retention; a day's shift either way stays in range."""
MAX_VERSION = 2**31 - 1
"""The largest signed 32-bit integer."""


def _year_in_range(value: date) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        message = "year must be from {earliest} to {latest}"
        raise PydanticCustomError("year_out_of_range", message, {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})


def _moment(value: datetime) -> datetime:
    _year_in_range(value)
    return value


def _day(value: date) -> date:
    _year_in_range(value)
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_moment)]
"""A point in time with its offset, in the years the contract allows."""
Day = Annotated[date, AfterValidator(_day)]
"""A calendar date in the years the contract allows."""
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
"""A version number: counts up from 1, and fits a signed 32-bit integer."""
