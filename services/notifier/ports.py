"""What the notifier's parts are handed rather than reach for: a topic to send to and the sending path.
Defined here, apart from both sides, so that a schedule kind needs nothing of `sending/` but this name."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from services.notifier.priorities import Priority
from shared.deliveries import Delivery


class Topic(Protocol):
    """What the notifier's parts send to (a Faust topic; tests pass recorders). A Faust topic's `send`
    returns the broker's acknowledgement, to await where the record must be on the broker first."""

    async def send(self, *, key: bytes, value: bytes, headers: Any = None) -> Any: ...


Send = Callable[[Delivery, Priority], Awaitable[Any]]
"""The one sending path (sending/sender.py): ledger, state machine, audit; returns the email's final state."""
