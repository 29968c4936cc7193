"""faust-streaming's Kafka consumer with the two rules a crash must not break (stream_heads.py):
a stream partition's messages reach its stream in offset order from the committed offset, and an offset
is committed only once every message below it was acknowledged and every output sent for them was
acknowledged by the broker.

Why (faust-streaming 0.15.3, `faust/transport/consumer.py`, seen on our stack after a SIGKILL): at the end
of a recovery faust resumes the stream partitions, then awaits `perform_seek`; meanwhile the fetch loop
hands the streams messages from the committed offset on. The seek resets `_read_offset` to the committed
offset, the loop goes on with the batch fetched before it, and its next message is many offsets ahead:
`_drain_messages` records the offsets between as a "gap" (`_add_gap`, meant for compacted topics and
transaction markers), `flow_control.resume()` then empties the stream buffers, the re-fetched messages
are dropped as already read, and `_new_offset` counts the gap as acknowledged and commits past messages
no agent ever handled. Without a gap the same steps leave the partition stuck (upstream #596).

Here the fetch loop gives a stream partition only its next offset, drops what was given already, and
seeks back when a later one comes first (the skipped messages are read again). A seek or an emptied
buffer sets where the next offset is; gaps are never acknowledged. Changelog and other topics without
acknowledgements keep faust's own rule.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

import faust
from aiokafka.errors import IllegalStateError
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, Message
from faust.types.transports import TransportT
from mode import Service, ServiceT
from mode.utils.objects import cached_property
from mode.utils.queues import FlowControlEvent
from prometheus_client import Counter

from shared.stream_heads import Head, Verdict, handled_up_to

log = logging.getLogger(__name__)
REWINDS = Counter("drr_stream_rewinds", "Stream partitions sought back to messages their stream skipped", ["topic"])
YIELD_EVERY = 100
GAP_CHECK_EVERY_S = 1.0
"""How often, at most, each stream partition's fetch position is compared with its head (`_close_gaps`)."""
"""Messages handed over between two turns of the event loop (as faust does: health checks stay answered)."""


