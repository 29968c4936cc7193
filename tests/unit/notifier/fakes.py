"""Fakes for the notifier's ports: a mailer that records, a clock that only moves when told, a sleep
that only records (and moves the fake clock)."""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.notifier.bootstrap import HERE
from services.notifier.email.guidance import load_guidance
from services.notifier.email.rendering import Renderer
from services.notifier.email.smtp import MailError


@dataclass
class FakeMailer:
    """Raises the queued errors in turn, then accepts; records every message it was given."""

    errors: list[MailError] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send(
        self, *, to: str, subject: str, body: str, html: str | None, message_id: str, headers: Mapping[str, str]
    ) -> None:
        message = {"to": to, "subject": subject, "body": body, "html": html, "message_id": message_id}
        self.sent.append({**message, "headers": dict(headers)})
        if self.errors:
            raise self.errors.pop(0)


class FakeTable(dict[str, Any]):
    """A Faust table's changelog side (durable.ChangelogTable): each write acknowledged at once."""

    @property
    def data(self) -> dict[str, Any]:
        return self

    def partition_for_key(self, key: Any) -> int | None:
        return None

    def send_changelog(self, partition: int | None, key: Any, value: Any) -> "asyncio.Future[None]":
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass
class Sleeps:
    """Records each delay and advances the clock by it, as a real sleep would."""

    clock: FakeClock = field(default_factory=FakeClock)
    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.clock.advance(delay)


def renderer() -> Renderer:
    templates = HERE / "email" / "templates"
    return Renderer(templates, load_guidance(templates / "guidance.yaml"))
