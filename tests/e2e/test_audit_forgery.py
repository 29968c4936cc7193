"""Forged audit records on the real broker: a record published to drr.audit unsigned, or signed with a
key that is not its claimed producer's, never becomes a leaf. It lands on drr.dead-letters with its reason
and is counted, while the genuine records of a case posted through intake keep flowing, and the ledger's
entries verify, each with its producer's signature. A second record with a known id but other content,
even under the genuine key, is an alarm and the first record stands."""

import asyncio
import base64
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from drr_verify.notes import parse_verifier_key
from drr_verify.pages import unproven_entries
from drr_verify.records import public_keys, signed_message

from deploy.local.audit_keys import record_signer
from deploy.local.demo import post_history
from deploy.local.stack import Stack
from shared import topics
from shared.audit_records import AuditKind, AuditRecord, canonical_text, record_id_for
from tests.e2e.test_case_history import eventually

DEADLINE_S = 120


def forged(case_id: str, event_id: uuid.UUID) -> AuditRecord:
    """What a forger wants in the ledger: the genuine sharing decision's id, for a recipient it invents."""
    return AuditRecord(
        record_id=record_id_for(AuditKind.SHARING_DECIDED, event_id, "p-forged"),
        kind=AuditKind.SHARING_DECIDED,
        service="router",
        case_id=case_id,
        event_id=event_id,
        recipient_id="p-forged",
        outcome="shared",
    )


async def publish(stack: Stack, messages: list[tuple[bytes, list[tuple[str, bytes]]]]) -> None:
    producer = AIOKafkaProducer(acks="all", **stack.kafka.client_options())
    await producer.start()
    try:
        for value, headers in messages:
            await producer.send_and_wait(topics.AUDIT, value, key=b"forged", headers=headers)
    finally:
        await producer.stop()


async def dead_letters(stack: Stack, wanted: set[bytes]) -> dict[bytes, str]:
    """Audit dead letters whose value is one of `wanted` -> the `error` header, read until all are there."""
    consumer = AIOKafkaConsumer(
        topics.DEAD_LETTERS, group_id=f"forgery-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
        **stack.kafka.client_options(),
    )  # fmt: skip
    found: dict[bytes, str] = {}
    await consumer.start()
    try:
        async with asyncio.timeout(DEADLINE_S):
            while set(found) != wanted:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    for message in batch:
                        headers = dict(message.headers)
                        if message.value in wanted and headers.get("source") == topics.AUDIT.encode():
                            found[message.value] = headers["error"].decode()
    finally:
        await consumer.stop()
    return found


def metric(stack: Stack, line_start: str) -> float:
    lines = httpx.get(f"{stack.url('audit')}/metrics").text.splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(line_start))


def entries(stack: Stack, case_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    url = f"{stack.url('audit')}/v1/audit/entries"
    body: dict[str, Any] = httpx.get(url, params={"case_id": case_id, "limit": 1000}, headers=headers).json()
    return body


def test_forged_audit_records_are_refused_while_genuine_ones_flow_and_verify(stack: Stack) -> None:
    case_id = f"C-FORGE-{uuid.uuid4().hex[:6]}"
    event_id = uuid.uuid4()
    env = stack.env()
    unsigned = canonical_text(forged(case_id, event_id)).encode()
    wrong_key = canonical_text(forged(case_id, uuid.uuid4())).encode()
    signature = base64.b64encode(Ed25519PrivateKey.generate().sign(signed_message(wrong_key)))
    router = record_signer(env, "router")
    first = forged(case_id, uuid.uuid4()).model_copy(update={"recipient_id": "p-first", "outcome": "not_shared"})
    conflicting = router.signed(first.model_copy(update={"outcome": "shared"}))
    refused_before = metric(stack, "drr_audit_records_refused_total{")
    alarms_before = metric(stack, "drr_audit_conflicting_records_total")

    asyncio.run(publish(stack, [
        (unsigned, []),
        (wrong_key, [("drr-signer", b"router"), ("drr-signature", signature)]),
        router.signed(first),
        conflicting,
    ]))  # fmt: skip
    answers = post_history(stack, case_id)
    assert all(a.status_code == 202 for a in answers)

    errors = asyncio.run(dead_letters(stack, {unsigned, wrong_key, conflicting.value}))
    assert errors == {unsigned: "unsigned", wrong_key: "bad_signature", conflicting.value: "conflicting_duplicate"}
    eventually(lambda: metric(stack, "drr_audit_records_refused_total{") >= refused_before + 2, DEADLINE_S, "counted")
    assert metric(stack, "drr_audit_conflicting_records_total") >= alarms_before + 1

    def genuine_and_proven() -> dict[str, Any] | None:
        body = entries(stack, case_id)
        kinds = [json.loads(e["leaf"])["kind"] for e in body["entries"]]
        proven = all(e["proof"] is not None for e in body["entries"])
        return body if kinds.count("event.received") == len(answers) and "email.sent" in kinds and proven else None

    body = eventually(genuine_and_proven, DEADLINE_S, "the case's genuine records, covered by a checkpoint")
    assert isinstance(body, dict)
    records = [json.loads(e["leaf"]) for e in body["entries"]]
    assert "p-forged" not in {r.get("recipient_id") for r in records}
    [kept] = [r for r in records if r["recipient_id"] == "p-first"]
    assert kept["outcome"] == "not_shared"  # the first stands
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    key = httpx.get(f"{stack.url('audit')}/v1/checkpoint", headers=headers).json()["verifier_key"]
    signers = public_keys(json.loads(env["DRR_AUDIT_RECORD_SIGNERS"]))
    assert unproven_entries(body, parse_verifier_key(key), signers) == []
    assert {e["signer"] for e in body["entries"]} >= {"intake", "router", "notifier"}
    assert Path(env["DRR_ROUTER_DIGEST_KEY_PATH"]).is_file() and "DRR_AUDIT_DIGEST_KEY_PATH" not in env
