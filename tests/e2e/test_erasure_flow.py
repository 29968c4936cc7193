"""Erasure by crypto-shredding on the real stack: one case erased when its retention ends after closure
(the e2e policy keeps it RETENTION_S), another at a data protection officer's request (`router erase`).
Afterwards both keys are tombstones on drr.case-keys, nothing about either case can be acknowledged (not
even after a notifier restart), the ledger records `case.erased` under each rule, still lists who was told
what (as field names and digests), and verifies end to end with drr-verify."""

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.local.demo_case import CASE_MANAGER, CLINICAL_NOTES, MEMBERS, case_history, envelope
from deploy.local.mail import messages, text_of
from deploy.local.stack import REPO, Stack
from shared import topics
from tests.e2e.test_case_history import eventually, mail_to


def ack_link(stack: Stack, case_id: str) -> str:
    def trigger_mail() -> str | None:
        found = [m for m in mail_to(messages(stack.maildir, case_id), CASE_MANAGER) if "Trigger" in str(m["Subject"])]
        link = re.search(r"(http://127\.0\.0\.1:\d+/v1/ack/\S+)", text_of(found[0])) if found else None
        return link.group(1) if link else None

    link = eventually(trigger_mail, what=f"the case manager's trigger email for {case_id}")
    assert isinstance(link, str)
    return link


def ledger(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    body = httpx.get(f"{stack.url('audit')}/v1/audit/entries", params={"case_id": case_id, "limit": 1000},
                     headers=headers).json()  # fmt: skip
    return [json.loads(e["leaf"]) for e in body["entries"]]


def erased_record(stack: Stack, case_id: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        return next((r for r in ledger(stack, case_id) if r["kind"] == "case.erased"), None)

    record = eventually(found, 120, f"case.erased for {case_id}")
    assert isinstance(record, dict)
    return record


async def last_key_records(options: dict[str, object], case_ids: set[str]) -> dict[str, bytes | None]:
    """The last record of each case on drr.case-keys, read from the beginning."""
    consumer = AIOKafkaConsumer(**options, group_id=None, enable_auto_commit=False)  # type: ignore[arg-type]
    await consumer.start()
    try:
        partitions = [TopicPartition(topics.CASE_KEYS, p) for p in range(topics.PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends, last = await consumer.end_offsets(partitions), {}
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                last |= {m.key.decode(): m.value for m in batch if m.key and m.key.decode() in case_ids}
        return last
    finally:
        await consumer.stop()


def test_retention_and_a_dpo_erase_shred_the_case_and_the_ledger_still_verifies(stack: Stack, tmp_path: Path) -> None:
    closed, requested = f"E2E-ERASE-{uuid.uuid4().hex[:8]}", f"E2E-DPO-{uuid.uuid4().hex[:8]}"
    for case_id in (closed, requested):
        assert {a.status_code for a in stack.post_events(case_history(case_id))} == {202}
    links = {case_id: ack_link(stack, case_id) for case_id in (closed, requested)}
    closure = envelope(closed, "case.closed", {"reason": "order_completed", "closed_on": "2026-12-04"})
    assert [a.status_code for a in stack.post_events([closure])] == [202]
    env = {**os.environ, **stack.service_env("router")}
    erase = [sys.executable, "-m", "services.router.cli", "erase", requested, "--legal-basis", "GDPR Art. 17(1)(a)"]
    done = subprocess.run(erase, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and requested in done.stdout, done.stderr

    by_dpo, by_retention = erased_record(stack, requested), erased_record(stack, closed)
    assert (
        by_dpo["rule"] == "dpo-request" and by_dpo["actor"] == "dpo" and by_dpo["legal_basis"] == "GDPR Art. 17(1)(a)"
    )
    assert by_retention["rule"] == "case-data-after-closure" and by_retention["actor"] == "retention"
    assert {topics.CASE_KEYS, topics.CASE_DIGEST_KEYS, topics.CASE_TEAMS_TABLE} <= set(by_retention["erased"])
    last = asyncio.run(last_key_records(stack.kafka.client_options(), {closed, requested}))
    assert last == {closed: None, requested: None}  # tombstones: both data keys destroyed

    comment = {"comment": "Seen at home; calm."}
    for case_id, link in links.items():
        refused = httpx.post(link, data=comment)
        assert refused.status_code == 410 and refused.json() == {"reason": "case_erased"}, case_id
    stack.stop_service("notifier")
    stack.start_service("notifier")
    assert httpx.post(links[closed], data=comment).status_code == 410  # nothing resurrected by the restart

    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    told = httpx.get(f"{stack.url('audit')}/v1/cases/{closed}/disclosures", headers=headers).json()["disclosures"]
    clinical = [d for d in told if "clinical_notes" in d["fields_shared"]]
    assert clinical and {d["recipient_role"] for d in clinical} >= {"mental_health"}
    assert CLINICAL_NOTES not in str(ledger(stack, closed)) and MEMBERS["police"]["email"] not in str(told)

    folder = tmp_path / "export"
    stack.audit_cli("export", "--out", str(folder))
    key, signers = str(folder / "verifier_key.txt"), str(folder / "signers.json")
    verify = [sys.executable, "-m", "drr_verify.cli", "verify-export", "--key", key, "--signers", signers, str(folder)]
    verified = subprocess.run(verify, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert verified.returncode == 0 and verified.stdout.startswith("OK"), verified.stdout + verified.stderr
