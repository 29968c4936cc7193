"""Audit ledger benchmark (not a test): the three speed goals of the ledger.

1. leaves appended per second from Kafka: N records preloaded on the audit topic of a real broker, each
   signed by the router's key, consumed by the service's own AuditConsumer (every signature checked) into
   an empty SQLite ledger (checkpoints signed as usual);
2. inclusion-proof time at 1,000,000 leaves: the ledger built directly through the repository, then
   proofs for random leaves, each on a fresh reader (a new connection, no cache), as one API request does;
3. full verification of that 1,000,000-leaf export with `drr-verify verify-export` (a new process).

    .venv/bin/python bench/audit.py [--records 200000] [--leaves 1000000] [--proofs 2000]

It starts its own broker (ports 29092/29093 shifted by DRR_E2E_PORT_OFFSET + 50) in a temporary folder
and stops it at the end.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from drr_verify.records import public_keys

from deploy.local.audit_burst import sharing_decisions
from deploy.local.audit_keys import local_keys, record_signer
from deploy.local.kafka import KafkaNode
from services.audit import merkle
from services.audit.admission import Admission, Refusal
from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.consumer import AuditConsumer, kafka_consumer
from services.audit.export import export
from services.audit.leaves import leaf_of
from services.audit.sqlite_store import SqliteLedger
from shared import topics
from shared.audit_records import AuditRecord
from shared.record_signing import RecordSigner

OFFSET = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0")) + 50
ORIGIN = "bench.local/audit"


def records(count: int) -> list[AuditRecord]:
    """Sharing decisions like the router's: identifiers, field names and digests."""
    return sharing_decisions(count, "BENCH")


