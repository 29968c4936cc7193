"""The idempotency ledger: exactly one email per (event, recipient, channel), across restarts, Kafka
redelivery and a replay of the deliveries topic from offset 0.

Backed by a Faust table (changelog topic, restored on start). The `sending` mark is made durable
*before* the email leaves, and the final state once the server has accepted it and its audit records
are on the broker. A delivery found in `sending` was interrupted (a crash) between those two writes:
whether the server took it cannot be known, so it is sent again marked as a possible duplicate, with the
same Message-ID (and the same audit record ids, which the audit ledger dedupes).
"""

from collections.abc import MutableMapping
from enum import Enum
from typing import Any, cast
from uuid import UUID

from services.notifier.clock import Clock
from services.notifier.durable import ChangelogTable, put
from services.notifier.priorities import Priority
from services.notifier.states import FINAL, DeliveryState
from shared.deliveries import Delivery

CHANNEL = "email"


class Seen(Enum):
    NEW = "new"
    DONE = "done"
    INTERRUPTED = "interrupted"


class EmailLedger:
    def __init__(self, table: MutableMapping[str, Any], clock: Clock) -> None:
        self.table, self.clock = table, clock

    @staticmethod
    def key(delivery: Delivery) -> str:
        return key_of(delivery.delivery_id)

    def seen(self, delivery: Delivery) -> Seen:
        state = self.state(delivery)
        if state is None:
            return Seen.NEW
        return Seen.DONE if state in FINAL else Seen.INTERRUPTED

    def state(self, delivery: Delivery) -> DeliveryState | None:
        entry = self.table.get(self.key(delivery))
        return None if entry is None else DeliveryState(entry["state"])

    def priority_of(self, delivery_id: UUID | None) -> Priority | None:
        """The priority a delivery was handled at (None: not seen, or recorded before priorities were)."""
        entry = None if delivery_id is None else self.table.get(key_of(delivery_id))
        return None if entry is None or "priority" not in entry else Priority(entry["priority"])

    async def mark(self, delivery: Delivery, state: DeliveryState, priority: Priority | None) -> None:
        """Record the state and wait until the changelog write is acknowledged by the broker (`priority`
        None: none could be worked out, as for a delivery given up on before it had one)."""
        key = self.key(delivery)
        entry: dict[str, Any] = {"state": state.value, "at": self.clock.now().isoformat()}
        if priority is not None:
            entry["priority"] = priority.value
        if (partition := cast(ChangelogTable, self.table).partition_for_key(key)) is not None:
            entry["p"] = partition  # where a sweep deletes it once past the replay horizon (schedule/forgetting.py)
        await put(self.table, key, entry)


def key_of(delivery_id: UUID) -> str:
    """delivery_id is already stable per (event, recipient); the channel completes the triple."""
    return f"{CHANNEL}:{delivery_id}"
