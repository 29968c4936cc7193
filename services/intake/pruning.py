"""Idempotency claims are kept for a retention period, not forever: once at start and then every
prune interval, intake deletes those claimed before it. A pending claim is deleted only when it is also
stale (its request died mid-publish), never while a request may still be publishing it.

A retry after the retention is treated as a new event; the audit ledger still dedupes by event_id.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from services.intake.bootstrap import IntakeSettings
from services.intake.store import ClaimRepository

log = logging.getLogger(__name__)
PRUNED = Counter("drr_intake_receipts_pruned_total", "Idempotency receipts deleted after the retention")


class ClaimPruner:
    def __init__(
        self,
        settings: IntakeSettings,
        claims: ClaimRepository,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings, self._claims, self._clock, self._sleep = settings, claims, clock, sleep

    def prune_once(self) -> int:
        """Delete what the retention no longer covers; returns how many claims went."""
        now, retention_s = self._clock(), self._settings.idempotency_retention_s
        pruned = self._claims.prune(older_than=now - retention_s, stale_before=now - self._settings.stale_claim_s)
        PRUNED.inc(pruned)
        log.info("idempotency receipts pruned", extra={"pruned": pruned, "retention_s": retention_s})
        return pruned

    async def run(self) -> None:
        """Prune now, then every interval, until cancelled. Each run goes to a worker thread (a backlog of
        batches never blocks the event loop); a cancelled run first lets its batch in hand finish."""
        while True:
            job = asyncio.ensure_future(asyncio.to_thread(self.prune_once))
            try:
                await asyncio.shield(job)
            except asyncio.CancelledError:
                await asyncio.wait([job])
                if not job.cancelled():
                    job.exception()  # retrieved here, so a failure is not reported as lost later
                raise
            except Exception:
                log.exception("pruning idempotency receipts failed")
            await self._sleep(self._settings.prune_interval_s)
