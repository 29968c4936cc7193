"""State benchmark (not a test): the router's resident memory and its restart time as cases grow, with its
tables in memory and on disk (RocksDB, shared/faust_store.py), each on its own broker in one run.

    .venv/bin/python bench/state.py [--cases 10000 100000] [--stores memory rocksdb]

For each store: a broker and the router alone; the cases are filled straight onto drr.events as intake
would publish them (each case's digest salt first, then its case manager and one team member: two events,
three table entries, a delivery each), up to each `--cases` figure in turn. At each figure it prints the
router's resident memory (VmRSS) with the state loaded, the size of its state folder, and the restart time:
from starting a new router process (the old one stopped with SIGTERM, as a rolling deploy does) to that
router having handled a probe event for the first case (its audit record is on drr.audit), which it cannot
do before its tables are back. The raw baseline, measured in the same run: the same count of changelog
records read by one plain aiokafka consumer, the floor of a restart that re-reads its state.
"""

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from deploy.local.demo_case import PERSON, practitioner
from deploy.local.stack import Ports, Stack
from shared import topics
from shared.case_crypto import new_salt_record
from shared.events import Envelope, parse_event
from shared.kafka import durable_producer
from shared.kafka_acls import ADMIN, INTAKE

BENCH_PORTS = Ports(kafka=29192, controller=29193, intake=28101, router=28102, notifier=28103, audit=28104, smtp=28125)
ROUTER_CHANGELOGS = [topics.CASE_TEAMS_CHANGELOG, topics.CASE_ACCESS_CHANGELOG, topics.EVENT_RECIPIENTS_CHANGELOG]
SEND_WINDOW = 5000
"""Sends in flight at once while filling."""


@dataclass
class Figures:
    store: str
    cases: int
    rss_mib: float
    state_mib: float
    restart_s: float
    restart_rss_mib: float
    changelog_records: int
    raw_read_s: float


def case_events(case_id: str) -> list[Envelope]:
    def event(event_type: str, payload: dict[str, object]) -> Envelope:
        return parse_event({
            "event_type": event_type, "occurred_at": "2026-11-01T10:00:00Z", "case_id": case_id, "person": PERSON,
            "source": {"agency": "probation", "system": "bench-state"}, "payload": payload,
        })  # fmt: skip

    manager = practitioner(f"cm-{case_id}", "Bench Manager", "probation")
    police = practitioner(f"pol-{case_id}", "Bench Officer", "police")
    return [
        event("case_manager.assigned", {"practitioner": manager}),
        event("team.member_joined", {"practitioner": police, "role": "police"}),
    ]


async def fill(stack: Stack, first: int, last: int) -> None:
    """Cases first..last-1: salts, then events, as intake publishes them (its principal, keyed by case)."""
    producer = durable_producer(stack.kafka.client_options(INTAKE), linger_ms=5)
    await producer.start()
    try:
        salts = ((c, new_salt_record(c).encoded()) for c in cases(first, last))
        events = ((e.case_id, e.model_dump_json().encode()) for c in cases(first, last) for e in case_events(c))
        for topic, messages in ((topics.CASE_DIGEST_KEYS, salts), (topics.EVENTS, events)):
            pending = []
            for key, value in messages:
                pending.append(await producer.send(topic, value, key=key.encode()))
                if len(pending) >= SEND_WINDOW:
                    await asyncio.gather(*pending)
                    pending.clear()
            await asyncio.gather(*pending)
    finally:
        await producer.stop()


def cases(first: int, last: int) -> list[str]:
    return [f"BENCH-STATE-{n:06d}" for n in range(first, last)]


async def router_caught_up(stack: Stack, timeout_s: float = 3600) -> None:
    """Until the router's group has committed the end of every drr.events partition."""
    admin = AIOKafkaAdminClient(**stack.kafka.client_options(ADMIN))
    consumer = AIOKafkaConsumer(**stack.kafka.client_options(ADMIN))
    await admin.start()
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            committed = await admin.list_consumer_group_offsets(topics.ROUTER_APP_ID)
            ends = await consumer.end_offsets([tp for tp in committed if tp.topic == topics.EVENTS] or [])
            if ends and all(committed[tp].offset >= end for tp, end in ends.items()):
                return
            await asyncio.sleep(1)
        raise TimeoutError("the router did not catch up")
    finally:
        await consumer.stop()
        await admin.close()


