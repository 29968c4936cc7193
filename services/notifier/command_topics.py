"""A command topic's Faust side: tables are written from streams only, so a timer reading the injected clock
puts commands on a topic, and an agent on that topic takes them. The scheduler (schedule/) and the held
batches (holding/) each have one."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import faust

from shared import topics
from shared.dead_letters import handle_or_dead_letter
from shared.faust_app import raw_topic


def wire_commands(
    app: faust.App,
    commands: faust.TopicT,
    take: Callable[[dict[str, Any]], Awaitable[None]],
    *,
    name: str,
    sweep: Callable[[], Awaitable[None]],
    sweep_s: float,
) -> None:
    """An agent (called `name`: agents made here would otherwise share one) taking each JSON command, and
    the sweep every `sweep_s` seconds; a command that is not a JSON object, or that its handler cannot use,
    is dead-lettered and the next one taken."""
    dead_letters, source = raw_topic(app, topics.DEAD_LETTERS), commands.get_topic_name()

    async def take_one(raw: bytes) -> None:
        command = json.loads(raw)
        if not isinstance(command, dict):
            raise TypeError("a command is a JSON object")
        await take(command)

    async def agent(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            await handle_or_dead_letter(take_one, raw, dead_letters, source)

    app.agent(commands, name=name)(agent)
    app.timer(sweep_s)(sweep)
