"""Forgetting what is no longer needed, so the email ledger and the acknowledgements do not grow without
bound. A ledger entry guards against sending a delivery twice; once drr.deliveries no longer holds the
delivery (its retention, the replay horizon), nothing can bring it back, and the entry goes. An
acknowledgement goes after the same horizon unless a chase still names it (a panel action due months
ahead is resolved by an acknowledgement given today).

A scheduler kind (scheduler.py): the scan runs at most once per `scan_every_s`; each entry is deleted by a
command taken on its own partition (a ledger entry records the partition it was written on; an
acknowledgement is on its case's), since a table entry is deleted where it was written."""

from collections.abc import Iterable, Iterator, MutableMapping
from datetime import datetime, timedelta
from typing import Any

from shared import topics

HORIZON = timedelta(milliseconds=int(topics.CONFIGS[topics.DELIVERIES]["retention.ms"]))
"""How long a delivery can still be read again from drr.deliveries (its retention)."""
TIMESTAMPS = {"emails": "at", "acks": "acknowledged_at"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class Forgetting:
    name = "forget"

    def __init__(
        self,
        emails: MutableMapping[str, Any],
        acks: MutableMapping[str, Any],
        chases: MutableMapping[str, Any],
        horizon: timedelta = HORIZON,
        scan_every: timedelta = timedelta(hours=1),
    ) -> None:
        self.tables = {"emails": emails, "acks": acks}
        self.chases, self.horizon, self.scan_every = chases, horizon, scan_every
        self._next_scan: datetime | None = None

    def _old(self, table: str, entry: Any, now: datetime) -> bool:
        stamp = entry.get(TIMESTAMPS[table]) if isinstance(entry, dict) else None
        return stamp is not None and datetime.fromisoformat(stamp) < now - self.horizon

    def due(self, now: datetime) -> Iterable[tuple[str, dict[str, Any]]]:
        if self._next_scan is not None and now < self._next_scan:
            return []
        self._next_scan = now + self.scan_every
        found: list[tuple[str, dict[str, Any]]] = []
        for key, entry in list(self.tables["emails"].items()):
            if self._old("emails", entry, now) and "p" in entry:  # entries from before the partition was kept stay
                found.append((key, {"table": "emails", "key": key, "partition": entry["p"]}))
        named = {s for entry in list(self.chases.values()) for s in _strings(entry)}
        for key, entry in list(self.tables["acks"].items()):
            if self._old("acks", entry, now) and key not in named:
                found.append((entry["case_id"], {"table": "acks", "key": key}))
        return found

    async def take(self, command: dict[str, Any]) -> None:
        table = self.tables[command["table"]]
        entry = table.get(command["key"])
        if entry is not None:  # a repeated command finds it gone
            del table[command["key"]]
