"""What the portal knows, folded from the topics it follows (feeds.py): every delivery by case, each case's
team and access rules as the router keeps them, the acknowledgements as the notifier recorded them, and the
cases erased. Pure: a record in, the book changed; nothing here touches Kafka.

A delivery is already redacted for its recipient by the router, so a page made only of one practitioner's
deliveries shows nothing the sharing policy did not give them. Sealed fields stay sealed here: they are
opened for the page that shows them (views.py), never kept open.
"""

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from shared import topics
from shared.deliveries import Delivery
from shared.policy import CaseState
from shared.team import CaseTeam

log = logging.getLogger(__name__)


def text_key(key: bytes | None) -> str | None:
    """A record's key as text: Faust's changelogs keep JSON strings (`"case-1"`), the others raw bytes."""
    if key is None:
        return None
    raw = key.decode()
    if raw.startswith('"'):
        try:
            decoded = json.loads(raw)
        except ValueError:
            return raw
        return decoded if isinstance(decoded, str) else raw
    return raw


@dataclass
class Book:
    deliveries: dict[str, dict[str, Delivery]] = field(default_factory=dict)
    """Case id -> delivery id -> the delivery, in the order they arrived."""
    teams: dict[str, CaseTeam] = field(default_factory=dict)
    access: dict[str, CaseState] = field(default_factory=dict)
    """Case id -> its agreements and access restrictions (the team is in `teams`)."""
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Acknowledged id (a delivery's, or a panel action's) -> the acknowledgement the notifier recorded."""
    erased: set[str] = field(default_factory=set)
    version: int = 0
    """Counts the changes, so a page that waits for news (the inbox's event stream) knows there is some."""

    def fold(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        """One record of a followed topic; a record that does not parse is logged (by topic only) and skipped."""
        try:
            FOLDS[topic](self, text_key(key), value)
        except (ValidationError, ValueError, KeyError, TypeError):
            log.warning("record skipped", extra={"topic": topic})
            return
        self.version += 1

    def state(self, case_id: str) -> CaseState:
        """The case state the visibility rule reads (shared.policy.visible_to)."""
        access = self.access.get(case_id, CaseState())
        return access.model_copy(update={"team": self.teams.get(case_id, CaseTeam())})

    def sent_to(self, practitioner_id: str) -> Iterator[Delivery]:
        """Every delivery this practitioner was sent, over all cases."""
        for deliveries in self.deliveries.values():
            yield from (d for d in deliveries.values() if d.recipient.practitioner_id == practitioner_id)

    def acknowledgers(self, delivery: Delivery) -> list[dict[str, Any]]:
        """The acknowledgements of the same event by anyone it went to (theirs or someone else's)."""
        same = self.deliveries.get(delivery.case_id, {}).values()
        return [
            self.acks[str(d.delivery_id)]
            for d in same
            if d.event_id == delivery.event_id and str(d.delivery_id) in self.acks
        ]

    def forget(self, case_id: str) -> None:
        self.deliveries.pop(case_id, None)
        self.teams.pop(case_id, None)
        self.access.pop(case_id, None)
        self.acks = {k: a for k, a in self.acks.items() if a.get("case_id") != case_id}


def _delivery(book: Book, key: str | None, value: bytes | None) -> None:
    if value is None:
        return
    delivery = Delivery.model_validate_json(value)
    if delivery.case_id in book.erased:
        return
    book.deliveries.setdefault(delivery.case_id, {})[str(delivery.delivery_id)] = delivery


def _team(book: Book, key: str | None, value: bytes | None) -> None:
    if key is None:
        return
    if value is None:
        book.teams.pop(key, None)
    else:
        book.teams[key] = CaseTeam.model_validate_json(value)


def _access(book: Book, key: str | None, value: bytes | None) -> None:
    if key is None:
        return
    if value is None:
        book.access.pop(key, None)
    else:
        book.access[key] = CaseState.model_validate_json(value)


def _ack(book: Book, key: str | None, value: bytes | None) -> None:
    if key is None:
        return
    if value is None:
        book.acks.pop(key, None)
    else:
        ack = json.loads(value)
        book.acks[key] = ack if isinstance(ack, dict) else {}


def _erasure(book: Book, key: str | None, value: bytes | None) -> None:
    case_id = key or json.loads(value or b"{}")["case_id"]
    book.erased.add(case_id)
    book.forget(case_id)


FOLDS = {
    topics.DELIVERIES: _delivery,
    topics.CASE_TEAMS_CHANGELOG: _team,
    topics.CASE_ACCESS_CHANGELOG: _access,
    topics.NOTIFIER_ACKS_CHANGELOG: _ack,
    topics.ERASURES: _erasure,
}
"""Topic -> how one of its records changes the book; the topics the portal follows (shared/kafka_acls.py)."""
