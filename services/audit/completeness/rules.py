"""What the ledger is still waiting for, from the records alone: events intake accepted that no decision
followed, and deliveries with no final state. Pure: the caller gives the facts and the time.

Facts are the columns every leaf already carries (kind, event id, case, event type, recipient, outcome):

- `event.received` (intake; written only once drr.events acknowledged the event): an event is accepted and
  awaits a decision;
- `sharing.decided` (router: one per recipient, or one `no_team_members` / `no_original_recipients`),
  `team.updated` and `sharing_state.updated` (team, agreement and exclusion events): the event is decided;
- `sharing.decided` with outcome `shared` (a delivery went to drr.deliveries), or `email.created` (the
  notifier, also for its own emails: escalations, reminders, released batches): a delivery awaits a final
  state;
- `email.held` (outcome group, digest or paused): the delivery waits for a grouped email, longer;
- `email.sent` (delivered, delivered_test, or `in_email:<id>` for a held one), `email.dead_lettered`, and
  `email.failed` with outcome `permanent_failure` / `technical_failure`: the delivery is finished.

`event.rejected` (refused or invalid at intake) carries no event id and is never awaited. An event the
router dead-letters as malformed gets no decision record: that is an alarm, as it should be. A held
delivery waits at most its kind's hold (settle window, next digest, pause) and then the delivery window;
`alerts.paused` accepted for a case may hold any of its waiting alerts until the pause ends.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from services.audit.leaves import COLUMNS, timestamp


class Awaiting(StrEnum):
    DECISION = "event"
    FINAL_STATE = "delivery"


RECEIVED = "event.received"
DECIDED = frozenset({"sharing.decided", "team.updated", "sharing_state.updated"})
CREATED = "email.created"
HELD = "email.held"
FINISHED = frozenset({"email.sent", "email.dead_lettered"})
FAILED = "email.failed"
FINAL_FAILURES = frozenset({"permanent_failure", "technical_failure"})
"""An `email.failed` outcome after which nothing more is tried (dead-lettering follows at once)."""
PAUSED = "alerts.paused"
KINDS = frozenset({RECEIVED, CREATED, HELD, FAILED, *DECIDED, *FINISHED})
"""The only kinds the check looks at."""


_AT = tuple(COLUMNS.index(name) for name in ("kind", "event_id", "case_id", "event_type", "recipient_id", "outcome"))


class Fact(NamedTuple):
    """A tuple, not a dataclass: the ledger makes one per leaf of these kinds (~20,000 a second)."""

    kind: str
    event_id: str | None
    case_id: str | None = None
    event_type: str | None = None
    recipient_id: str | None = None
    outcome: str | None = None

    @classmethod
    def of(cls, values: tuple[str | None, ...]) -> "Fact":
        """From a leaf's column values (leaves.COLUMNS order)."""
        kind, event_id, case_id, event_type, recipient_id, outcome = (values[i] for i in _AT)
        return cls(str(kind), event_id, case_id, event_type, recipient_id, outcome)

    @property
    def ref(self) -> str:
        """The delivery it is about: one per (event, recipient), as delivery ids are."""
        return delivery_ref(str(self.event_id), str(self.recipient_id))


def delivery_ref(event_id: str, recipient_id: str) -> str:
    return f"{event_id}/{recipient_id}"


class Awaited(NamedTuple):
    """One thing the ledger waits for, and (once stored) where the check has got with it."""

    ref: str
    """The event id, or `event id/recipient id` for a delivery."""
    what: Awaiting
    event_id: str
    due_at: str
    """A leaves.timestamp: overdue once the ledger has seen everything up to it."""
    case_id: str | None = None
    event_type: str | None = None
    recipient_id: str | None = None
    held: str | None = None
    """The hold kind (group, digest, paused) when the delivery waits for a grouped email."""
    alarmed_at: str | None = None
    announced: bool = False
    """Whether its alarm record was published."""
    resolved_at: str | None = None


