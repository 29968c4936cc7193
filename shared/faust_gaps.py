"""A watchdog for messages faust-streaming skipped (0.15.3; upstream issue #596, reproduced here).

At the end of recovery faust resumes the stream partitions, then seeks them to their committed offsets,
then empties the stream buffers. A worker restarted on a backlog fetches while the seek is under way,
the buffer is emptied, and the re-fetch is dropped as already read: those messages are never handled
nor acknowledged, so no offset is committed past them. The worker handles whatever comes after them (if
anything) and sits idle, and the skipped messages wait for some later rebalance (seen: minutes; once,
not within eight).

A partition is stuck when the broker holds messages from its committed offset on, yet the message at
that offset is neither acknowledged nor on its way (no message of the partition is in flight: our agents
acknowledge in the order they take messages, one at a time or several under way (the notifier's
in_order.py), so while the one at that offset is on its way, some message of the partition is). Seen so
on two checks in a row, with the same committed offset, it is sought back to that offset, faust's own
repair: the skipped messages are read (and any after them read again: every consumer here deduplicates
by id).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import faust
from prometheus_client import Counter

log = logging.getLogger(__name__)
REREADS = Counter("drr_faust_skipped_rereads", "Partitions sought back to re-read messages faust skipped", ["topic"])


@dataclass(frozen=True)
class Partition:
    committed: int | None
    """The next offset to handle, as last committed."""
    end: int | None
    """The broker's end offset (the next to be written)."""
    acked: frozenset[int]
    in_flight: bool


def stuck(partitions: Mapping[Any, Partition]) -> dict[Any, int]:
    """Partition -> the committed offset it is stuck at."""
    return {
        tp: p.committed
        for tp, p in partitions.items()
        if p.committed is not None and p.end is not None and p.end > p.committed
        and p.committed not in p.acked and not p.in_flight
    }  # fmt: skip


def confirmed(now: Mapping[Any, int], before: Mapping[Any, int]) -> Iterable[tuple[Any, int]]:
    return ((tp, offset) for tp, offset in now.items() if before.get(tp) == offset)


async def observe(app: faust.App) -> dict[Any, Partition]:
    """The facts per stream partition (faust keeps them on its Consumer, outside its public API)."""
    consumer: Any = app.consumer
    tps = [tp for tp in consumer.assignment() if app.topics.acks_enabled_for(tp.topic)]
    if not tps:
        return {}
    ends = await consumer.highwaters(*tps)
    in_flight = {m.tp for m in list(consumer._unacked_messages)}
    return {
        tp: Partition(consumer._committed_offset.get(tp), ends.get(tp), frozenset(consumer._acked.get(tp, ())),
                      tp in in_flight)
        for tp in tps
    }  # fmt: skip


def watch_skipped(app: faust.App, interval_s: float) -> None:
    """Every `interval_s`, seek back each partition seen stuck at the same offset the time before too."""
    seen: dict[Any, int] = {}

    async def check() -> None:
        nonlocal seen
        if app.rebalancing:
            seen = {}
            return
        now = stuck(await observe(app))
        for tp, offset in confirmed(now, seen):
            log.warning("re-reading skipped messages", extra={"topic": tp.topic, "partition": tp.partition,
                                                               "offset": offset})  # fmt: skip
            REREADS.labels(tp.topic).inc()
            await app.consumer.seek(tp, offset)
        seen = now

    app.timer(interval_s, name=f"{app.conf.id}.skipped_messages")(check)
