"""Who may say what about a case: pure rules over what intake knows of the case and the event, and where
intake applies them to a request.

Lanes (access.py) say which event types an agency may publish at all; these rules say whether
this caller may publish this event about this case:

- `case.opened` makes the caller's agency system (agency + the system on its key) the case's owner;
  only the owner may move it on (`case.transferred`), assign the case manager, change the team,
  restrict access and close it; it and the panel may pause and resume its alerts.
- A retraction or correction names an event that the caller's agency published, on the same case.
- A sharing agreement (and the consent it records) that reaches a class the policy's `data_holders`
  names (clinical, intelligence) is recorded by that holder only; any other agreement by the owner.
  Each version is the one before plus one, the first version 1.
- Every other event (observations, releases, panel decisions) needs an open case.

Standing: every agency of the programme has standing on an open case (team agencies report what they
see, and are not known to intake), so a case that was never opened answers 404 `case_not_found` to
everyone, and a non-owner asking for an owner's action learns nothing new from its 403. A follow-up
naming an event the caller's agency did not publish (or of another case) answers 404 `event_not_found`,
exactly as an unknown event id does: another agency's event ids are no oracle.

Where intake applies them to a request (RequestAuthority): the facts come from the store, changed by the
earlier items of the same batch, and requests touching the same case take turns (CaseLocks). Why a lock per
case: two requests for one case (two agreement versions, two openings, a transfer and a team change) must not
both be judged on the facts before either was accepted. A request holding such events (SERIALISED) holds
their cases' locks from judging to recording what the broker acknowledged; locks are taken in sorted order,
so batches naming several cases cannot deadlock. This serialises one intake process; several instances need
the shared store to do it (see the README).
"""

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from shared.events import Envelope
from shared.payloads import FOLLOW_UP_EVENTS, CaseTransferred, SharingAgreementUpdated
from shared.policy.rules import PolicySpec
from shared.roles import Agency
from shared.sensitivity import Sensitivity

OWNER_ONLY = frozenset(
    {
        "case.transferred",
        "case_manager.assigned",
        "team.member_joined",
        "team.member_left",
        "case.access_restricted",
        "case.closed",
    }
)
OWNER_OR_PANEL = frozenset({"alerts.paused", "alerts.resumed"})
OPENING, AGREEMENT = "case.opened", "sharing_agreement.updated"
SERIALISED = frozenset({OPENING, AGREEMENT, *OWNER_ONLY, *OWNER_OR_PANEL})
"""Events judged on facts that another event of the same case may be changing (the owner, an agreement's
version): two of them for one case are judged one after the other. Observations and follow-ups read only
facts that never change once written (the case is open, who published an event), so they take no turn."""


@dataclass(frozen=True)
class System:
    """An agency system as its API key names it: the unit that owns a case."""

    agency: Agency
    system: str


@dataclass(frozen=True)
class CaseFacts:
    """What intake has accepted about one case, as far as these rules need it."""

    owner: System | None = None
    publishers: dict[UUID, frozenset[Agency]] = field(default_factory=dict)
    """Event id -> the agencies that published an event with that id on this case, for the ids the event
    names (a set: event ids are the senders' own, and idempotency is scoped per agency)."""
    agreement_versions: dict[str, int] = field(default_factory=dict)
    """Agreement id -> its latest accepted version on this case."""


@dataclass(frozen=True)
class Accepted:
    """What accepting an event adds to the facts: written with the event's claim, in one transaction."""

    case_id: str
    event_id: UUID
    publisher: Agency
    owner: System | None = None
    """The case's owner from now on (`case.opened`, `case.transferred`), else None."""
    agreement: tuple[str, int] | None = None
    """(agreement id, version) now in force (`sharing_agreement.updated`), else None."""


@dataclass(frozen=True)
class AuthorityRefusal:
    status: int
    reason: str
    message: str


class CaseFactRepository(Protocol):
    """What intake has accepted about each case (store.py), read before judging and written on acceptance."""

    def case_facts(self, *, case_id: str, event_ids: list[UUID]) -> CaseFacts: ...
    def accept(self, *, idempotency_key: str | None, accepted: Accepted) -> None: ...


@dataclass(frozen=True)
class DataHolders:
    """From the policy: which agency holds each restricted class, and which classes each agreement opens."""

    holders: dict[Sensitivity, Agency]
    agreement_classes: dict[str, frozenset[Sensitivity]]

    @classmethod
    def of(cls, spec: PolicySpec) -> "DataHolders":
        return cls(dict(spec.data_holders), spec.agreement_classes())

    def holders_of(self, agreement: SharingAgreementUpdated) -> set[Agency]:
        """The agencies holding data this agreement reaches: by the policy's rules naming it, and by the
        classes it names itself (so a rule added later cannot widen an agreement recorded by the wrong party)."""
        classes = self.agreement_classes.get(agreement.agreement_id, frozenset()) | set(agreement.sensitivity_classes)
        return {self.holders[c] for c in classes if c in self.holders}


def referenced_event(event: Envelope) -> UUID | None:
    """The earlier event a follow-up names, if it is one."""
    name = FOLLOW_UP_EVENTS.get(event.event_type)
    value = getattr(event.payload, name) if name else None
    return value if isinstance(value, UUID) else None


