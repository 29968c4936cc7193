"""The one scheduler. Every kind of scheduled work (chases: unacknowledged alerts, unowned cases, panel
actions; reminders; pauses) registers with it as a `Kind`. A timer reads the injected clock, asks each kind
what is due, and puts a command for each on drr.notifier-escalations, keyed by case (the partition of the
state it touches, unless the command names its partition); the agent on that topic hands each command to
the kind it names. Faust tables are
written from streams only, hence the command topic. A command seen twice finds its state moved on.

Commands are JSON objects `{"kind": <kind name>, ...}`. Those written before kinds were named (a chase
step `{"alert_id", "step"}`, a pause's `{"pause" | "purge", ...}`, a reminder's `{"reminder", ...}`) are still
read, for one release. A command that is not JSON, or names no kind known here, is dead-lettered
(command_topics.py wires the agent and the timer).
"""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.notifier.clock import Clock

Command = dict[str, Any]
LEGACY_KEYS = (("alert_id", "chase"), ("pause", "pause"), ("purge", "pause"), ("reminder", "reminder"))
"""Until the next release: the kind of a command without one, by the key it carries."""


class CommandTopic(Protocol):
    """drr.notifier-escalations (a Faust topic; tests pass recorders)."""

    async def send(self, *, key: bytes, value: bytes, partition: int | None = None) -> Any: ...


class Kind(Protocol):
    @property
    def name(self) -> str: ...

    def due(self, now: datetime) -> Iterable[tuple[str, Command]]:
        """(case id, command) for each piece of work due at `now`."""

    async def take(self, command: Command) -> None:
        """Do the work if it is still due (a repeated command finds it done)."""


def kind_of(command: Command) -> str:
    if "kind" in command:
        return str(command["kind"])
    for key, kind in LEGACY_KEYS:
        if key in command:
            return kind
    raise KeyError("a command names its kind")


class Scheduler:
    def __init__(self, commands: CommandTopic, clock: Clock, kinds: Sequence[Kind]) -> None:
        self.commands, self.clock = commands, clock
        self.kinds = {kind.name: kind for kind in kinds}

    async def sweep(self) -> None:
        now = self.clock.now()
        for kind in self.kinds.values():
            for case_id, command in list(kind.due(now)):
                body = json.dumps({"kind": kind.name, **command}).encode()
                if "partition" in command:  # the partition its state is on, when the case's is not it
                    await self.commands.send(key=case_id.encode(), value=body, partition=command["partition"])
                else:
                    await self.commands.send(key=case_id.encode(), value=body)

    async def take(self, command: Command) -> None:
        await self.kinds[kind_of(command)].take(command)