async def restart_time(stack: Stack) -> float:
    """SIGTERM the router, start a new one, publish a probe for the first case, and time the new process
    from its start to the probe's audit record."""
    audit = AIOKafkaConsumer(topics.AUDIT, **stack.kafka.client_options(ADMIN), auto_offset_reset="latest")
    await audit.start()
    try:
        await audit.getmany(timeout_ms=500)  # positions at the end before the probe exists
        stack.stop_service("router")
        started = time.monotonic()
        process = stack._python("router", "services.router")
        probe = case_events(cases(0, 1)[0])[1].model_copy(update={"event_id": uuid.uuid4()})
        producer = durable_producer(stack.kafka.client_options(INTAKE))
        await producer.start()
        try:
            await producer.send_and_wait(topics.EVENTS, probe.model_dump_json().encode(), key=probe.case_id.encode())
        finally:
            await producer.stop()
        wanted = str(probe.event_id).encode()
        while True:
            batches = await audit.getmany(timeout_ms=1000)
            if any(wanted in m.value for batch in batches.values() for m in batch if m.value):
                return time.monotonic() - started
            if not process.alive():
                raise RuntimeError("the router exited while restarting")
    finally:
        await audit.stop()


async def raw_read(stack: Stack) -> tuple[int, float]:
    """Every record of the router's changelogs, read once by one plain consumer: (records, seconds)."""
    consumer = AIOKafkaConsumer(**stack.kafka.client_options(ADMIN), auto_offset_reset="earliest",
                                enable_auto_commit=False, max_partition_fetch_bytes=8 * 1024**2)  # fmt: skip
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in ROUTER_CHANGELOGS for p in range(topics.PARTITIONS)]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        started, read = time.monotonic(), 0
        while read < sum(ends.values()):  # offsets from 0: nothing compacted yet (the bench writes each key once)
            for batch in (await consumer.getmany(timeout_ms=1000, max_records=10_000)).values():
                read += len(batch)
        return read, time.monotonic() - started
    finally:
        await consumer.stop()


def rss_mib(pid: int | None) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def folder_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1024**2 if path.exists() else 0.0


def router_pid(stack: Stack) -> int | None:
    return next(p.pid for p in stack.processes if p.name == "router")


def measure(store: str, counts: list[int]) -> list[Figures]:
    figures = []
    with tempfile.TemporaryDirectory(prefix=f"drr-bench-state-{store}-") as tmp:
        stack = Stack(Path(tmp), BENCH_PORTS, extra_env={"DRR_ROUTER_STORE": store, "DRR_LOG_LEVEL": "WARNING"})
        stack.start(only=("router",))
        try:
            done = 0
            for count in counts:
                filling = time.monotonic()
                asyncio.run(fill(stack, done, count))
                asyncio.run(router_caught_up(stack))
                print(f"  {store}: {count} cases filled and routed in {time.monotonic() - filling:.0f} s", flush=True)
                done = count
                rss = rss_mib(router_pid(stack))
                restart = asyncio.run(restart_time(stack))
                time.sleep(2)  # the probe handled; what the restarted process holds now
                records, raw_s = asyncio.run(raw_read(stack))
                figures.append(Figures(store, count, rss, folder_mib(Path(tmp) / "state" / "router"), restart,
                                       rss_mib(router_pid(stack)), records, raw_s))  # fmt: skip
                print(f"  {figures[-1]}", flush=True)
        finally:
            stack.stop()
    return figures


def table(figures: list[Figures]) -> str:
    rows = ["| store | cases | RSS after filling | state on disk | restart (to first event handled) "
            "| RSS after restart | changelog records | raw re-read of them | restart / raw re-read |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for f in figures:
        rows.append(f"| {f.store} | {f.cases:,} | {f.rss_mib:.0f} MiB | {f.state_mib:.0f} MiB | {f.restart_s:.1f} s "
                    f"| {f.restart_rss_mib:.0f} MiB | {f.changelog_records:,} | {f.raw_read_s:.1f} s "
                    f"| {f.restart_s / f.raw_read_s:.1f} |")  # fmt: skip
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--stores", nargs="+", choices=["memory", "rocksdb"], default=["memory", "rocksdb"])
    args = parser.parse_args()
    os.environ.setdefault("DRR_LOG_LEVEL", "WARNING")
    figures = [f for store in args.stores for f in measure(store, sorted(args.cases))]
    print(table(figures))


if __name__ == "__main__":
    main()
