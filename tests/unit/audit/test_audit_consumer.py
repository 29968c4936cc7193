"""The consumer without a broker: parsing, storing, and the store-then-commit loop over a fake Kafka."""

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError
from prometheus_client import REGISTRY

from services.audit.checkpoints import Signer
from services.audit.consumer import AuditConsumer
from services.audit.ingest import Message, parse, prepare, store
from services.audit.leaves import EntryFilter
from services.audit.sqlite_store import SqliteLedger as Ledger
from shared.audit_records import AuditRecord

DEADLINE_S = 5.0


def _record(case_id: str = "case-1") -> AuditRecord:
    fields = {"record_id": uuid4(), "kind": "email.sent", "service": "t", "case_id": case_id}
    return AuditRecord.model_validate(fields)


def _message(value: bytes | None, offset: int = 0) -> Message:
    return ConsumerRecord("drr.audit", 2, offset, 0, 0, b"case-1", value, None, 6, len(value or b""), [])


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger.open(tmp_path / "audit.sqlite3")
    yield ledger
    ledger.close()


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer.from_file(tmp_path / "key.pem", "test/audit")


def test_parse_reads_an_audit_record() -> None:
    record = _record()
    assert parse(_message(record.model_dump_json().encode())) == record


@pytest.mark.parametrize("value", [b"not json", b'{"kind": "email.sent"}', None, b'{"secret": "Jane Doe"}'])
def test_parse_skips_what_is_not_a_record_logging_no_content(
    value: bytes | None, caplog: pytest.LogCaptureFixture
) -> None:
    before = _sample("drr_audit_unparseable_records_total")
    with caplog.at_level(logging.WARNING, logger="services.audit.ingest"):
        assert parse(_message(value, offset=41)) is None
    assert _sample("drr_audit_unparseable_records_total") == before + 1
    [logged] = caplog.records
    where = (logged.topic, logged.partition, logged.offset)  # type: ignore[attr-defined]
    assert where == ("drr.audit", 2, 41) and logged.error_kinds  # type: ignore[attr-defined]
    assert "Jane" not in repr(logged.__dict__) and "not json" not in repr(logged.__dict__)


def test_a_valid_record_whose_time_overflows_in_utc_is_skipped_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    fine = _record().model_dump_json().encode()
    overflowing = (
        _record().model_dump_json(exclude={"recorded_at"})[:-1] + ',"recorded_at":"0001-01-01T00:00:00+01:00"}'
    )
    before = _sample("drr_audit_unparseable_records_total")
    with caplog.at_level(logging.WARNING, logger="services.audit.ingest"):
        batch = prepare([_message(fine, 0), _message(overflowing.encode(), 1), _message(fine, 2)])
    assert len(batch.leaves) == 2 and batch.offsets == {("drr.audit", 2): 3}
    assert _sample("drr_audit_unparseable_records_total") == before + 1
    assert [r.error_kinds for r in caplog.records] == [["OverflowError"]]  # type: ignore[attr-defined]


def test_store_counts_appended_and_duplicate_records(ledger: Ledger) -> None:
    appended = _sample("drr_audit_entries_appended_total")
    duplicates = _sample("drr_audit_duplicates_skipped_total")
    one, two = _record(), _record()
    assert (
        store(ledger, [_message(one.model_dump_json().encode(), 0), _message(two.model_dump_json().encode(), 1)]) == 2
    )
    assert (
        store(ledger, [_message(two.model_dump_json().encode(), 2), _message(_record().model_dump_json().encode(), 3)])
        == 1
    )
    assert ledger.offsets() == {("drr.audit", 2): 4}
    assert _sample("drr_audit_entries_appended_total") == appended + 3
    assert _sample("drr_audit_duplicates_skipped_total") == duplicates + 1
    assert _sample("drr_audit_ledger_entries") == 3


class FakeKafka:
    """Hands out the given batches, then nothing; notes the ledger's size whenever offsets are committed."""

    def __init__(self, ledger: Ledger, batches: list[list[bytes | None]], fail_commits: int = 0) -> None:
        self.ledger, self.fail_commits = ledger, fail_commits
        self.batches = [[_message(v, i) for i, v in enumerate(batch)] for batch in batches]
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


async def test_each_batch_is_stored_before_its_offsets_are_committed(ledger: Ledger, signer: Signer) -> None:
    one, two = _record(), _record()
    one_json, two_json = one.model_dump_json().encode(), two.model_dump_json().encode()
    batches: list[list[bytes | None]] = [[one_json, b"junk"], [one_json, two_json]]
    kafka = FakeKafka(ledger, batches)
    worker = AuditConsumer(ledger, lambda: kafka, signer, origin="test/audit", poll_ms=10)
    await _run_until(worker, lambda: len(kafka.calls) >= 3)
    assert kafka.calls == ["start", ("commit", 1), ("commit", 2), "stop"]
    assert kafka.committed == {TopicPartition("drr.audit", 2): 2}  # the offset after the last stored message
    stored = [json.loads(e.text)["record_id"] for e in ledger.entries(EntryFilter())]
    assert stored == [str(one.record_id), str(two.record_id)] and not worker.ready


async def test_it_is_ready_only_while_running(ledger: Ledger, signer: Signer) -> None:
    kafka = FakeKafka(ledger, [])
    worker = AuditConsumer(ledger, lambda: kafka, signer, origin="test/audit", poll_ms=10)
    assert not worker.ready
    await _run_until(worker, lambda: worker.ready)
    assert not worker.ready and kafka.calls == ["start", "stop"]


async def test_a_failed_commit_is_logged_and_consumption_goes_on(ledger: Ledger, signer: Signer) -> None:
    batches: list[list[bytes | None]] = [[_record().model_dump_json().encode()] for _ in range(2)]
    kafka = FakeKafka(ledger, batches, fail_commits=1)
    worker = AuditConsumer(ledger, lambda: kafka, signer, origin="test/audit", poll_ms=10)
    await _run_until(worker, lambda: ("commit", 2) in kafka.calls)
    assert ledger.size() == 2


async def test_it_keeps_trying_until_kafka_answers(ledger: Ledger, signer: Signer) -> None:
    attempts = [Unreachable(ledger, []), Unreachable(ledger, []), FakeKafka(ledger, [])]
    worker = AuditConsumer(ledger, lambda: attempts.pop(0), signer, origin="t", poll_ms=10, retry_s=0.01)
    await _run_until(worker, lambda: worker.ready)
    assert attempts == []


async def test_stop_while_kafka_is_unreachable_ends_the_run(ledger: Ledger, signer: Signer) -> None:
    worker = AuditConsumer(ledger, lambda: Unreachable(ledger, []), signer, origin="t", retry_s=0.01)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.05)
    worker.stop()
    await asyncio.wait_for(task, DEADLINE_S)
    assert not worker.ready


async def test_a_signed_checkpoint_follows_the_stored_batches(ledger: Ledger, signer: Signer) -> None:
    kafka = FakeKafka(ledger, [[_record().model_dump_json().encode() for _ in range(3)]])
    worker = AuditConsumer(ledger, lambda: kafka, signer, origin="test/audit", poll_ms=10, every_s=0.0)
    await _run_until(worker, lambda: (ledger.latest_checkpoint() or _Empty).size == 3)
    latest = ledger.latest_checkpoint()
    assert latest is not None and latest.note.startswith("test/audit\n3\n")


class _Empty:
    size = -1
