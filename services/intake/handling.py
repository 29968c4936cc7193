"""The way of each event through intake, for single posts and batches alike: authorise, claim its
idempotency key, judge it by the authority rules, publish (all at once, then wait for the
acknowledgements), remember, audit.

Idempotency: the key that stands for an event is the `Idempotency-Key` header or else the event id the
sender chose, either scoped to the caller's agency; an event without either is new every time. The digest
says whether two requests carry the same event: it covers the event as validated (so formatting does not
matter), without an event id intake assigned itself. The first request to claim a key publishes; an
identical request arriving meanwhile waits (up to the publish timeout) for that outcome instead of
publishing too.

Event ids across agencies: a claim answers only the agency that made it, so another agency's event id
is no oracle. An event id stays one event downstream (the router, the notifier and the ledger key by it),
so an agency posting an event id that another agency's event holds (a claim, or an accepted event in
store.py's event_publishers, which is never pruned) is refused 409 `event_id_taken`, and nothing is
stored or published. That answer is the same whatever the other event says, whether it is accepted or
still being published, and whose it is: the caller learns only that the id is in use, which it can know
only by holding the id already (event ids are random UUIDs, and intake assigns one when the sender gives
none). Claims written before this scoping (`event:ID`) are moved to their publisher's agency once, when
the store opens (store.py).
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from uuid import UUID

from prometheus_client import Counter

from services.intake.access import ApiKey, authorise
from services.intake.adapters import Publisher, Sealer
from services.intake.authority import SERIALISED, Accepted, CaseLocks, DataHolders, RequestAuthority, System
from services.intake.bootstrap import IntakeSettings
from services.intake.messages import (
    FieldError,
    ItemResult,
    ItemStatus,
    Rejection,
    authority_refused_record,
    received_record,
    refused_record,
    rejected_record,
)
from services.intake.store import Claim, IntakeStore
from shared.audit_records import AuditRecord, content_hash
from shared.events import Envelope

log = logging.getLogger(__name__)
ACCEPTED = Counter("drr_intake_events_accepted_total", "Events acknowledged by Kafka", ["event_type"])
REJECTED = Counter("drr_intake_events_rejected_total", "Events refused", ["reason"])
DUPLICATES = Counter("drr_intake_events_duplicate_total", "Repeats answered with the original receipt")
POLL_S = 0.05


@dataclass(frozen=True)
class Outcome:
    status: int
    """The HTTP status a single post answers with."""
    result: ItemResult


@dataclass(frozen=True)
class Publish:
    event: Envelope
    claim_key: str | None
    """The idempotency key this request claimed, if the event has one."""
    accepted: Accepted | None = None
    """What the authority facts gain once the broker acknowledges the event (set once judged)."""


class Intake:
    def __init__(
        self,
        settings: IntakeSettings,
        publisher: Publisher,
        store: IntakeStore,
        clock: Callable[[], float] = time.time,
        *,
        data_holders: DataHolders,
        sealer: Sealer,
    ) -> None:
        self._settings, self._publisher, self._store, self._clock = settings, publisher, store, clock
        self._data_holders, self._locks, self._sealer = data_holders, CaseLocks(), sealer

    async def submit(self, key: ApiKey, items: list[Envelope | Rejection], header: str | None) -> list[Outcome]:
        audit: list[AuditRecord] = []
        authority = RequestAuthority(self._store, self._data_holders, System(key.agency, key.system))
        serialised = (i.case_id for i in items if isinstance(i, Envelope) and i.event_type in SERIALISED)
        async with self._locks.holding(serialised):
            decided = [self._decide(key, n, item, header, audit, authority) for n, item in enumerate(items)]
            publish = {n: d for n, d in enumerate(decided) if isinstance(d, Publish)}
            outcomes = {n: d for n, d in enumerate(decided) if isinstance(d, Outcome)}
            outcomes |= await self._publish(publish, audit)
            for n, d in enumerate(decided):
                if d is None:
                    outcomes[n] = await self._after_other(key, n, items[n], header, audit, authority)
        await self.audit(audit)
        return [outcomes[n] for n in range(len(items))]

    def _decide(
        self,
        key: ApiKey,
        n: int,
        item: Envelope | Rejection,
        header: str | None,
        audit: list[AuditRecord],
        authority: RequestAuthority,
    ) -> Publish | Outcome | None:
        """What to do with one item; None means another request is publishing this very event."""
        if isinstance(item, Rejection):
            audit.append(rejected_record(item, key.key_id))
            return _rejected(n, item.status, item.reason, item.errors)
        refusal = authorise(key, item)
        if refusal is not None:
            audit.append(refused_record(refusal.reason, key, item.event_type))
            return _rejected(n, refusal.status, refusal.reason, [{"field": "", "message": refusal.message}])
        claim_key = idempotency_key(item, header, key.agency.value)
        decided = Publish(item, None) if claim_key is None else self._claimed(n, item, claim_key, key.agency.value)
        if isinstance(decided, Outcome) and decided.result.error == "event_id_taken":
            audit.append(refused_record("event_id_taken", key, item.event_type))
        return self._judged(n, key, decided, audit, authority) if isinstance(decided, Publish) else decided

    def _judged(
        self, n: int, key: ApiKey, publish: Publish, audit: list[AuditRecord], authority: RequestAuthority
    ) -> Publish | Outcome:
        """After the claim, so that a repeat of an accepted event is answered as a duplicate, not judged anew."""
        refusal = authority.judge(publish.event)
        if refusal is None:
            return replace(publish, accepted=authority.accept(publish.event))
        if publish.claim_key:
            self._store.release(idempotency_key=publish.claim_key)
        audit.append(authority_refused_record(refusal.reason, key, publish.event))
        return _rejected(n, refusal.status, refusal.reason, [{"field": "", "message": refusal.message}])

    def _claimed(self, n: int, event: Envelope, claim_key: str, agency: str) -> Publish | Outcome | None:
        now, digest = self._clock(), body_digest(event)
        mine = Claim(claim_key, digest, str(event.event_id), "pending", now)
        stale_before = now - self._settings.stale_claim_s
        won, stored = self._store.claim(claim=mine, stale_before=stale_before, agency=agency)
        if won:
            return Publish(event.model_copy(update={"event_id": UUID(str(stored.event_id))}), claim_key)
        if stored.state == "taken":  # another agency's event has this id (the module's docstring says why)
            message = "this event id is in use; send the event with a fresh event id"
            return _rejected(n, 409, "event_id_taken", [{"field": "event_id", "message": message}])
        if stored.digest != digest:
            message = "this idempotency key or event id was used for a different event"
            return _rejected(n, 409, "idempotency_conflict", [{"field": "event_id", "message": message}])
        if stored.state == "accepted":
            DUPLICATES.inc()
            return Outcome(200, ItemResult(index=n, status=ItemStatus.DUPLICATE, event_id=stored.event_id))
        return None

    async def _after_other(
        self,
        key: ApiKey,
        n: int,
        item: Envelope | Rejection,
        header: str | None,
        audit: list[AuditRecord],
        authority: RequestAuthority,
    ) -> Outcome:
        deadline = self._clock() + self._settings.publish_timeout_s
        while self._clock() < deadline:
            await asyncio.sleep(POLL_S)
            decided = self._decide(key, n, item, header, audit, authority)
            if isinstance(decided, Publish):  # the other request failed and let go: our turn
                return (await self._publish({n: decided}, audit))[n]
            if decided is not None:
                return decided
        message = "an identical request is still being published; retry"
        return _rejected(n, 409, "request_in_progress", [{"field": "", "message": message}], retryable=True)

    async def _publish(self, publish: dict[int, Publish], audit: list[AuditRecord]) -> dict[int, Outcome]:
        if not publish:
            return {}
        try:
            async with asyncio.timeout(self._settings.publish_timeout_s):
                sealed = [await self._sealer.sealed(p.event) for p in publish.values()]
        except Exception as exc:  # the key topics unreachable: nothing was published
            log.warning("case keys not ready", extra={"error": type(exc).__name__})
            return {n: self._published(n, p, (p.event, {}), exc, audit) for n, p in publish.items()}
        timeout_s = self._settings.publish_timeout_s
        errors = await self._publisher.publish_events([e for e, _ in sealed], timeout_s=timeout_s)
        done = zip(publish.items(), sealed, errors, strict=True)
        return {n: self._published(n, p, wire, error, audit) for (n, p), wire, error in done}

    def _published(
        self,
        n: int,
        p: Publish,
        wire: tuple[Envelope, dict[str, str]],
        error: BaseException | None,
        audit: list[AuditRecord],
    ) -> Outcome:
        if error is not None:
            log.warning(
                "broker did not acknowledge", extra={"event_id": str(p.event.event_id), "error": type(error).__name__}
            )
            if p.claim_key:
                self._store.release(idempotency_key=p.claim_key)
            message = "the broker did not acknowledge the event; retry"
            return _rejected(n, 503, "broker_unavailable", [{"field": "", "message": message}], retryable=True)
        if p.accepted:  # the claim and the authority facts together
            self._store.accept(idempotency_key=p.claim_key, accepted=p.accepted)
        elif p.claim_key:
            self._store.confirm(idempotency_key=p.claim_key)
        ACCEPTED.labels(p.event.event_type).inc()
        audit.append(received_record(wire[0], wire[1]))
        return Outcome(202, ItemResult(index=n, status=ItemStatus.ACCEPTED, event_id=p.event.event_id))

    async def audit(self, records: list[AuditRecord]) -> None:
        """Audit is best effort here: the event's own durability is what the answer promises."""
        if records:
            errors = await self._publisher.publish_audits(records, timeout_s=5)
            if any(errors):
                log.warning("audit records not published", extra={"failed": sum(1 for e in errors if e)})


def _rejected(n: int, status: int, reason: str, errors: list[dict[str, str]], retryable: bool = False) -> Outcome:
    REJECTED.labels(reason).inc()
    details = [FieldError(**e) for e in errors]
    return Outcome(
        status, ItemResult(index=n, status=ItemStatus.REJECTED, error=reason, errors=details, retryable=retryable)
    )


def idempotency_key(event: Envelope, header: str | None, agency: str) -> str | None:
    if header:
        return f"header:{agency}:{header}"
    if "event_id" in event.model_fields_set:
        return f"event:{agency}:{event.event_id}"
    return None


def body_digest(event: Envelope) -> str:
    exclude = None if "event_id" in event.model_fields_set else {"event_id"}
    return content_hash(event.model_dump(mode="json", exclude=exclude))
