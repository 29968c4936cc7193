"""Several deliveries handled at once within one Faust actor, with the guarantees of one at a time.

Handling one delivery at a time left the notifier idle for part of each email, waiting on the broker (the
ledger's acknowledged writes) and on the SMTP server. Here up to `window` are under way together, and:

- one case at a time: a case's deliveries are handled in the order they came, so its ledger entries,
  holds and pending escalations are read and written by one handler at a time (a delivery seen twice
  shares its case, so the second finds the first's ledger entry);
- acknowledged strictly in the order they came, so the committed offset never passes a delivery still
  under way (the app's consumer commits only offsets acknowledged one after the other from the committed
  one, shared/faust_consumer.py; this keeps that true even under faust's stock consumer, upstream #606);
- a handler that fails is never acknowledged, nor is anything after it; `on_failure` is told at once
  (the notifier stops its worker, so what was not committed is handled again after the restart).

Each handler runs as a task made when its message is taken, so it keeps the caller's context: Faust's
current event, which decides the changelog partition of the table writes it makes.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Protocol

log = logging.getLogger(__name__)
HANDLER_TASK = "in-order-handler"
"""The name each handler's task starts with (test harnesses wait for them)."""


class Ackable(Protocol):
    def ack(self) -> object:
        """Mark the message handled (faust's Event.ack)."""


class InOrder:
    def __init__(self, window: int, on_failure: Callable[[BaseException], object]) -> None:
        self.on_failure = on_failure
        self._slots = asyncio.Semaphore(window)
        self._queue: deque[tuple[Ackable, asyncio.Task[None]]] = deque()
        self._last: dict[Hashable, asyncio.Task[None]] = {}
        self._quiet = False
        """Set once a failure was reported, or on close: one report is enough, and a cancel is no failure."""

    async def start(self, message: Ackable, key: Hashable, handle: Callable[[], Awaitable[None]]) -> None:
        """Wait for a free slot (one is freed by each acknowledgement), then handle in the background,
        after whatever is under way for the same key."""
        await self._slots.acquire()
        before = self._last.get(key)
        task = asyncio.get_running_loop().create_task(_after(before, handle), name=f"{HANDLER_TASK}:{key!r}")
        self._last[key] = task
        self._queue.append((message, task))
        task.add_done_callback(lambda done: self._finished(key, done))

    @property
    def under_way(self) -> int:
        """Taken and not yet acknowledged."""
        return len(self._queue)

    async def close(self, timeout_s: float) -> None:
        """Let what is under way finish (and be acknowledged) for up to `timeout_s`, then cancel the rest:
        left unacknowledged, it is handled again after the restart, and the ledger dedupes."""
        tasks = [task for _, task in self._queue]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=timeout_s)
        self._quiet = True
        for task in late:
            task.cancel()

    def _finished(self, key: Hashable, task: asyncio.Task[None]) -> None:
        if self._last.get(key) is task:
            del self._last[key]
        if not task.cancelled() and task.exception() is None:
            self._ack_ready()
        elif not self._quiet:
            self._quiet = True
            error = task.exception() if not task.cancelled() else asyncio.CancelledError()
            assert error is not None
            log.error("a delivery handler failed; nothing after it is acknowledged", exc_info=error)
            self.on_failure(error)

    def _ack_ready(self) -> None:
        """Acknowledge from the oldest on, while each has finished well (one that failed stops it)."""
        while self._queue:
            message, task = self._queue[0]
            if not task.done() or task.cancelled() or task.exception() is not None:
                return
            self._queue.popleft()
            message.ack()
            self._slots.release()


async def _after(before: asyncio.Task[None] | None, handle: Callable[[], Awaitable[None]]) -> None:
    if before is not None:
        await asyncio.wait([before])  # its outcome is its own: a failure stops everything anyway
    await handle()
