"""The consumer and the completeness check together, without a broker: a wait is judged only once the
consumer has read the topic to its end, so a backlog or a restart never alarms on a record still to come."""

import asyncio
from collections.abc import Sequence
from pathlib import Path
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from services.audit.admission import Refusal
from services.audit.checkpoints import Signer
from services.audit.completeness.rules import Windows
from services.audit.completeness.watch import CompletenessWatch
from services.audit.consumer import AuditConsumer
from services.audit.ingest import Message
from services.audit.sqlite_store import SqliteLedger
from shared.audit_records import AuditKind, AuditRecord
from tests.unit.audit.signed import ADMISSION, SIGNERS

WHERE = TopicPartition("drr.audit", 0)
NO_WAIT = Windows(decision_s=0.0)


class Published:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def record(self, *, record: AuditRecord) -> None:
        self.records.append(record)


class Kafka:
    """One partition: hands out `batches`, then nothing; `behind` says the broker holds more than it gave."""

    def __init__(self, batches: list[list[Message]], behind: int = 0) -> None:
        self.batches, self.behind, self.position_ = batches, behind, 0

    def subscribe(self, topics: list[str], listener: object) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...

    def assignment(self) -> set[TopicPartition]:
        return {WHERE}

    def highwater(self, partition: TopicPartition) -> int:
        return self.position_ + self.behind

    async def position(self, partition: TopicPartition) -> int:
        return self.position_

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Message]]:
        if self.batches:
            batch = self.batches.pop(0)
            self.position_ += len(batch)
            return {WHERE: batch}
        await asyncio.sleep(timeout_ms / 1000)
        return {}


def received(offset: int) -> Message:
    record = AuditRecord(record_id=uuid4(), kind=AuditKind.EVENT_RECEIVED, service="intake", case_id="C-1",
                         event_id=uuid4(), outcome="accepted")  # fmt: skip
    value, headers = SIGNERS["intake"].signed(record)
    return ConsumerRecord("drr.audit", 0, offset, 0, 0, b"C-1", value, None, 3, len(value), list(headers))


class NoDeadLetters:
    async def send(self, refusals: Sequence[Refusal]) -> None:
        assert not refusals, refusals


async def consume(tmp_path: Path, kafka: Kafka, published: Published, seconds: float) -> SqliteLedger:
    ledger = SqliteLedger.open(tmp_path / "audit.sqlite3")
    watch = CompletenessWatch(ledger.waits, published, NO_WAIT, every_s=0.0)
    signer = Signer.from_file(tmp_path / "key.pem", "t")
    worker = AuditConsumer(ledger, lambda: kafka, signer, ADMISSION, NoDeadLetters(), origin="t", poll_ms=10,
                           completeness=watch)  # fmt: skip
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(seconds)
    worker.stop()
    await asyncio.wait_for(task, 5)
    return ledger


@pytest.mark.parametrize(("behind", "alarms"), [(0, 1), (5, 0)])
async def test_an_alarm_waits_until_the_whole_topic_is_read(tmp_path: Path, behind: int, alarms: int) -> None:
    published = Published()
    ledger = await consume(tmp_path, Kafka([[received(0)]], behind=behind), published, 0.5)
    assert [r.kind for r in published.records] == [AuditKind.COMPLETENESS_ALARM] * alarms
    assert len(ledger.waits.due("9999")) == 1 - alarms and len(ledger.waits.overdue()) == alarms
    ledger.close()
