"""Time as a port: every schedule (retry age, settle windows, escalations, reminders, link expiry)
reads `Clock.now()`, so tests advance a fake clock instead of sleeping."""

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
