"""Schedules on durable state, the one way Faust allows: tables are written from streams only, so a timer
reading the injected clock puts commands on a topic, and an agent on that topic takes them."""

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import faust


class Topic(Protocol):
    """What the notifier's parts send to (a Faust topic; tests pass recorders). A Faust topic's `send`
    returns the broker's acknowledgement, to await where the record must be on the broker first."""

    async def send(self, *, key: bytes, value: bytes, headers: Any = None) -> Any: ...


def take_commands(
    app: faust.App,
    commands: faust.TopicT,
    on_command: Callable[[dict[str, Any]], Awaitable[None]],
    *,
    name: str,
    sweep: Callable[[], Awaitable[None]],
    sweep_s: float,
) -> None:
    """An agent (called `name`: agents made here would otherwise share one) taking each JSON command, and
    the sweep every `sweep_s` seconds."""

    async def take(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            await on_command(json.loads(raw))

    app.agent(commands, name=name)(take)
    app.timer(sweep_s)(sweep)
