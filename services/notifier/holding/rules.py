"""Holding alerts back and releasing them as one email (after Alertmanager's grouping):

- **group**: a normal-priority alert waits `settle_seconds` (counted from the first one) so that several
  for one case and recipient become one email;
- **digest**: low-priority alerts wait for one email per recipient a day, at `digest_hour_utc`;
- **paused**: while a case's alerts are paused, every non-critical one waits for the pause to end.

Critical and high alerts are never grouped (they go at once); only a pause holds high ones back.

Pure: a batch is a plain dict (a Faust table value) keyed by `batch_key`; `now` comes from the caller's
clock. The released email's delivery id depends only on the batch key and the ids it holds, so a
release taken twice after a restart is deduplicated by the idempotency ledger.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field

from services.notifier.priorities import Priority
from services.notifier.schedule import NEVER_HELD
from shared.deliveries import Delivery, Recipient
from shared.priorities import RANK


class HoldKind(StrEnum):
    GROUP = "group"
    DIGEST = "digest"
    PAUSED = "paused"


EVENT_TYPES = {
    HoldKind.GROUP: "updates.grouped",
    HoldKind.DIGEST: "updates.digest",
    HoldKind.PAUSED: "updates.released",
}
"""The released email's event type per kind (its templates: `updates.*`, see rendering.py)."""
RELEASED_TYPES = frozenset(EVENT_TYPES.values())


class Holding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    settle_seconds: float = Field(120, ge=0)
    """0 sends normal alerts at once, ungrouped."""
    digest_hour_utc: int = Field(7, ge=0, le=23)
    max_items: int = Field(50, ge=1)
    """A batch this full goes out at the next sweep: one email stays readable (and one table value small)."""


@dataclass(frozen=True)
class Placement:
    """Where a held alert waits: the batch, the Kafka key its batch lives under, and when it goes."""

    kind: HoldKind
    batch_key: str
    route_key: str
    release_at: datetime


def placement(
    delivery: Delivery, priority: Priority, now: datetime, rule: Holding, paused_until: datetime | None
) -> Placement | None:
    """None: send now. A released batch is never held again (an operator's replay of a dead letter), nor
    is the news of a pause itself (who paused, until when; and that it was lifted)."""
    case_id, recipient = delivery.case_id, delivery.recipient.practitioner_id
    if delivery.event_type in RELEASED_TYPES | NEVER_HELD or priority is Priority.CRITICAL:
        return None
    if paused_until is not None:
        return Placement(HoldKind.PAUSED, f"paused:{case_id}:{recipient}", case_id, paused_until)
    if priority is Priority.NORMAL and rule.settle_seconds > 0:
        release_at = now + timedelta(seconds=rule.settle_seconds)
        return Placement(HoldKind.GROUP, f"group:{case_id}:{recipient}", case_id, release_at)
    if priority is Priority.LOW:
        return Placement(HoldKind.DIGEST, f"digest:{recipient}", recipient, next_digest(now, rule))
    return None


def next_digest(now: datetime, rule: Holding) -> datetime:
    today = datetime.combine(now.astimezone(UTC).date(), time(rule.digest_hour_utc), tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


def added(
    batch: dict[str, Any] | None, place: Placement, delivery: Delivery, priority: Priority, rule: Holding, now: datetime
) -> dict[str, Any]:
    """The batch with one more alert (a repeat of one it holds changes nothing); opened if new."""
    batch = batch or {
        "kind": place.kind.value, "route_key": place.route_key, "case_id": delivery.case_id,
        "recipient": delivery.recipient.model_dump(mode="json"), "opened_at": now.isoformat(),
        "release_at": place.release_at.isoformat(), "items": [],
    }  # fmt: skip
    if any(item["delivery"]["delivery_id"] == str(delivery.delivery_id) for item in batch["items"]):
        return batch
    item = {"delivery": delivery.model_dump(mode="json"), "priority": priority.value}
    grown = {**batch, "items": [*batch["items"], item]}
    return {**grown, "release_at": now.isoformat()} if len(grown["items"]) >= rule.max_items else grown


def is_due(batch: dict[str, Any], now: datetime, paused_until: datetime | None) -> bool:
    """A paused batch goes when the pause is over (lifted, expired, or replaced by none); the others
    at their time."""
    if batch["kind"] == HoldKind.PAUSED:
        return paused_until is None
    return datetime.fromisoformat(batch["release_at"]) <= now


def regrouped(batch: dict[str, Any], paused_until: datetime) -> dict[str, Any]:
    """A group whose case was paused while it settled: it waits for the pause like the rest."""
    return {**batch, "kind": HoldKind.PAUSED.value, "release_at": paused_until.isoformat()}


def paused_key(batch: dict[str, Any]) -> str:
    return f"paused:{batch['case_id']}:{batch['recipient']['practitioner_id']}"


def merged(into: dict[str, Any] | None, batch: dict[str, Any]) -> dict[str, Any]:
    if into is None:
        return batch
    known = {item["delivery"]["delivery_id"] for item in into["items"]}
    new = [item for item in batch["items"] if item["delivery"]["delivery_id"] not in known]
    return {**into, "items": [*into["items"], *new]}


def members(batch: dict[str, Any]) -> list[Delivery]:
    return [Delivery.model_validate(item["delivery"]) for item in batch["items"]]


def release(batch_key: str, batch: dict[str, Any], now: datetime) -> tuple[Delivery, Priority]:
    """The one email a batch becomes, and its priority (a paused batch's: its most urgent alert's)."""
    kind = HoldKind(batch["kind"])
    ids = sorted(item["delivery"]["delivery_id"] for item in batch["items"])
    cases = {item["delivery"]["case_id"] for item in batch["items"]}
    email_id = uuid5(NAMESPACE_URL, f"drr:held:{batch_key}:{','.join(ids)}")
    priorities = [Priority(item["priority"]) for item in batch["items"]]
    priority = max(priorities, key=RANK.index) if kind is HoldKind.PAUSED else priorities[0]
    delivery = Delivery(
        delivery_id=email_id, event_id=email_id, event_type=EVENT_TYPES[kind],
        case_id=cases.pop() if len(cases) == 1 else "several", occurred_at=now, person={},
        recipient=Recipient.model_validate(batch["recipient"]), payload={"items": batch["items"]},
        fields_withheld=[], rule=f"held:{kind.value}",
    )  # fmt: skip
    return delivery, priority
