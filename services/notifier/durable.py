"""Table writes the notifier waits for, each alone: the awaitable resolves once the broker has
acknowledged the changelog write (producer acks=all).

Faust's `table[key] = value` sends the same write but drops its future, which left a flush of the whole
producer as the only way to wait for it; with several deliveries under way every flush woke on every
message sent, a fifth of the notifier's time in its profile.
"""

from collections.abc import Awaitable, MutableMapping
from typing import Any, Protocol, cast


class ChangelogTable(Protocol):
    """The changelog side of a Faust table (unit tests pass a dict-backed fake)."""

    @property
    def data(self) -> MutableMapping[Any, Any]: ...

    def partition_for_key(self, key: Any, /) -> int | None: ...

    def send_changelog(self, partition: int | None, key: Any, value: Any, /) -> Awaitable[Any]: ...


def put(table: MutableMapping[str, Any], key: str, value: Any) -> Awaitable[Any]:
    """Set `key` as `table[key] = value` does (changelog write, then the local store); `table` is a Faust
    table, or a fake with the same changelog side."""
    changelog = cast(ChangelogTable, table)
    written = changelog.send_changelog(changelog.partition_for_key(key), key, value)
    changelog.data[key] = value
    return written
