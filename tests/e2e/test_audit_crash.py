"""The audit service killed with SIGKILL while a burst of records flows, then restarted: no gap, no
duplicate, and the same tree as a clean replay of the audit topic into an empty ledger.

On its own broker and audit processes (ports shifted by 50 beyond the session stack's), so the kill
disturbs no other test. The burst is produced straight onto the topic with aiokafka, as records.
"""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer

from deploy.local.audit_burst import sharing_decisions
from deploy.local.audit_keys import record_signer
from deploy.local.kafka import KafkaNode
from deploy.local.processes import Process, http_ok, wait_until
from deploy.local.stack import REPO
from services.audit import merkle
from services.audit.leaves import EntryFilter
from services.audit.sqlite_store import SqliteLedger
from shared import topics
from shared.audit_records import AuditRecord
from tests.e2e.conftest import TEST_PORTS

SHIFT = 50
KAFKA_PORT, CONTROLLER_PORT = TEST_PORTS.kafka + SHIFT, TEST_PORTS.controller + SHIFT
AUDIT_PORT, REPLAY_PORT = TEST_PORTS.audit + SHIFT, TEST_PORTS.audit + SHIFT + 1
BURST, TAIL = 20_000, 3_000
DEADLINE_S = 120.0


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaNode]:
    node = KafkaNode(tmp_path_factory.mktemp("crash-kafka"), KAFKA_PORT, CONTROLLER_PORT)
    node.start()
    try:
        yield node
    finally:
        node.stop()


class AuditProcess:
    """One `python -m services.audit` over its own SQLite ledger and consumer group."""

    def __init__(self, kafka: KafkaNode, folder: Path, port: int, group: str) -> None:
        self.folder, self.port = folder, port
        self.env = {
            **kafka.service_env("audit"),
            "DRR_AUDIT_PORT": str(port),
            "DRR_AUDIT_DB_PATH": str(folder / "audit.sqlite3"),
            "DRR_AUDIT_SIGNING_KEY_PATH": str(folder / "signing-key.pem"),
            "DRR_AUDIT_GROUP_ID": group,
            "DRR_AUDIT_SESSION_TIMEOUT_S": "6",
            "DRR_AUDIT_CHECKPOINT_EVERY_LEAVES": "2000",
        }
        self.process: Process | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "services.audit"]
        self.process = Process("audit", argv, self.folder / "audit.log", self.env, REPO).start()
        wait_until(lambda: http_ok(f"http://127.0.0.1:{self.port}/healthz"), 60, "audit", self.process.alive)

    def kill(self) -> None:
        assert self.process is not None and self.process.popen is not None
        self.process.popen.kill()  # SIGKILL: no shutdown hook, no last commit
        self.process.popen.wait(10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    @property
    def ledger(self) -> SqliteLedger:
        return SqliteLedger(self.folder / "audit.sqlite3")

    def size(self) -> int:
        try:
            return self.ledger.size()
        except Exception:  # the schema may not be there yet
            return 0


def burst(count: int) -> list[AuditRecord]:
    """Records like the router's: identifiers, field names and digests only."""
    return sharing_decisions(count, "CRASH", cases=50)


async def produce(options: dict[str, object], records: list[AuditRecord]) -> None:
    producer = AIOKafkaProducer(**options, acks="all", linger_ms=5, max_batch_size=512 * 1024)
    await producer.start()
    try:
        futures = []
        signer = record_signer(os.environ, "router")  # the records are the router's (tests/conftest.py's keys)
        for record in records:
            value, headers = signer.signed(record)
            key = (record.case_id or "").encode()
            futures.append(await producer.send(topics.AUDIT, value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def record_ids(ledger: SqliteLedger) -> list[UUID]:
    return [AuditRecord.model_validate_json(s.text).record_id for s in ledger.entries(EntryFilter(), 0, 10**9)]


def root(ledger: SqliteLedger, size: int) -> bytes:
    with ledger.reader() as node:
        return merkle.root(size, node)


def run(argv: list[str], env: dict[str, str] | None = None) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(argv, env={**os.environ, **(env or {})}, cwd=REPO, capture_output=True, text=True)


def wait_for_size(audit: AuditProcess, size: int) -> None:
    wait_until(lambda: audit.size() >= size, DEADLINE_S, f"ledger of {size}", lambda: True)


@pytest.mark.e2e
async def test_sigkill_mid_ingestion_loses_and_repeats_nothing_and_replays_to_the_same_root(
    kafka: KafkaNode, tmp_path: Path
) -> None:
    audit = AuditProcess(kafka, tmp_path / "live", AUDIT_PORT, f"drr-audit-crash-live-{uuid4().hex[:6]}")
    replay = AuditProcess(kafka, tmp_path / "replay", REPLAY_PORT, f"drr-audit-crash-replay-{uuid4().hex[:6]}")
    first, tail = burst(BURST), burst(TAIL)
    try:
        await asyncio.to_thread(audit.start)
        flowing = asyncio.create_task(produce(kafka.client_options("router"), first))
        await asyncio.to_thread(wait_until, lambda: audit.size() >= 500, DEADLINE_S, "ingestion under way")
        audit.kill()
        at_kill = audit.size()
        await flowing
        assert 0 < at_kill < BURST, "the kill must land while records are still flowing"

        # Redelivered facts (the same record ids again) must not become second leaves.
        await produce(kafka.client_options("router"), tail + first[:200] + first[-200:])
        await asyncio.to_thread(audit.start)
        await asyncio.to_thread(wait_for_size, audit, BURST + TAIL)

        await asyncio.to_thread(replay.start)
        await asyncio.to_thread(wait_for_size, replay, BURST + TAIL)
        audit.stop()
        replay.stop()

        live_ids = record_ids(audit.ledger)
        assert len(live_ids) == len(set(live_ids)) == BURST + TAIL, "a gap or a duplicate"
        assert set(live_ids) == {r.record_id for r in first + tail}
        assert live_ids == record_ids(replay.ledger)  # the same facts in the same order
        assert root(audit.ledger, BURST + TAIL) == root(replay.ledger, BURST + TAIL)

        # Checkpoints signed before and after the kill all verify against the recovered tree.
        folder = tmp_path / "export"
        exported = run([sys.executable, "-m", "services.audit.cli", "export", "--out", str(folder)], audit.env)
        assert f"{BURST + TAIL} entries" in exported.stdout
        key, signers = str(folder / "verifier_key.txt"), str(folder / "signers.json")
        verify = [sys.executable, "-m", "drr_verify.cli", "verify-export", "--key", key, "--signers", signers]
        verified = run([*verify, str(folder)])
        assert verified.returncode == 0 and verified.stdout.startswith("OK"), verified.stdout
        assert len(audit.ledger.checkpoints()) >= 3
    finally:
        audit.stop()
        replay.stop()
