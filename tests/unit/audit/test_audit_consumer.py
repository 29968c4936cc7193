"""The consumer without a broker: admitting, storing, and the store-then-commit loop over a fake Kafka."""

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError
from prometheus_client import REGISTRY

from services.audit.admission import Refusal
from services.audit.checkpoints import Signer
from services.audit.consumer import AuditConsumer
from services.audit.ingest import Message, prepare, store
from services.audit.leaves import EntryFilter
from services.audit.sqlite_store import SqliteLedger as Ledger
from tests.unit.audit.signed import ADMISSION, message, record, signed

DEADLINE_S = 5.0


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger.open(tmp_path / "audit.sqlite3")
    yield ledger
    ledger.close()


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer.from_file(tmp_path / "key.pem", "test/audit")


def test_prepare_admits_a_signed_record_as_its_leaf() -> None:
    made = record()
    batch = prepare([signed(made, 0)], ADMISSION)
    [leaf] = batch.leaves
    assert json.loads(leaf.text) == made.model_dump(mode="json") and leaf.columns["signer"] == "notifier"
    assert batch.refused == [] and batch.offsets == {("drr.audit", 2): 1}


def test_a_signed_record_whose_time_overflows_in_utc_is_refused_not_fatal() -> None:
    """Signed (by a producer with a bug, say) but no leaf can be made of it: refused, and the batch goes on."""
    overflowing = record(recorded_at="0001-01-01T00:00:00+01:00")
    batch = prepare([signed(record(), 0), signed(overflowing, 1), signed(record(), 2)], ADMISSION)
    assert len(batch.leaves) == 2 and batch.offsets == {("drr.audit", 2): 3}
    assert [(r.reason, r.detail) for r in batch.refused] == [("unparseable", ("OverflowError",))]


def test_store_counts_appended_and_duplicate_records(ledger: Ledger) -> None:
    appended = _sample("drr_audit_entries_appended_total")
    duplicates = _sample("drr_audit_duplicates_skipped_total")
    one, two = record(), record()
    assert store(ledger, [signed(one, 0), signed(two, 1)], ADMISSION) == 2
    assert store(ledger, [signed(two, 2), signed(record(), 3)], ADMISSION) == 1
    assert ledger.offsets() == {("drr.audit", 2): 4}
    assert _sample("drr_audit_entries_appended_total") == appended + 3
    assert _sample("drr_audit_duplicates_skipped_total") == duplicates + 1
    assert _sample("drr_audit_ledger_entries") == 3


