"""Fakes and event builders for the intake unit tests (a module of its own name, so imports are unambiguous)."""

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from deploy.local.demo_case import case_history
from services.intake.authority import Accepted, CaseFactRepository, System
from shared.audit_records import AuditRecord
from shared.events import Envelope
from shared.roles import Agency


class FakePublisher:
    def __init__(self, fail: bool = False, delay_s: float = 0) -> None:
        self.fail, self.delay_s = fail, delay_s
        self.events: list[Envelope] = []
        self.audit: list[AuditRecord] = []
        self.calls = 0

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def ready(self) -> bool:
        return True

    async def publish_events(self, events: Sequence[Envelope], *, timeout_s: float) -> list[BaseException | None]:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            return [ConnectionError("broker down")] * len(events)
        self.events += events
        return [None] * len(events)

    async def publish_audits(self, records: Sequence[AuditRecord], *, timeout_s: float) -> list[BaseException | None]:
        self.audit += records
        return [None] * len(records)


def trigger(case_id: str = "C-9") -> dict[str, Any]:
    return next(e for e in case_history(case_id) if e["event_type"] == "trigger.reported")


def of_type(event_type: str, case_id: str = "C-9") -> dict[str, Any]:
    return next(e for e in case_history(case_id) if e["event_type"] == event_type)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def open_case(store: CaseFactRepository, case_id: str = "C-9", agency: str = "probation", system: str = "test") -> None:
    """Record a case as opened by `agency`'s system without publishing anything: the tests that count
    published events start from an open case, as agency systems do."""
    owner = System(Agency(agency), system)
    store.accept(idempotency_key=None, accepted=Accepted(case_id, uuid4(), owner.agency, owner))