@dataclass(frozen=True)
class Windows:
    """How long to wait; see the settings (DRR_AUDIT_DECISION_DEADLINE_S, ...) for how they are chosen."""

    decision_s: float = 60.0
    delivery_s: float = 3900.0
    hold_s: Mapping[str, float] = field(
        default_factory=lambda: {"group": 600.0, "digest": 90_000.0, "paused": 2_595_600.0}
    )

    def longest_hold_s(self) -> float:
        return max(self.hold_s.values(), default=0.0)

    def held_for(self, kind: str | None) -> float:
        """An unknown hold kind waits as long as the longest: better late than a false alarm."""
        return self.hold_s.get(kind or "", self.longest_hold_s()) + self.delivery_s


@dataclass
class Changes:
    """What one batch of facts does to the waiting list, in the order the facts came."""

    opened: dict[str, Awaited] = field(default_factory=dict)
    """New waits (stored unless already there)."""
    held: dict[str, Awaited] = field(default_factory=dict)
    """Deliveries now held, with their later due time (stored whether or not already there)."""
    closed: set[str] = field(default_factory=set)
    paused: dict[str, str] = field(default_factory=dict)
    """Case id -> the due time any of its held alerts may wait until (a pause was accepted)."""


class _Dues:
    """The due times for one batch, worked out once (every fact of a batch is seen at the same moment)."""

    def __init__(self, now: datetime, windows: Windows) -> None:
        self.now, self.windows = now, windows
        self.decision = timestamp(now + timedelta(seconds=windows.decision_s))
        self.delivery = timestamp(now + timedelta(seconds=windows.delivery_s))
        self._held: dict[str | None, str] = {}

    def held(self, kind: str | None) -> str:
        if kind not in self._held:
            self._held[kind] = timestamp(self.now + timedelta(seconds=self.windows.held_for(kind)))
        return self._held[kind]


def changes(facts: Iterable[Fact], now: datetime, windows: Windows) -> Changes:
    """A close seen before its open in the same batch cancels it; across batches the check looks the
    ledger up before it alarms (records from different services may reach the topic in any order)."""
    found, dues = Changes(), _Dues(now, windows)
    for fact in facts:
        if fact.event_id is None:
            continue
        if fact.kind == RECEIVED:
            _received(found, fact, dues)
        elif fact.kind in DECIDED:
            _close(found, fact.event_id)
            if fact.kind == "sharing.decided" and fact.outcome == "shared" and fact.recipient_id:
                _open(found, _delivery(fact, dues.delivery))
        elif fact.recipient_id is None:
            continue
        elif fact.kind == CREATED:
            _open(found, _delivery(fact, dues.delivery))
        elif fact.kind == HELD and fact.ref not in found.closed:
            found.opened.pop(fact.ref, None)
            found.held[fact.ref] = _delivery(fact, dues.held(fact.outcome), fact.outcome)
        elif is_final(fact):
            _close(found, fact.ref)
    return found


def is_final(fact: Fact) -> bool:
    return fact.kind in FINISHED or (fact.kind == FAILED and fact.outcome in FINAL_FAILURES)


def _received(found: Changes, fact: Fact, dues: _Dues) -> None:
    event_id = str(fact.event_id)
    _open(found, Awaited(event_id, Awaiting.DECISION, event_id, dues.decision, fact.case_id, fact.event_type))
    if fact.event_type == PAUSED and fact.case_id:
        found.paused[fact.case_id] = until = dues.held("paused")
        for ref, held in found.held.items():
            if held.case_id == fact.case_id:
                found.held[ref] = held._replace(due_at=max(held.due_at, until))


def _delivery(fact: Fact, due: str, held: str | None = None) -> Awaited:
    event_id = str(fact.event_id)
    ref = delivery_ref(event_id, str(fact.recipient_id))
    return Awaited(ref, Awaiting.FINAL_STATE, event_id, due, fact.case_id, fact.event_type, fact.recipient_id, held)


def _open(found: Changes, awaited: Awaited) -> None:
    if awaited.ref not in found.closed and awaited.ref not in found.held:
        found.opened.setdefault(awaited.ref, awaited)


def _close(found: Changes, ref: str) -> None:
    found.closed.add(ref)
    found.opened.pop(ref, None)
    found.held.pop(ref, None)
