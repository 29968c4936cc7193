"""The router's tables, and typed copies of what they hold so an event does not revalidate them.

Each is written while handling the case's own event or erasure command (drr.erasures, keyed and
partitioned as drr.events), so each entry lands on the changelog partition of that case. A typed copy is
used only while the table still holds what it was made from: the memory store hands back the very object
(compared in no time), RocksDB a fresh decoding of it (compared value by value, still cheaper than
validating it again); after a rebalance or a recovery the entry may differ, and the copy is made again.

Why the agent handles one message at a time (no `stream.take`): faust writes a table entry to the
changelog partition of its *current event*; inside a `take` batch that is whichever message was consumed
last, not the case's own, so a rebalance could hand a case's entries to the wrong worker.
"""

from collections import OrderedDict
from typing import Any, TypeVar

import faust
from pydantic import BaseModel

from services.router.handling import Outcome
from shared import topics
from shared.deliveries import Recipient
from shared.events import Envelope
from shared.payloads import FOLLOW_UP_EVENTS
from shared.policy import CaseState
from shared.team import CaseTeam

M = TypeVar("M", bound=BaseModel)
MAX_TYPED = 4096
"""Typed copies kept (one per case and table), the least recently used dropped first: enough for the cases
of a burst, few enough that memory does not grow with the number of cases (the tables are on disk)."""


class CaseTables:
    def __init__(self, app: faust.App) -> None:
        def table(name: str) -> Any:
            # no value_type: faust restores a typed value with `from_data`, which dict lacks; plain JSON is a dict
            return app.Table(name, partitions=topics.PARTITIONS, key_type=str)

        self.teams = table(topics.CASE_TEAMS_TABLE)
        self.access = table(topics.CASE_ACCESS_TABLE)
        self.recipients = table(topics.EVENT_RECIPIENTS_TABLE)
        self.erasures = table(topics.ERASURES_TABLE)
        """Closed cases -> their Erasure (shared/erasures.py), until it is carried out."""
        self._typed: OrderedDict[tuple[str, str], tuple[object, BaseModel]] = OrderedDict()

    def state(self, event: Envelope) -> CaseState:
        """The case state the policy needs; recipients of an earlier event only for a follow-up."""
        team = self._typed_entry(self.teams, event.case_id, CaseTeam)
        access = self._typed_entry(self.access, event.case_id, CaseState)
        state = access.model_copy(update={"team": team})
        follow_up = FOLLOW_UP_EVENTS.get(event.event_type)
        if follow_up:
            original = str(getattr(event.payload, follow_up))
            entry = self.recipients.get(f"{event.case_id}/{original}") or {}
            sent = {original: [Recipient.model_validate(r) for r in entry.get("recipients", [])]}
            state = state.model_copy(update={"sent": sent})
        return state

    def store(self, event: Envelope, outcome: Outcome) -> None:
        if outcome.team is not None:
            self._store(self.teams, event.case_id, outcome.team, outcome.team.model_dump(mode="json"))
        if outcome.state is not None:
            raw = outcome.state.model_dump(mode="json", include={"agreements", "access"})
            self._store(self.access, event.case_id, outcome.state, raw)  # its team is replaced on reading
        if outcome.recipients:
            self.recipients[f"{event.case_id}/{event.event_id}"] = {"recipients": _dump(outcome.recipients)}
        if outcome.closes_case:
            self.forget_recipients(event.case_id)
        if outcome.erasure is not None:
            self.erasures[event.case_id] = outcome.erasure.model_dump(mode="json")

    def erase(self, case_id: str) -> list[str]:
        """Delete everything the router holds about the case; the tables' names."""
        for table in (self.teams, self.access, self.erasures):
            table.pop(case_id, None)
            self._typed.pop((table.name, case_id), None)
        self.forget_recipients(case_id)
        return [topics.CASE_TEAMS_TABLE, topics.CASE_ACCESS_TABLE, topics.EVENT_RECIPIENTS_TABLE, topics.ERASURES_TABLE]

    def forget_recipients(self, case_id: str) -> None:
        """Delete the case's entries: each becomes a tombstone on the changelog, which compaction drops.
        A scan of this worker's entries, but only once per case, when it closes."""
        prefix = f"{case_id}/"
        for key in [k for k in self.recipients.keys() if k.startswith(prefix)]:
            del self.recipients[key]

    def _typed_entry(self, table: Any, key: str, model: type[M]) -> M:
        raw = table.get(key)
        found = self._typed.get((table.name, key))
        if found is not None and found[0] == raw and isinstance(found[1], model):
            self._typed.move_to_end((table.name, key))
            return found[1]
        typed = model.model_validate(raw or {})
        self._remember(table.name, key, raw, typed)
        return typed

    def _store(self, table: Any, key: str, typed: BaseModel, raw: dict[str, Any]) -> None:
        table[key] = raw
        self._remember(table.name, key, raw, typed)

    def _remember(self, name: str, key: str, raw: object, typed: BaseModel) -> None:
        self._typed[(name, key)] = (raw, typed)
        self._typed.move_to_end((name, key))
        if len(self._typed) > MAX_TYPED:
            self._typed.popitem(last=False)


def _dump(recipients: list[Recipient]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in recipients]
