"""Requests refused before intake knows who sent them (a 401, or a client address over its rate), counted
rather than recorded one by one: a flood of bad keys must not become a flood of permanent ledger leaves.

Each (reason, caller) has one count per window (DRR_INTAKE_REFUSAL_WINDOW_S, a minute by default); once
the window has ended, it becomes ONE audit record with `count` and `window_start`. The caller is the key
id when the request named a key intake knows (a wrong secret, a revoked key), else the client address,
kept in the record only as a keyed digest (`actor` = `address:KEYID:HEX`, shared/digests.py): an address
is a system's, not a person's, yet a digest still lets an investigator match a known address (asking the
key's holder) without the ledger listing every address that knocked. Key ids the request merely claims
are never written (they are whatever the sender typed). Past `max_callers` in one window, the rest are
counted together under `actor` = `address:others`, so memory stays bounded.

Refusals of a known key's events (403, the authority rules) are facts about a case and stay one record
each (messages.py builds every record intake writes).
"""

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from services.intake.messages import counted_record
from shared.audit_records import AuditRecord
from shared.digests import DigestKey

Caller = tuple[str, str]
"""("key", key id) or ("address", client address)."""
OTHERS: Caller = ("address", "others")


class RefusalTally:
    def __init__(self, window_s: float, digests: DigestKey, max_callers: int = 10_000) -> None:
        self._window_s, self._digests, self._max = window_s, digests, max_callers
        self._windows: dict[float, dict[tuple[str, Caller], int]] = {}

    def count(self, reason: str, *, key_id: str | None, address: str, now: float) -> None:
        start = math.floor(now / self._window_s) * self._window_s
        window = self._windows.setdefault(start, {})
        caller: Caller = ("key", key_id) if key_id else ("address", address)
        if (reason, caller) not in window and len(window) >= self._max:
            caller = OTHERS
        window[reason, caller] = window.get((reason, caller), 0) + 1

    def ended(self, now: float) -> list[AuditRecord]:
        """The records of the windows that have ended by `now`, each window given out once."""
        return self._take([start for start in self._windows if start + self._window_s <= now])

    def all(self) -> list[AuditRecord]:
        """Every count so far, the current window's too (at shutdown)."""
        return self._take(list(self._windows))

    def _take(self, starts: list[float]) -> list[AuditRecord]:
        counted = [(s, counts) for s in starts for counts in self._windows.pop(s).items()]
        return [self._record(s, reason, caller, n) for s, ((reason, caller), n) in counted]

    def _record(self, start: float, reason: str, caller: Caller, count: int) -> AuditRecord:
        kind, name = caller
        actor = None if kind == "key" else f"address:{name if caller == OTHERS else self._digests.digest(name)}"
        key_id = name if kind == "key" else None
        return counted_record(reason, key_id=key_id, actor=actor, count=count, start=datetime.fromtimestamp(start, UTC))


Audit = Callable[[list[AuditRecord]], Awaitable[None]]


async def flush_every(interval_s: float, tally: RefusalTally, clock: Callable[[], float], audit: Audit) -> None:
    """Hand the ended windows' records to `audit` every `interval_s`; cancel it, then call `audit(tally.all())`."""
    while True:
        await asyncio.sleep(interval_s)
        if records := tally.ended(clock()):
            await audit(records)
