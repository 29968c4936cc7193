"""Where intake applies the authority rules (authority.py) to a request: the facts come from the store,
changed by the earlier items of the same batch, and requests touching the same case take turns.

Why a lock per case: two requests for one case (two agreement versions, two openings, a transfer and a
team change) must not both be judged on the facts before either was accepted. A request holding such
events (authority.SERIALISED) holds their cases' locks from judging to recording what the broker
acknowledged; locks are taken in sorted order, so batches naming several cases cannot deadlock. This
serialises one intake process; several instances need the shared store to do it (see the README).
"""

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from services.intake.authority import (
    Accepted,
    AuthorityRefusal,
    CaseFacts,
    DataHolders,
    System,
    accepted,
    judge,
    referenced_event,
    updated,
)
from services.intake.store import CaseFactRepository
from shared.events import Envelope


class CaseLocks:
    """One asyncio lock per case id with someone waiting on it; forgotten when nobody is."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def holding(self, case_ids: Iterable[str]) -> AsyncIterator[None]:
        entered: list[str] = []
        acquired: list[asyncio.Lock] = []
        try:
            for case_id in sorted(set(case_ids)):
                lock = self._enter(case_id)
                entered.append(case_id)
                await lock.acquire()
                acquired.append(lock)
            yield
        finally:
            for lock in reversed(acquired):
                lock.release()
            for case_id in entered:
                self._leave(case_id)

    def _enter(self, case_id: str) -> asyncio.Lock:
        lock, users = self._locks.get(case_id, (asyncio.Lock(), 0))
        self._locks[case_id] = (lock, users + 1)
        return lock

    def _leave(self, case_id: str) -> None:
        lock, users = self._locks[case_id]
        if users == 1:
            del self._locks[case_id]
        else:
            self._locks[case_id] = (lock, users - 1)


class RequestAuthority:
    """The authority rules for one request's items, judged in order."""

    def __init__(self, facts: CaseFactRepository, data: DataHolders, caller: System) -> None:
        self._facts, self._data, self._caller = facts, data, caller
        self._pending: dict[str, list[Accepted]] = {}

    def judge(self, event: Envelope) -> AuthorityRefusal | None:
        return judge(self._caller, event, self._facts_of(event), self._data)

    def accept(self, event: Envelope) -> Accepted:
        """Count the event as accepted for the items after it; returns what to record once it is durable."""
        done = accepted(self._caller, event)
        self._pending.setdefault(event.case_id, []).append(done)
        return done

    def _facts_of(self, event: Envelope) -> CaseFacts:
        named = referenced_event(event)
        facts = self._facts.case_facts(case_id=event.case_id, event_ids=[named] if named else [])
        for done in self._pending.get(event.case_id, []):
            facts = updated(facts, done)
        return facts