async def preload(options: dict[str, object], count: int, signer: RecordSigner) -> None:
    """The records, signed by the router's key as the router signs them."""
    producer = AIOKafkaProducer(**options, acks="all", linger_ms=5, max_batch_size=1024 * 1024)
    await producer.start()
    try:
        futures = []
        for record in records(count):
            value, headers = signer.signed(record)
            futures.append(await producer.send(topics.AUDIT, value, key=b"k", headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


class TimedLedger(SqliteLedger):
    """The ledger noting when consumption starts: the consumer reads the stored offsets when it is assigned
    its partitions, just before its first fetch (so the group join is not counted, the first batch is)."""

    started: tuple[float, float] | None = None
    """(monotonic time, process CPU time) at the first assignment."""

    def offsets(self) -> dict[tuple[str, int], int]:
        if self.started is None:
            self.started = time.monotonic(), time.process_time()
        return super().offsets()


class NoDeadLetters:
    """Every record is signed: nothing is refused, so nothing is dead-lettered."""

    async def send(self, refusals: Sequence[Refusal]) -> None:
        assert not refusals, f"{len(refusals)} records refused: {refusals[0].reason}"


async def ingest(
    options: dict[str, object], folder: Path, count: int, env: dict[str, str]
) -> tuple[float, float, float]:
    """Seconds from partition assignment to the last leaf stored, leaves appended per second over them, and
    this process's CPU time per leaf in microseconds (all threads; less sensitive to a shared machine).
    Timed from the assignment, not from the first leaf seen: a count that fits one poll (<= 20,000) would
    otherwise be stored whole before the clock starts."""
    ledger = TimedLedger.open(folder / "kafka.sqlite3")
    assert isinstance(ledger, TimedLedger)  # open() builds cls
    signer = Signer.from_file(folder / "key.pem", ORIGIN)
    connect = partial(kafka_consumer, options, f"drr-audit-bench-{uuid4().hex[:6]}", 6.0)
    admission = Admission(public_keys(json.loads(env["DRR_AUDIT_RECORD_SIGNERS"])))
    consumer = AuditConsumer(ledger, connect, signer, admission, NoDeadLetters(), origin=ORIGIN)
    task = asyncio.create_task(consumer.run())
    try:
        _, end = await _until(ledger, count)
        cpu_end = time.process_time()
    finally:
        consumer.stop()
        await task
    assert ledger.started is not None, "the ledger is full, so the consumer was assigned its partition"
    start, cpu_start = ledger.started
    elapsed = end - start
    return elapsed, count / elapsed, (cpu_end - cpu_start) / count * 1e6


async def _until(ledger: SqliteLedger, size: int, timeout_s: float = 600) -> tuple[int, float]:
    deadline = time.monotonic() + timeout_s
    while (now := ledger.size()) < size:
        if time.monotonic() > deadline:
            raise TimeoutError(f"ledger at {now}, waiting for {size}")
        await asyncio.sleep(0.05)  # each poll opens a connection: polling faster would load the measured process
    return now, time.monotonic()


def build(folder: Path, count: int, batch: int = 10_000) -> tuple[SqliteLedger, Signer, float]:
    """A ledger of `count` leaves through the repository, a checkpoint per batch; returns leaves/s."""
    ledger = SqliteLedger.open(folder / "big.sqlite3")
    signer = Signer.from_file(folder / "key.pem", ORIGIN)
    start = time.perf_counter()
    for done in range(0, count, batch):
        ledger.append([leaf_of(r) for r in records(min(batch, count - done))])
        checkpoint_now(ledger, signer, ORIGIN)
    return ledger, signer, count / (time.perf_counter() - start)


def proof_times_ms(ledger: SqliteLedger, proofs: int) -> list[float]:
    size = ledger.size()
    times = []
    for index in random.sample(range(size), proofs):
        start = time.perf_counter()  # wall time: a proof waits for nothing but the database file
        wanted = merkle.nodes_read(lambda node: merkle.inclusion_proof(index, size, node))  # noqa: B023
        with ledger.reader(wanted) as node:
            merkle.inclusion_proof(index, size, node)
        times.append((time.perf_counter() - start) * 1000)
    return times


def verify_s(ledger: SqliteLedger, signer: Signer, folder: Path) -> float:
    export(ledger, folder / "export", signer.verifier_key)
    key, exported = signer.verifier_key, str(folder / "export")
    argv = [sys.executable, "-m", "drr_verify.cli", "verify-export", "--key", key, exported]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    print(f"  drr-verify: {done.stdout.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="records consumed from Kafka")
    parser.add_argument("--leaves", type=int, default=1_000_000, help="leaves in the ledger for proofs and export")
    parser.add_argument("--proofs", type=int, default=2000)
    args = parser.parse_args()
    if args.records < 1:
        parser.error("--records must be at least 1")
    with tempfile.TemporaryDirectory(prefix="drr-bench-audit-") as var:
        folder = Path(var)
        node = KafkaNode(folder / "kafka", 29092 + OFFSET, 29093 + OFFSET)
        node.start()
        try:
            env = local_keys(folder)
            asyncio.run(preload(node.client_options("router"), args.records, record_signer(env, "router")))
            elapsed, rate, cpu_us = asyncio.run(ingest(node.client_options("audit"), folder, args.records, env))
        finally:
            node.stop()
        print(f"from Kafka: {rate:,.0f} leaves/s ({args.records:,} records in {elapsed:.2f} s, SQLite, "
              f"goal >= 20,000/s), {cpu_us:.0f} us CPU per leaf")  # fmt: skip
        if elapsed < 1:
            print("  (under a second, timed to the 50 ms the ledger is polled at: too short to judge the goal;"
                  " use --records 200000)")  # fmt: skip
        ledger, signer, built = build(folder, args.leaves)
        print(f"built {args.leaves:,} leaves through the repository at {built:,.0f} leaves/s")
        times = proof_times_ms(ledger, args.proofs)
        p50, p99 = statistics.median(times), statistics.quantiles(times, n=100)[98]
        print(f"inclusion proof at {args.leaves:,} leaves: mean {statistics.fmean(times):.3f} ms, "
              f"p50 {p50:.3f} ms, p99 {p99:.3f} ms (goal <= 1 ms)")  # fmt: skip
        seconds = verify_s(ledger, signer, folder)
        print(f"drr-verify verify-export of {args.leaves:,} leaves: {seconds:.2f} s (goal <= 5 s)")


if __name__ == "__main__":
    main()
