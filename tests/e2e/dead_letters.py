"""Reading drr.dead-letters on the real broker, as an operator would: each message with its headers."""

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer

from deploy.local.stack import Stack
from shared import topics

DeadLetter = dict[str, Any]
"""{"value": the message as it was, "source": the topic, "error": why, as text}."""


def dead_letters(stack: Stack, wanted: Callable[[DeadLetter], bool], timeout_s: float = 90) -> list[DeadLetter]:
    """The dead letters `wanted` picks, polled from the start of the topic until one turns up (or the deadline)."""
    return asyncio.run(_poll(stack, wanted, timeout_s))


async def _poll(stack: Stack, wanted: Callable[[DeadLetter], bool], timeout_s: float) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(
        topics.DEAD_LETTERS, auto_offset_reset="earliest", enable_auto_commit=False, **stack.kafka.client_options()
    )
    await consumer.start()
    found: list[DeadLetter] = []
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                found += [d for d in map(_read, batch) if wanted(d)]
            if found:
                return found
        raise AssertionError(f"no such dead letter within {timeout_s}s")
    finally:
        await consumer.stop()


def _read(message: Any) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in message.headers or ()}
    return {"value": message.value, "source": headers.get("source"), "error": headers.get("error")}


def as_json(letter: DeadLetter) -> Any:
    try:
        return json.loads(letter["value"])
    except ValueError:
        return None
