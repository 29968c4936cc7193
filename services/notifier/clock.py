"""Time as a port: every schedule (retry age, settle windows, escalations, reminders, link expiry)
reads `Clock.now()`, so tests advance a fake clock instead of sleeping."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class OffsetClock:
    """The system clock moved by a fixed offset (DRR_NOTIFIER_CLOCK_OFFSET_S): end-to-end tests and drills
    restart the notifier days ahead to see reminders and overdue actions fall due, without waiting."""

    offset: timedelta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset
