"""One bad message never stops a service: what a consumer cannot use goes to drr.dead-letters, whole,
with headers `source` (the topic it came from), `error` (where and why, never the content) and, where
two services read one topic, `consumer`; then the stream goes on.

A *data error* is what a message the code cannot use raises, at parsing or deeper in its handler: a
pydantic ValidationError or bad JSON (ValueErrors), a missing field (KeyError), a wrong shape (TypeError,
AttributeError), a value out of range (OverflowError). The same message fails the same way every time, so
it is dead-lettered, never retried (a crash would only bring it back). Anything else (the broker, a
cancellation) propagates as before.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from prometheus_client import Counter
from pydantic import ValidationError

from shared.failures import where

T = TypeVar("T")
DATA_ERRORS = (ValueError, LookupError, TypeError, AttributeError, ArithmeticError)
DEAD_LETTERED = Counter(
    "drr_messages_dead_lettered", "Messages a consumer could not use, sent to drr.dead-letters", ["source"]
)
log = logging.getLogger(__name__)


class DeadLetters(Protocol):
    """The dead-letter topic, as consumers send to it (a Faust topic; tests pass recorders)."""

    async def send(self, *, value: bytes, headers: Any = None) -> Any: ...


async def parse_or_dead_letter(
    parse: Callable[[bytes], T], raw: bytes, dead_letters: DeadLetters, source: str, consumer: str | None = None
) -> T | None:
    """The parsed message, or None once what does not parse is dead-lettered."""
    try:
        return parse(raw)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        await dead_letter(raw, exc, dead_letters, source, consumer)
        return None


async def handle_or_dead_letter(
    handle: Callable[[bytes], Awaitable[object]],
    raw: bytes,
    dead_letters: DeadLetters,
    source: str,
    consumer: str | None = None,
) -> bool:
    """Handle one message (parsing it included); one that fails with a data error is dead-lettered.
    Returns whether it was handled."""
    try:
        await handle(raw)
    except DATA_ERRORS as exc:
        await dead_letter(raw, exc, dead_letters, source, consumer)
        return False
    return True


async def dead_letter(
    raw: bytes, exc: Exception, dead_letters: DeadLetters, source: str, consumer: str | None = None
) -> None:
    headers = [("source", source.encode()), ("error", error_summary(exc))]
    if consumer:
        headers.append(("consumer", consumer.encode()))
    log.warning("dead-lettered a message", extra={"source": source, "error": type(exc).__name__, "at": where(exc)})
    await dead_letters.send(value=raw, headers=headers)
    DEAD_LETTERED.labels(source).inc()


def error_summary(exc: Exception) -> bytes:
    """Where and why it failed, without echoing the input (it may hold personal data)."""
    if isinstance(exc, ValidationError):
        return json.dumps(exc.errors(include_input=False, include_url=False, include_context=False)).encode()
    return f"{type(exc).__name__} at {where(exc)}".encode()