def judge(caller: System, event: Envelope, facts: CaseFacts, data: DataHolders) -> AuthorityRefusal | None:
    """None if the caller may publish this event about its case, else why not."""
    if event.event_type == OPENING:
        return _refused(409, "case_exists", "a case with this id is already open") if facts.owner else None
    if facts.owner is None:
        return _refused(404, "case_not_found", "no open case has this id")
    followed = referenced_event(event)
    if followed is not None and caller.agency not in facts.publishers.get(followed, frozenset()):
        return _refused(404, "event_not_found", "no event with this id was published by your agency on this case")
    is_owner = caller == facts.owner
    if event.event_type in OWNER_ONLY and not is_owner:
        return _refused(403, "not_case_owner", f"only the case's owner may publish {event.event_type}")
    if event.event_type in OWNER_OR_PANEL and not (is_owner or caller.agency == Agency.PANEL):
        return _refused(403, "not_case_owner", "only the case's owner or the panel may pause or resume its alerts")
    if isinstance(event.payload, SharingAgreementUpdated):
        return _agreement(caller, is_owner, event.payload, facts, data)
    return None


def _agreement(
    caller: System, is_owner: bool, agreement: SharingAgreementUpdated, facts: CaseFacts, data: DataHolders
) -> AuthorityRefusal | None:
    holders = data.holders_of(agreement)
    if len(holders) > 1:
        message = f"this agreement reaches data held by {sorted(h.value for h in holders)}: one agreement per holder"
        return _refused(422, "agreement_spans_data_holders", message)
    if holders and caller.agency not in holders:
        return _refused(403, "not_data_holder", f"only {holders.pop().value} records this agreement and its consent")
    if not holders and not is_owner:
        return _refused(403, "not_case_owner", "only the case's owner records this agreement")
    expected = facts.agreement_versions.get(agreement.agreement_id, 0) + 1
    if agreement.version != expected:
        return _refused(409, "version_not_next", f"the next version of this agreement is {expected}")
    return None


def accepted(caller: System, event: Envelope) -> Accepted:
    """The facts an accepted event adds."""
    payload, owner, agreement = event.payload, None, None
    if event.event_type == OPENING:
        owner = caller
    if isinstance(payload, CaseTransferred):
        owner = System(payload.to_agency, payload.to_system)
    if isinstance(payload, SharingAgreementUpdated):
        agreement = (payload.agreement_id, payload.version)
    return Accepted(event.case_id, event.event_id, caller.agency, owner, agreement)


def updated(facts: CaseFacts, done: Accepted) -> CaseFacts:
    """The facts once `done` is accepted: how a batch judges an item after the earlier ones of its case."""
    versions = facts.agreement_versions
    if done.agreement:
        versions = {**versions, done.agreement[0]: done.agreement[1]}
    return CaseFacts(
        owner=done.owner or facts.owner,
        publishers={
            **facts.publishers,
            done.event_id: facts.publishers.get(done.event_id, frozenset()) | {done.publisher},
        },
        agreement_versions=versions,
    )


def _refused(status: int, reason: str, message: str) -> AuthorityRefusal:
    return AuthorityRefusal(status, reason, message)


class CaseLocks:
    """One asyncio lock per case id with someone waiting on it; forgotten when nobody is."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def holding(self, case_ids: Iterable[str]) -> AsyncIterator[None]:
        entered: list[str] = []
        acquired: list[asyncio.Lock] = []
        try:
            for case_id in sorted(set(case_ids)):
                lock = self._enter(case_id)
                entered.append(case_id)
                await lock.acquire()
                acquired.append(lock)
            yield
        finally:
            for lock in reversed(acquired):
                lock.release()
            for case_id in entered:
                self._leave(case_id)

    def _enter(self, case_id: str) -> asyncio.Lock:
        lock, users = self._locks.get(case_id, (asyncio.Lock(), 0))
        self._locks[case_id] = (lock, users + 1)
        return lock

    def _leave(self, case_id: str) -> None:
        lock, users = self._locks[case_id]
        if users == 1:
            del self._locks[case_id]
        else:
            self._locks[case_id] = (lock, users - 1)


class RequestAuthority:
    """The authority rules for one request's items, judged in order."""

    def __init__(self, facts: CaseFactRepository, data: DataHolders, caller: System) -> None:
        self._facts, self._data, self._caller = facts, data, caller
        self._pending: dict[str, list[Accepted]] = {}

    def judge(self, event: Envelope) -> AuthorityRefusal | None:
        return judge(self._caller, event, self._facts_of(event), self._data)

    def accept(self, event: Envelope) -> Accepted:
        """Count the event as accepted for the items after it; returns what to record once it is durable."""
        done = accepted(self._caller, event)
        self._pending.setdefault(event.case_id, []).append(done)
        return done

    def _facts_of(self, event: Envelope) -> CaseFacts:
        named = referenced_event(event)
        facts = self._facts.case_facts(case_id=event.case_id, event_ids=[named] if named else [])
        for done in self._pending.get(event.case_id, []):
            facts = updated(facts, done)
        return facts
