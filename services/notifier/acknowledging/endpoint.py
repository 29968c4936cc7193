"""The acknowledgement endpoint and the agent that records acknowledgements durably.

`GET /v1/ack/{token}` shows a form; `POST` takes an `outcome` (shared/acks.py; optional, a link in an
older email may post none) and an optional `comment`, and answers 202 once the acknowledgement is on
Kafka (drr.notifier-acks), where the portal's inbox puts its acknowledgements too. The comment travels
and rests sealed under the case's data key (bound to the case, the acknowledged id and the field:
shared/sealing.py), with its digest under the case's digest key. The agent folds it into the `acks`
table (the first one counts; repeats change nothing) and publishes an audit record holding the outcome
code and the comment's digest only. Refusals are 4xx with a machine-readable reason, never a 500: 410
`case_erased` once the case's keys are destroyed, 422 `unknown_outcome`.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

import faust
from faust.web import Request, Response, View

from services.notifier import metrics
from services.notifier.acknowledging.tokens import InvalidToken, claim_for, sign, verify
from services.notifier.bootstrap import NotifierSettings
from services.notifier.clock import Clock
from services.notifier.ports import Topic
from services.notifier.priorities import IMMEDIATE, Priority
from shared import topics
from shared.acks import MAX_COMMENT, Outcome, ack_message, outcome_of, seal_comment
from shared.audit_records import AuditKind, AuditRecord, record_id_for
from shared.case_crypto import CaseKeys
from shared.dead_letters import handle_or_dead_letter
from shared.deliveries import Delivery
from shared.faust_app import raw_topic
from shared.sealing import CaseErased, is_sealed

STATUS = {"malformed": 400, "wrong_purpose": 400, "bad_signature": 403, "expired": 410}
OUTCOME_LABELS = {
    Outcome.CONTACTED_PERSON: "I contacted the person",
    Outcome.INFORMED_TEAM: "I informed the team",
    Outcome.NO_ACTION_NEEDED: "No action needed",
    Outcome.OTHER: "Other (say what in the comment)",
}
FORM = (
    """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Acknowledge alert</title>
</head><body><main><h1>Acknowledge this alert</h1><form method="post"><fieldset><legend>What did you do?</legend>
"""
    + "\n".join(
        f'<p><input type="radio" id="{o.value}" name="outcome" value="{o.value}" required>'
        f' <label for="{o.value}">{label}</label></p>'
        for o, label in OUTCOME_LABELS.items()
    )
    + f"""</fieldset><p><label for="comment">Comment (optional)</label></p>
