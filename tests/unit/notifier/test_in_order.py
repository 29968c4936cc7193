"""Several deliveries under way at once, with the guarantees of one at a time (in_order.py)."""

import asyncio
from collections.abc import Awaitable, Callable

from services.notifier.sending.in_order import InOrder


class Message:
    def __init__(self, name: str, acked: list[str]) -> None:
        self.name, self.acked = name, acked

    def ack(self) -> None:
        self.acked.append(self.name)


def gated(gate: asyncio.Event, log: list[str], name: str) -> Callable[[], Awaitable[None]]:
    async def handle() -> None:
        log.append(f"start {name}")
        await gate.wait()
        log.append(f"end {name}")

    return handle


def unexpected(error: BaseException) -> None:
    raise AssertionError(f"no handler should fail here: {error!r}")


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_acknowledged_in_the_order_taken_whatever_order_they_finish() -> None:
    acked: list[str] = []
    log: list[str] = []
    gates = {name: asyncio.Event() for name in "abc"}
    in_order = InOrder(8, on_failure=unexpected)
    for name in "abc":
        await in_order.start(Message(name, acked), key=name, handle=gated(gates[name], log, name))
    await settle()
    assert log == ["start a", "start b", "start c"]  # all under way together
    gates["c"].set()
    gates["b"].set()
    await settle()
    assert log[3:] == ["end c", "end b"] and acked == []  # none acknowledged while the first is under way
    gates["a"].set()
    await settle()
    assert acked == ["a", "b", "c"] and in_order.under_way == 0


async def test_one_case_at_a_time_in_the_order_taken() -> None:
    acked: list[str] = []
    log: list[str] = []
    first, second = asyncio.Event(), asyncio.Event()
    second.set()
    in_order = InOrder(8, on_failure=unexpected)
    await in_order.start(Message("1", acked), key="C-1", handle=gated(first, log, "1"))
    await in_order.start(Message("2", acked), key="C-1", handle=gated(second, log, "2"))
    await settle()
    assert log == ["start 1"]  # the second waits for the first, though its own gate is open
    first.set()
    await settle()
    assert log == ["start 1", "end 1", "start 2", "end 2"] and acked == ["1", "2"]


async def test_no_more_than_the_window_unacknowledged() -> None:
    acked: list[str] = []
    gate = asyncio.Event()
    in_order = InOrder(2, on_failure=unexpected)
    for name in "ab":
        await in_order.start(Message(name, acked), key=name, handle=gated(gate, [], name))
    third = asyncio.ensure_future(in_order.start(Message("c", acked), key="c", handle=gated(gate, [], "c")))
    await settle()
    assert not third.done() and in_order.under_way == 2
    gate.set()
    await settle()
    assert third.done() and acked == ["a", "b", "c"]


async def test_a_failure_is_reported_once_and_stops_acknowledgement_at_it() -> None:
    acked: list[str] = []
    failures: list[BaseException] = []
    gate = asyncio.Event()

    async def broken() -> None:
        raise RuntimeError("broker gone")

    in_order = InOrder(8, on_failure=failures.append)
    await in_order.start(Message("before", acked), key="a", handle=gated(gate, [], "before"))
    await in_order.start(Message("failed", acked), key="b", handle=broken)
    await in_order.start(Message("after", acked), key="c", handle=gated(asyncio.Event(), [], "x"))
    await in_order.start(Message("also failed", acked), key="d", handle=broken)
    await settle()
    assert [str(f) for f in failures] == ["broker gone"]  # told at once, while `before` is still under way
    gate.set()
    await settle()
    assert acked == ["before"]  # nothing from the failed one on: handled again after the restart


async def test_close_lets_quick_handlers_finish_and_cancels_the_rest_without_a_failure() -> None:
    acked: list[str] = []
    failures: list[BaseException] = []
    in_order = InOrder(8, on_failure=failures.append)
    await in_order.start(Message("quick", acked), key="a", handle=lambda: asyncio.sleep(0))
    await in_order.start(Message("stuck", acked), key="b", handle=gated(asyncio.Event(), [], "stuck"))
    await in_order.close(timeout_s=0.05)
    await settle()
    assert acked == ["quick"] and failures == []