class HeadCheckedConsumer(driver.Consumer):
    _heads: dict[TP, Head]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._heads = {}
        self._failed_outputs: list[BaseException] = []
        self._gaps_checked_at = 0.0

    # -- where each stream partition starts, after every assignment and seek
    async def perform_seek(self) -> None:
        await super().perform_seek()
        streams = [tp for tp in self.assignment() if self.app.topics.acks_enabled_for(tp.topic)]
        fresh = [tp for tp in streams if self._committed_offset.get(tp) is None]
        if fresh:  # never committed (faust keeps 0 as None too): the stream starts at the log's start
            self._committed_offset.update(await self.earliest_offsets(*fresh))
        self._heads = {tp: Head(self._committed_offset.get(tp) or 0) for tp in streams}
        self._gaps_checked_at = 0.0  # messages fetched before the heads were set were dropped: check now

    async def seek(self, partition: TP, offset: int) -> None:
        await super().seek(partition, offset)
        if partition in self._heads:
            self._heads[partition].rewind(offset)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self._heads.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    def buffers_cleared(self) -> None:
        """Called when faust empties the stream buffers: what they held is read again (see `_admit`)."""
        for head in self._heads.values():
            head.stale = True

    # -- what is committed
    def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> Any:
        raise AssertionError("no gaps on stream topics: _drain_messages is replaced")  # pragma: no cover

    def _new_offset(self, tp: TP) -> int | None:
        base, acked = self._committed_offset.get(tp), self._acked[tp]
        if base is None or not acked:
            return None
        end = handled_up_to(base, acked)
        done = [offset for offset in acked if offset < end]
        acked[:] = sorted(offset for offset in acked if offset >= end)
        self._acked_index[tp].difference_update(done)
        return end if end > base else None

    def output_failed(self, error: BaseException) -> None:
        """A message sent for a handled one was refused after the producer's retries: commit nothing more."""
        self._failed_outputs.append(error)

    async def _commit(self, offsets: Mapping[TP, int]) -> bool:
        # faust flushed the producer just before: every output of the messages below `offsets` is settled
        if self._failed_outputs:
            log.error("an output was not acknowledged: no offset committed, stopping to read again")
            await self.crash(self._failed_outputs[0])
            return False
        return bool(await super()._commit(offsets))

    # -- what the streams are given
    async def _drain_messages(self, fetcher: ServiceT) -> None:  # pragma: no cover  (runs on a real broker)
        """faust's fetch loop with `_admit` in place of its read-offset and gap bookkeeping."""
        stopped, fetcher_stopped = cast(Service, self)._stopped.is_set, cast(Service, fetcher)._stopped.is_set
        stop_errors: tuple[type[BaseException], ...] = (asyncio.CancelledError, *self.consumer_stopped_errors)
        try:
            while not (stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                await self.sleep(0)
                if not self.should_stop:
                    await self._take_batch()
                self.diag.unset_flag(CONSUMER_FETCHING)
        except stop_errors:
            if self.transport.app.should_stop:
                return
            raise
        except Exception:
            log.exception("the fetch loop failed")
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _take_batch(self) -> None:  # pragma: no cover
        since_yield = 0
        async for tp, message in self.getmany(timeout=1.0):
            since_yield += 1
            if since_yield > YIELD_EVERY:
                await asyncio.sleep(0)
                since_yield = 0
            if await self._admit(tp, message):
                await self._give(tp, message)
        if time.monotonic() - self._gaps_checked_at >= GAP_CHECK_EVERY_S:
            await self._close_gaps()
            self._gaps_checked_at = time.monotonic()

    async def _close_gaps(self) -> None:  # pragma: no cover
        """Between two batches every message the fetcher returned was admitted or dropped, so a stream
        partition's position (the next offset the fetcher returns) must be its head. A position past the
        head means messages fetched and never given: faust's getmany stops a batch midway when the flow
        is suspended or the generation changes, drops a partition that is not active, the heads were not
        set yet, or faust emptied the buffers they sat in. Seek back now, rather than wait for the next
        message on the partition to show the gap: on a partition gone quiet there is none."""
        for tp, head in list(self._heads.items()):
            if head.stale:
                head.rewind(handled_up_to(self._committed_offset.get(tp) or 0, self._acked[tp]))
            try:
                position = await asyncio.wait_for(self.position(tp), GAP_CHECK_EVERY_S)
            except (TimeoutError, IllegalStateError):
                continue  # no valid position (being assigned or revoked): the next check sees it
            if position is not None and position > head.next and self._heads.get(tp) is head:
                log.warning("re-reading messages fetched and not given",
                            extra={"topic": tp.topic, "partition": tp.partition, "offset": head.next,
                                   "position": position})  # fmt: skip
                REWINDS.labels(tp.topic).inc()
                head.rewinding = True
                await super().seek(tp, head.next)

    async def _admit(self, tp: TP, message: Message) -> bool:
        if not self.app.topics.acks_enabled_for(message.topic):
            read = self._read_offset[tp]  # faust's rule, for changelogs
            return read is None or message.offset >= read
        head = self._heads.get(tp)
        if head is None:
            return False  # not sought yet since it was assigned: read again from the committed offset
        if head.stale:
            head.rewind(handled_up_to(self._committed_offset.get(tp) or 0, self._acked[tp]))
        verdict = head.admit(message.offset)
        if verdict is Verdict.REWIND:
            log.warning("re-reading skipped messages", extra={"topic": tp.topic, "partition": tp.partition,
                                                               "offset": head.next})  # fmt: skip
            REWINDS.labels(tp.topic).inc()
            await super().seek(tp, head.next)
        return verdict is Verdict.GIVE

    async def _give(self, tp: TP, message: Message) -> None:  # pragma: no cover
        commit_every = self._commit_every
        if commit_every is not None and self._n_acked >= commit_every:
            self._n_acked = 0
            await self.commit()
        delivery = self.callback(message)
        given = delivery in (await self.wait_first(delivery, self.suspend_flow.wait())).done
        self._read_offset[tp] = message.offset
        if not given and tp in self._heads:
            self._heads[tp].stale = True  # the flow stopped first: it may not have reached the stream


class Transport(driver.Transport):
    Consumer = HeadCheckedConsumer


class StreamApp(faust.App):
    """A faust app on `HeadCheckedConsumer`, told when faust empties its stream buffers."""

    def _new_transport(self) -> TransportT:
        return Transport(self.conf.broker_consumer, self)

    @cached_property
    def flow_control(self) -> FlowControlEvent:
        return _ClearSignalling(self._buffers_cleared, loop=self.loop)

    def _buffers_cleared(self) -> None:
        if isinstance(self._consumer, HeadCheckedConsumer):
            self._consumer.buffers_cleared()

    def output_failed(self, error: BaseException) -> None:
        """A message sent outside faust's Topic.send (the router's) failed: nothing more is committed."""
        cast(HeadCheckedConsumer, self.consumer).output_failed(error)


class _ClearSignalling(FlowControlEvent):
    def __init__(self, on_clear: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_clear = on_clear

    def clear(self) -> None:
        super().clear()
        self._on_clear()