<textarea id="comment" name="comment" maxlength="{MAX_COMMENT}"></textarea>
<p><button type="submit">Acknowledge</button></p></form></main></body></html>"""
)
log = logging.getLogger(__name__)


Sealing = Callable[[str, str, str], Awaitable[dict[str, str]]]
"""(case id, acknowledged id, comment) -> the comment sealed, with its digest."""


def comment_sealer(keys: CaseKeys) -> Sealing:
    return partial(seal_comment, keys)


def wire_acks(
    app: faust.App, settings: NotifierSettings, clock: Clock, audit: Topic, acks: Any, keys: CaseKeys
) -> Callable[[Delivery, Priority], str | None]:
    """The endpoint and the agent that folds into `acks` (the table, tables.py); returns what puts a link into
    critical and high alerts."""
    secret, ttl = settings.ack_key(), timedelta(seconds=settings.ack_ttl_s)
    acks_topic = raw_topic(app, topics.ACKS)

    async def publish_ack(key: bytes, value: bytes) -> None:
        await (await acks_topic.send(key=key, value=value))  # 202 only once the broker has it

    add_ack_routes(app, secret, clock, publish_ack, comment_sealer(keys))

    dead_letters = raw_topic(app, topics.DEAD_LETTERS)

    async def take(key: bytes, raw: bytes) -> None:
        record = record_ack(acks, json.loads(raw))
        if record is not None:
            await audit.send(key=key, value=record.model_dump_json().encode())
            metrics.ACKS.inc()

    @app.agent(acks_topic)
    async def acknowledge(stream: faust.StreamT[bytes]) -> None:
        async for key, raw in stream.items():
            await handle_or_dead_letter(partial(take, key), raw, dead_letters, topics.ACKS)

    def ack_url(delivery: Delivery, priority: Priority) -> str | None:
        if priority not in IMMEDIATE:
            return None
        recipient = delivery.recipient.practitioner_id
        claim = claim_for(str(delivery.delivery_id), delivery.case_id, recipient, clock.now(), ttl)
        return f"{settings.public_url.rstrip('/')}/v1/ack/{sign(secret, claim)}"

    return ack_url


def add_ack_routes(
    app: faust.App, secret: bytes, clock: Clock, publish: Callable[[bytes, bytes], Awaitable[None]], seal: Sealing
) -> None:
    @app.page("/v1/ack/{token}")
    class Acknowledge(View):
        async def get(self, request: Request, token: str) -> Response:
            try:
                verify(secret, token, clock.now())
            except InvalidToken as bad:
                return self.json({"reason": bad.reason}, status=STATUS[bad.reason])
            return self.html(FORM)

        async def post(self, request: Request, token: str) -> Response:
            try:
                claim = verify(secret, token, clock.now())
            except InvalidToken as bad:
                return self.json({"reason": bad.reason}, status=STATUS[bad.reason])
            form = await request.post()
            comment = str(form.get("comment") or "").strip()
            if len(comment) > MAX_COMMENT:
                return self.json({"reason": "comment_too_long", "max": MAX_COMMENT}, status=422)
            outcome = outcome_of(form["outcome"]) if form.get("outcome") else None
            if form.get("outcome") and outcome is None:
                return self.json({"reason": "unknown_outcome", "allowed": [o.value for o in Outcome]}, status=422)
            try:
                sealed = await seal(claim.case_id, claim.delivery_id, comment) if comment else None
            except CaseErased:
                return self.json({"reason": "case_erased"}, status=410)
            ack = ack_message(
                ack_id=claim.delivery_id,
                case_id=claim.case_id,
                recipient_id=claim.recipient_id,
                acknowledged_at=clock.now().isoformat(),
                outcome=outcome,
                comment=sealed,
                via="email",
            )
            await publish(claim.case_id.encode(), json.dumps(ack).encode())
            return self.json({"status": "acknowledged", "delivery_id": claim.delivery_id}, status=202)


def record_ack(acks: Any, ack: dict[str, Any]) -> AuditRecord | None:
    """The audit record of a first acknowledgement; None for a repeat (the first one stands). The outcome is
    its reason code (none from an older link); the comment's digest is the one sealed with it."""
    if ack["delivery_id"] in acks:
        return None
    comment = ack.get("comment")
    if comment is not None and not is_sealed(comment):
        raise ValueError("an acknowledgement comment arrives sealed")
    record = AuditRecord(  # first: an acknowledgement that cannot be audited is not recorded either
        record_id=record_id_for(AuditKind.ALERT_ACKNOWLEDGED, ack["delivery_id"]),
        kind=AuditKind.ALERT_ACKNOWLEDGED,
        service="notifier",
        case_id=ack["case_id"],
        recipient_id=ack["recipient_id"],
        field_digests={"comment": comment["digest"]} if comment else {},
        outcome="acknowledged",
        reason=getattr(outcome_of(ack.get("outcome")), "value", None),
    )
    acks[ack["delivery_id"]] = ack
    return record


def action_link(settings: NotifierSettings, clock: Clock) -> Callable[[str, Delivery, date], str]:
    """Links acknowledging one panel action for the email's recipient (the id is the action's, not the
    delivery's), valid until `ack_ttl_s` after the later of now and the action's due date."""
    secret, ttl = settings.ack_key(), timedelta(seconds=settings.ack_ttl_s)

    def link(ack_id: str, delivery: Delivery, due: date) -> str:
        start = max(clock.now(), datetime.combine(due, time(), tzinfo=UTC))
        claim = claim_for(ack_id, delivery.case_id, delivery.recipient.practitioner_id, start, ttl)
        return f"{settings.public_url.rstrip('/')}/v1/ack/{sign(secret, claim)}"

    return link