class DeadLetters:
    """Records what was dead-lettered, and the ledger's size when it was (before the batch is stored)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.sent: list[tuple[str, int]] = []

    async def send(self, refusals: Sequence[Refusal]) -> None:
        self.sent += [(refusal.reason, self.ledger.size()) for refusal in refusals]


class FakeKafka:
    """Hands out the given batches, then nothing; notes the ledger's size whenever offsets are committed."""

    def __init__(self, ledger: Ledger, batches: list[list[Message]], fail_commits: int = 0) -> None:
        self.ledger, self.fail_commits = ledger, fail_commits
        self.batches = [[_at(m, i) for i, m in enumerate(batch)] for batch in batches]
        self.calls: list[object] = []
        self.committed: dict[TopicPartition, int] = {}

    def subscribe(self, topics: list[str], listener: object) -> None:
        self.listener = listener

    async def start(self) -> None:
        self.calls.append("start")

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[str, list[Message]]:
        if self.batches:
            return {"tp": self.batches.pop(0)}
        await asyncio.sleep(timeout_ms / 1000)
        return {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.calls.append(("commit", self.ledger.size()))
        self.committed.update(offsets)
        if self.fail_commits:
            self.fail_commits -= 1
            raise CommitFailedError("rebalanced")

    async def stop(self) -> None:
        self.calls.append("stop")


class Unreachable(FakeKafka):
    async def start(self) -> None:
        raise KafkaConnectionError("no broker")


async def _run_until(worker: AuditConsumer, done: Callable[[], bool]) -> None:
    task = asyncio.create_task(worker.run())
    async with asyncio.timeout(DEADLINE_S):
        while not done():
            await asyncio.sleep(0.01)
    worker.stop()
    await asyncio.wait_for(task, DEADLINE_S)


def _consumer(ledger: Ledger, connect: Callable[[], object], signer: Signer, **options: Any) -> AuditConsumer:
    return AuditConsumer(ledger, connect, signer, ADMISSION, DeadLetters(ledger), origin="test/audit", **options)


async def test_each_batch_is_stored_before_its_offsets_are_committed(ledger: Ledger, signer: Signer) -> None:
    one, two = record(), record()
    kafka = FakeKafka(ledger, [[signed(one), message(b"junk")], [signed(one), signed(two)]])
    dead_letters = DeadLetters(ledger)
    worker = AuditConsumer(ledger, lambda: kafka, signer, ADMISSION, dead_letters, origin="test/audit", poll_ms=10)
    await _run_until(worker, lambda: len(kafka.calls) >= 3)
    assert kafka.calls == ["start", ("commit", 1), ("commit", 2), "stop"]
    assert kafka.committed == {TopicPartition("drr.audit", 2): 2}  # the offset after the last stored message
    stored = [json.loads(e.text)["record_id"] for e in ledger.entries(EntryFilter())]
    assert stored == [str(one.record_id), str(two.record_id)] and not worker.ready
    assert dead_letters.sent == [("unsigned", 0)]  # on the dead-letter topic before its batch was stored


async def test_it_is_ready_only_while_running(ledger: Ledger, signer: Signer) -> None:
    kafka = FakeKafka(ledger, [])
    worker = _consumer(ledger, lambda: kafka, signer, poll_ms=10)
    assert not worker.ready
    await _run_until(worker, lambda: worker.ready)
    assert not worker.ready and kafka.calls == ["start", "stop"]


async def test_a_failed_commit_is_logged_and_consumption_goes_on(ledger: Ledger, signer: Signer) -> None:
    kafka = FakeKafka(ledger, [[signed(record())] for _ in range(2)], fail_commits=1)
    worker = _consumer(ledger, lambda: kafka, signer, poll_ms=10)
    await _run_until(worker, lambda: ("commit", 2) in kafka.calls)
    assert ledger.size() == 2


async def test_it_keeps_trying_until_kafka_answers(ledger: Ledger, signer: Signer) -> None:
    attempts = [Unreachable(ledger, []), Unreachable(ledger, []), FakeKafka(ledger, [])]
    worker = _consumer(ledger, lambda: attempts.pop(0), signer, poll_ms=10, retry_s=0.01)
    await _run_until(worker, lambda: worker.ready)
    assert attempts == []


async def test_stop_while_kafka_is_unreachable_ends_the_run(ledger: Ledger, signer: Signer) -> None:
    worker = _consumer(ledger, lambda: Unreachable(ledger, []), signer, retry_s=0.01)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.05)
    worker.stop()
    await asyncio.wait_for(task, DEADLINE_S)
    assert not worker.ready


async def test_a_signed_checkpoint_follows_the_stored_batches(ledger: Ledger, signer: Signer) -> None:
    kafka = FakeKafka(ledger, [[signed(record()) for _ in range(3)]])
    worker = _consumer(ledger, lambda: kafka, signer, poll_ms=10, every_s=0.0)
    await _run_until(worker, lambda: (ledger.latest_checkpoint() or _Empty).size == 3)
    latest = ledger.latest_checkpoint()
    assert latest is not None and latest.note.startswith("test/audit\n3\n")


class _Empty:
    size = -1


def _at(given: Message, offset: int) -> Message:
    return message(given.value, offset, list(given.headers))
