"""faust-streaming's own consumer bookkeeping, stock and with shared/faust_consumer.py, on the sequence
seen after a router was SIGKILLed (no broker: the consumer is built and never started).

The sequence: committed offset 27; during the seek at the end of recovery the stream was given 27..40;
the seek put faust's read offset back to 27; the next message of the batch fetched before it was 41, so
faust recorded 28..41 as a gap; emptying the stream buffers threw away 38..40 before they were handled.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from faust.transport.drivers.aiokafka import Consumer as StockConsumer
from faust.types import TP, Message

from services.notifier.app import build as notifier
from services.notifier.bootstrap import NotifierSettings
from services.router.app import build as router
from services.router.bootstrap import RouterSettings
from shared import topics
from shared.faust_app import make_app
from shared.faust_consumer import HeadCheckedConsumer, StreamApp
from shared.policy import load_policy
from shared.stream_heads import Head

P0 = TP(topics.EVENTS, 0)


@pytest.fixture
def app() -> Iterator[StreamApp]:
    app = make_app("test-heads", RouterSettings())
    yield app
    if app._consumer is not None:  # its never-started thread owns an event loop
        app.consumer._thread.thread_loop.close()


async def acking(app: StreamApp) -> HeadCheckedConsumer:
    app.topics.add(app.topic(topics.EVENTS))
    await app.topics._update_indices()  # faust's own registration of a topic whose messages are acked
    consumer = app.consumer
    assert isinstance(consumer, HeadCheckedConsumer)
    consumer._committed_offset[P0] = 27
    consumer._heads[P0] = Head(27)
    return consumer


def message(offset: int) -> Message:
    return Message(topics.EVENTS, 0, offset, 0.0, 0, [], b"case", b"{}", None, tp=P0)


def ack(consumer: Any, offsets: range) -> None:
    for offset in offsets:
        consumer.ack(message(offset))


def commit(consumer: Any) -> int | None:
    """What successive commits reach: faust's `_new_offset`, then the committed offset as
    `_commit_offsets` records it, until nothing more may be committed."""
    while (offset := consumer._new_offset(P0)) is not None:
        consumer._committed_offset[P0] = offset
    return consumer._committed_offset[P0]


async def test_stock_faust_commits_past_messages_recorded_as_a_gap(app: StreamApp) -> None:
    """The loss itself, on faust's own `_add_gap` and `_new_offset`: 38..40 were never handled."""
    await acking(app)
    stock = StockConsumer(
        app.transport, callback=lambda message: None, on_partitions_revoked=None, on_partitions_assigned=None
    )
    try:
        stock._committed_offset[P0] = 27
        ack(stock, range(27, 38))
        await stock._add_gap(P0, 28, 41)
        ack(stock, range(41, 45))
        assert commit(stock) == 45
    finally:
        stock._thread.thread_loop.close()


async def test_a_gap_is_never_acknowledged_and_the_commit_stops_below_the_first_unhandled(app: StreamApp) -> None:
    consumer = await acking(app)
    ack(consumer, range(27, 38))
    ack(consumer, range(41, 45))
    assert commit(consumer) == 38  # 38..40 unhandled: nothing past them
    ack(consumer, range(38, 41))
    assert commit(consumer) == 45


async def test_the_message_at_the_committed_offset_must_be_handled_before_anything_is_committed(
    app: StreamApp,
) -> None:
    """Stock faust lets the first acknowledged offset be the committed one + 1 (`min(acked) - committed > 1`)."""
    consumer = await acking(app)
    ack(consumer, range(28, 31))
    assert commit(consumer) == 27
    consumer.ack(message(27))
    assert commit(consumer) == 31


async def test_a_later_message_first_is_not_given_and_the_partition_is_sought_back(
    app: StreamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = await acking(app)
    sought: list[tuple[TP, int]] = []
    monkeypatch.setattr(consumer._thread, "seek", lambda tp, offset: sought.append((tp, offset)))
    given = [o for o in (41, 42, 27, 28, 27) if await consumer._admit(P0, message(o))]
    assert given == [27, 28] and sought == [(P0, 27)]


async def test_emptied_buffers_are_read_again_from_the_first_unacknowledged_message(
    app: StreamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = await acking(app)
    sought: list[tuple[TP, int]] = []
    monkeypatch.setattr(consumer._thread, "seek", lambda tp, offset: sought.append((tp, offset)))
    assert all([await consumer._admit(P0, message(o)) for o in range(27, 41)])
    ack(consumer, range(27, 38))
    app.flow_control.resume()  # faust empties the stream buffers: 38..40 are gone
    assert not await consumer._admit(P0, message(41))
    assert sought == [(P0, 38)]
    assert await consumer._admit(P0, message(38))


def at_position(consumer: HeadCheckedConsumer, monkeypatch: pytest.MonkeyPatch, offset: int) -> list[tuple[TP, int]]:
    """The fetcher's position for P0 is `offset`; returns the seeks made."""
    sought: list[tuple[TP, int]] = []

    async def position(tp: TP) -> int:
        return offset

    monkeypatch.setattr(consumer, "position", position)
    monkeypatch.setattr(consumer._thread, "seek", lambda tp, to: sought.append((tp, to)))
    return sought


async def test_messages_fetched_and_never_given_are_read_again_with_no_later_message_to_show_the_gap(
    app: StreamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """27..40 were fetched before the heads were set (or faust cut the batch short) and the partition then
    went quiet: the check between batches seeks back, and 27 on is given again."""
    consumer = await acking(app)
    sought = at_position(consumer, monkeypatch, 41)
    await consumer._close_gaps()
    assert sought == [(P0, 27)]
    assert not await consumer._admit(P0, message(41))  # still on its way back
    assert [o for o in range(27, 30) if await consumer._admit(P0, message(o))] == [27, 28, 29]


async def test_emptied_buffers_on_a_quiet_partition_are_read_again_from_the_first_unacknowledged(
    app: StreamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = await acking(app)
    sought = at_position(consumer, monkeypatch, 41)
    assert all([await consumer._admit(P0, message(o)) for o in range(27, 41)])
    ack(consumer, range(27, 38))
    app.flow_control.resume()  # faust empties the stream buffers: 38..40 are gone, and no 41 comes
    await consumer._close_gaps()
    assert sought == [(P0, 38)]
    assert await consumer._admit(P0, message(38))


async def test_a_partition_at_its_head_is_left_alone(app: StreamApp, monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = await acking(app)
    sought = at_position(consumer, monkeypatch, 31)
    assert all([await consumer._admit(P0, message(o)) for o in range(27, 31)])
    await consumer._close_gaps()
    assert sought == []


async def test_after_an_output_failed_no_offset_is_committed_and_the_worker_stops(
    app: StreamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = await acking(app)
    crashed: list[BaseException] = []

    async def crash(error: BaseException) -> None:
        crashed.append(error)

    monkeypatch.setattr(consumer, "crash", crash)
    refused = TimeoutError("no broker acknowledgement")
    app.output_failed(refused)
    assert await consumer._commit({P0: 30}) is False
    assert crashed == [refused]


def test_no_agent_reads_a_compacted_topic() -> None:
    """The head check takes a missing offset for a skipped message: only true where offsets have no gaps
    (no compaction; nothing here produces transactionally)."""
    apps = [router(RouterSettings(), load_policy()), notifier(NotifierSettings())]
    read = {name for app in apps for agent in app.agents.values() for name in agent.channel.topics}
    assert read >= {topics.EVENTS, topics.DELIVERIES}
    assert not read & topics.COMPACTED
