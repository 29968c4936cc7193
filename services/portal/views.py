"""What one practitioner's pages show, made from the Book: pure functions of (book, who is asking, now).

- the inbox: the alerts they were sent, newest first, those they have not acknowledged apart; each with its
  priority (the notifier's rules: shared/priorities.py), who else acknowledged it, and their panel actions
  with due dates;
- a case page: the timeline of everything *this practitioner* was sent about the case, the team and its
  roles, and the case's pause as they were told of it.

Every page is made only of the asker's own deliveries, which the router redacted for them; and only for a
case they may see now (shared.policy.visible_to: on the team, not excluded). For any other case the answer
is "no such case" (404), the same as for a case that does not exist, so a page never confirms that a case
exists to someone who may not see it (HMPPS's "404, not 403").
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.portal.book import Book
from shared.acks import panel_action_ack_id
from shared.deliveries import Delivery
from shared.policy import visible_to
from shared.priorities import Priority, PriorityRules
from shared.roles import Agency
from shared.team import roster

WORDING_SKIPPED = frozenset({"severity"})
"""Fields a line shows otherwise (the priority badge) rather than as a field."""


@dataclass(frozen=True)
class Acknowledgement:
    by: str
    """The acknowledger's name as the team knows them (their id when they are no longer on it)."""
    outcome: str | None
    at: str


@dataclass(frozen=True)
class Alert:
    delivery: Delivery
    priority: Priority
    payload: dict[str, Any]
    """The payload as this recipient may read it (sealed fields opened for the page: app.py)."""
    mine: Acknowledgement | None
    others: list[Acknowledgement]

    @property
    def delivery_id(self) -> str:
        return str(self.delivery.delivery_id)

    @property
    def fields(self) -> list[tuple[str, Any]]:
        return [(name, value) for name, value in self.payload.items() if name not in WORDING_SKIPPED]


@dataclass(frozen=True)
class PanelActionLine:
    ack_id: str
    case_id: str
    description: str
    due_date: date
    done: Acknowledgement | None
    overdue: bool


@dataclass(frozen=True)
class Inbox:
    open: list[Alert]
    acknowledged: list[Alert]
    actions: list[PanelActionLine]


@dataclass(frozen=True)
class Pause:
    paused: bool
    until: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CasePage:
    case_id: str
    timeline: list[Alert]
    team: list[dict[str, str]]
    pause: Pause
    person: dict[str, Any] = field(default_factory=dict)


Payloads = dict[str, dict[str, Any]]
"""Delivery id -> its payload as the recipient reads it (opened); a delivery missing here shows as sent."""


def may_see(book: Book, case_id: str, practitioner_id: str, agency: Agency | str) -> bool:
    return case_id in book.teams and visible_to(book.state(case_id), practitioner_id, agency)


def inbox(
    book: Book, practitioner_id: str, agency: Agency | str, rules: PriorityRules, payloads: Payloads, today: date
) -> Inbox:
    mine = [d for d in book.sent_to(practitioner_id) if may_see(book, d.case_id, practitioner_id, agency)]
    alerts = [alert_of(book, d, rules, payloads) for d in newest_first(mine)]
    return Inbox(
        open=[a for a in alerts if a.mine is None],
        acknowledged=[a for a in alerts if a.mine is not None],
        actions=sorted(panel_actions(book, mine, today), key=lambda a: a.due_date),
    )


def case_page(
    book: Book,
    case_id: str,
    practitioner_id: str,
    agency: Agency | str,
    rules: PriorityRules,
    payloads: Payloads,
    now: datetime,
) -> CasePage | None:
    """The case as this practitioner may see it; None (the page answers 404) when they may not."""
    if not may_see(book, case_id, practitioner_id, agency):
        return None
    sent = [d for d in book.deliveries.get(case_id, {}).values() if d.recipient.practitioner_id == practitioner_id]
    timeline = [alert_of(book, d, rules, payloads) for d in newest_first(sent)]
    team = [
        {
            "name": r.name,
            "role": r.role.value,
            "agency": r.agency.value,
            "you": str(r.practitioner_id == practitioner_id),
        }
        for r in roster(book.teams[case_id])
    ]
    person = sent[-1].person if sent else {}
    return CasePage(case_id, timeline, team, pause_of(timeline, now), person)


def alert_of(book: Book, delivery: Delivery, rules: PriorityRules, payloads: Payloads) -> Alert:
    payload = payloads.get(str(delivery.delivery_id), delivery.payload)
    team = book.teams.get(delivery.case_id)
    names = {r.practitioner_id: r.name for r in roster(team)} if team is not None else {}
    acks = [(a, _acknowledgement(a, names)) for a in book.acknowledgers(delivery)]
    me = delivery.recipient.practitioner_id
    return Alert(
        delivery=delivery,
        priority=rules.priority_of(delivery.event_type, payload),
        payload=payload,
        mine=next((ack for raw, ack in acks if raw.get("recipient_id") == me), None),
        others=[ack for raw, ack in acks if raw.get("recipient_id") != me],
    )


def panel_actions(book: Book, deliveries: Iterable[Delivery], today: date) -> list[PanelActionLine]:
    """The actions of each panel decision this practitioner was sent that their role there owns."""
    lines = []
    for delivery in deliveries:
        if delivery.event_type != "panel.decision":
            continue
        for index, action in enumerate(delivery.payload.get("actions") or []):
            if action.get("owner_role") != delivery.recipient.role.value:
                continue
            ack_id = str(panel_action_ack_id(delivery.event_id, index, delivery.recipient.practitioner_id))
            due = date.fromisoformat(action["due_date"])
            done = book.acks.get(ack_id)
            ack = _acknowledgement(done, {}) if done else None
            lines.append(
                PanelActionLine(ack_id, delivery.case_id, action["description"], due, ack, ack is None and due < today)
            )
    return lines


def pause_of(timeline: list[Alert], now: datetime) -> Pause:
    """The case's pause as the latest pause or resume this practitioner was told of says (timeline: newest first)."""
    latest = next((a for a in timeline if a.delivery.event_type in ("alerts.paused", "alerts.resumed")), None)
    if latest is None or latest.delivery.event_type == "alerts.resumed":
        return Pause(paused=False)
    until = str(latest.payload.get("expires_at", ""))
    try:
        ended = datetime.fromisoformat(until) <= now
    except ValueError:
        ended = False
    return Pause(paused=False) if ended else Pause(paused=True, until=until, reason=latest.payload.get("reason"))


def newest_first(deliveries: Iterable[Delivery]) -> list[Delivery]:
    return sorted(deliveries, key=lambda d: d.occurred_at, reverse=True)


def _acknowledgement(ack: dict[str, Any], names: dict[str, str]) -> Acknowledgement:
    who = str(ack.get("recipient_id", ""))
    return Acknowledgement(by=names.get(who, who), outcome=ack.get("outcome"), at=str(ack.get("acknowledged_at", "")))
