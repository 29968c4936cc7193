"""Policy benchmark (not a test): how fast the engine decides, and the router's throughput through Kafka.

1. decide(): events/s for one trigger event and a 10-member team (goal >= 20,000/s, about 50 us/event).
2. The router on a real broker: events/s from drr.events to their deliveries on drr.deliveries, next to
   a raw aiokafka consume->produce loop (same outputs per input: a delivery and an audit record per
   member) on the same broker in the same run.

    .venv/bin/python bench/policy.py [--decisions 50000] [--events 2000] [--port-offset 300]

It starts its own broker and router (ports shifted by --port-offset, temporary folder) and stops both.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.local.demo_case import PERSON, clinical_agreement, practitioner
from deploy.local.kafka import KafkaNode
from deploy.local.processes import Process, http_ok, wait_until
from shared import topics
from shared.events import parse_event
from shared.examples import EXAMPLES
from shared.kafka import durable_producer
from shared.policy import CaseState, apply_access, decide, load_policy
from shared.team import CaseTeam, apply

REPO = Path(__file__).resolve().parents[1]
ROLES = ["probation", "prison", "police", "mental_health", "social_care", "youth_work", "community",
         "family_support", "exit_programme"]  # fmt: skip
NOW = datetime.now(UTC).isoformat()


def envelope(case_id: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    source = {"agency": "probation", "system": "bench"}
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "occurred_at": NOW, "source": source,
            "case_id": case_id, "person": PERSON, "payload": payload}  # fmt: skip


def setup_events(case_id: str) -> list[dict[str, Any]]:
    """A case manager and nine members (ten recipients), and the clinical agreement with consent."""
    manager = practitioner(f"{case_id}-cm", "Bench Manager", "probation")
    people = {r: practitioner(f"{case_id}-{r}", f"Bench {r}", r) for r in ROLES}
    members = [envelope(case_id, "team.member_joined", {"practitioner": p, "role": r}) for r, p in people.items()]
    agreement = envelope(case_id, "sharing_agreement.updated", clinical_agreement(datetime.now(UTC)))
    return [envelope(case_id, "case_manager.assigned", {"practitioner": manager}), *members, agreement]


def bench_decide(count: int) -> None:
    policy, state = load_policy(), CaseState()
    for raw in setup_events("B-1"):
        event = parse_event(raw)
        state = apply_access(state.model_copy(update={"team": apply(state.team, event)}), event)
    event = parse_event(envelope("B-1", "trigger.reported", EXAMPLES["trigger.reported"]))
    assert len(decide(event, state, policy)) == 10
    started = time.perf_counter()
    for _ in range(count):
        decide(event, state, policy)
    elapsed = time.perf_counter() - started
    print(f"decide(): {count / elapsed:,.0f} events/s ({elapsed / count * 1e6:.1f} us/event, 10 recipients each)")
    assert isinstance(state.team, CaseTeam)


async def produce(options: dict[str, object], topic: str, items: list[tuple[bytes, bytes]]) -> None:
    producer = durable_producer(options, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in items]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def count_until(
    options: dict[str, object], topic: str, wanted: int, timeout_s: float, group: str | None = None
) -> float:
    """Read `topic` from the start until `wanted` messages arrived; returns when the last one did."""
    consumer = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest", group_id=group)
    await consumer.start()
    try:
        seen, deadline = 0, time.monotonic() + timeout_s
        while seen < wanted and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            seen += sum(len(v) for v in batch.values())
        if seen < wanted:
            raise TimeoutError(f"{seen}/{wanted} messages on {topic} within {timeout_s}s")
        return time.perf_counter()
    finally:
        await consumer.stop()


async def bench_router(options: dict[str, object], events: int, cases: int) -> float:
    ids = [f"B-{i}" for i in range(cases)]
    setup = [(c.encode(), json.dumps(e).encode()) for c in ids for e in setup_events(c)]
    await produce(options, topics.EVENTS, setup)
    # the clock starts once the router has folded every team and agreement: one audit record for each
    await count_until(options, topics.AUDIT, len(setup), 300)
    triggers = [envelope(ids[i % cases], "trigger.reported", EXAMPLES["trigger.reported"]) for i in range(events)]
    started = time.perf_counter()
    waiting = asyncio.create_task(count_until(options, topics.DELIVERIES, events * 10, 300))
    await produce(options, topics.EVENTS, [(e["case_id"].encode(), json.dumps(e).encode()) for e in triggers])
    return events / (await waiting - started)


async def bench_raw_loop(options: dict[str, object], events: int, outputs: int = 20) -> float:
    """consume -> `outputs` sends per input (a delivery and an audit record per member), commit per batch."""
    source, sink = f"bench.in.{uuid.uuid4().hex[:6]}", f"bench.out.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    await admin.create_topics([NewTopic(source, topics.PARTITIONS, 1), NewTopic(sink, topics.PARTITIONS, 1)])
    await admin.close()
    body = json.dumps(envelope("B-0", "trigger.reported", EXAMPLES["trigger.reported"])).encode()
    await produce(options, source, [(f"B-{i % 200}".encode(), body) for i in range(events)])
    consumer = AIOKafkaConsumer(source, **options, auto_offset_reset="earliest",
                                group_id="bench-raw", enable_auto_commit=False)  # fmt: skip
    producer = durable_producer(options, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        started, done = time.perf_counter(), 0
        while done < events:
            batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
            messages = [m for ms in batch.values() for m in ms]
            futures = [await producer.send(sink, m.value, key=m.key) for m in messages for _ in range(outputs)]
            await asyncio.gather(*futures)
            await consumer.commit()
            done += len(messages)
        return events / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await producer.stop()


def bench_kafka(events: int, cases: int, offset: int) -> None:
    with tempfile.TemporaryDirectory(prefix="drr-bench-policy-") as tmp:
        kafka = KafkaNode(Path(tmp) / "kafka", 29092 + offset, 29093 + offset)
        kafka.start()
        router: Process | None = None
        try:
            env = {
                **kafka.service_env("router"),
                "DRR_ROUTER_PORT": str(28002 + offset),
                "DRR_LOG_LEVEL": "WARNING",
            }
            router = Process(
                "router", [sys.executable, "-m", "services.router"], Path(tmp) / "router.log", env, REPO
            ).start()
            wait_until(lambda: http_ok(f"http://127.0.0.1:{28002 + offset}/healthz"), 120, "router", router.alive)
            routed = asyncio.run(bench_router(kafka.client_options(), events, cases))
            raw = asyncio.run(bench_raw_loop(kafka.client_options(), events))
            print(
                f"router through Kafka: {routed:,.0f} events/s ({events} events, 10 recipients, 20 messages out each)"
            )
            print(
                f"raw aiokafka consume->produce loop, same outputs: {raw:,.0f} events/s; "
                f"router/raw ratio {routed / raw:.3f}"
            )
        finally:
            if router is not None:
                router.stop(15)
            kafka.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--port-offset", type=int, default=0)
    parser.add_argument("--skip-kafka", action="store_true")
    args = parser.parse_args()
    bench_decide(args.decisions)
    if not args.skip_kafka:
        bench_kafka(args.events, args.cases, args.port_offset)


if __name__ == "__main__":
    main()
