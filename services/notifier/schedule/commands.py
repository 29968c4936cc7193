"""Schedules on durable state, the one way Faust allows: tables are written from streams only, so a timer
reading the injected clock puts commands on a topic, and an agent on that topic takes them."""

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import faust

from shared import topics
from shared.dead_letters import handle_or_dead_letter
from shared.faust_app import raw_topic


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
    the sweep every `sweep_s` seconds. A command that is not JSON, or lacks what its handler needs, is
    dead-lettered and the next one taken."""
    dead_letters, source = raw_topic(app, topics.DEAD_LETTERS), commands.get_topic_name()

    async def take_one(raw: bytes) -> None:
        command = json.loads(raw)
        if not isinstance(command, dict):
            raise TypeError("a command is a JSON object")
        await on_command(command)

    async def take(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            await handle_or_dead_letter(take_one, raw, dead_letters, source)

    app.agent(commands, name=name)(take)
    app.timer(sweep_s)(sweep)
