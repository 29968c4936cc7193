"""A watchdog for messages faust-streaming skipped (0.15.3; upstream issue #596, reproduced here).

At the end of recovery faust resumes the stream partitions, then seeks them to their committed offsets,
then empties the stream buffers. A worker restarted on a backlog fetches while the seek is under way,
the buffer is emptied, and the re-fetch is dropped as already read: those messages are never handled
nor acknowledged, so no offset is committed past them. The worker handles the rest and sits idle, and
the skipped messages wait for some later rebalance (seen: minutes; once, never within the test).

With one message in flight per agent (our agents' concurrency), an acknowledged offset beyond the
committed one while the committed one is not is such a skip; seen on two checks in a row it is no message
on its way. The repair is faust's own: seek the partition back to its committed offset, so the skipped
messages are read (and the ones after them read again: every consumer here deduplicates by id).
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import faust
from prometheus_client import Counter

log = logging.getLogger(__name__)
REREADS = Counter("drr_faust_skipped_rereads", "Partitions sought back to re-read messages faust skipped", ["topic"])


def head_gaps(acked: Mapping[Any, Sequence[int]], committed: Mapping[Any, int | None]) -> dict[Any, int]:
    """Partition -> its committed offset, where every acknowledged offset lies beyond that one."""
    found = {}
    for tp, offsets in acked.items():
        offset = committed.get(tp)
        if offsets and offset is not None and min(offsets) > offset:
            found[tp] = offset
    return found


def confirmed(now: Mapping[Any, int], before: Mapping[Any, int]) -> Iterable[tuple[Any, int]]:
    return ((tp, offset) for tp, offset in now.items() if before.get(tp) == offset)


def watch_skipped(app: faust.App, interval_s: float) -> None:
    """Every `interval_s`, seek back each partition with a head gap seen the time before too."""
    seen: dict[Any, int] = {}

    async def check() -> None:
        nonlocal seen
        if app.rebalancing:
            seen = {}
            return
        consumer: Any = app.consumer  # faust keeps this bookkeeping on its Consumer, not in its API
        gaps = head_gaps(consumer._acked, consumer._committed_offset)
        for tp, offset in confirmed(gaps, seen):
            log.warning("re-reading skipped messages", extra={"topic": tp.topic, "partition": tp.partition,
                                                               "offset": offset})  # fmt: skip
            REREADS.labels(tp.topic).inc()
            await consumer.seek(tp, offset)
        seen = gaps

    app.timer(interval_s, name=f"{app.conf.id}.skipped_messages")(check)
