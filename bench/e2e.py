"""End-to-end benchmark (not a test): N events through intake -> Kafka -> router -> notifier -> SMTP.

Reports accepted/s, emails written/s and p50/p95/p99 from the 202 to the email landing in the Maildir,
and, on the same broker in the same run, raw aiokafka produce->consume throughput as the reference.

    .venv/bin/python bench/e2e.py [--events 10000] [--cases 200] [--concurrency 64] [--rate EVENTS_PER_S]
    .venv/bin/python bench/e2e.py --ab-sealing [--events 2000] [--rate 20]

`--ab-sealing` measures the cost of sealing in one run on one stack: with intake sealing the sensitive
fields (as in production), a steady `--rate` (default 20 events/s) for 30 s and then `--events` unpaced;
then the same with sealing off (DRR_INTAKE_SEAL_FIELDS=false, intake restarted), in four rounds: sealed,
clear, clear, sealed. It prints the ratio of the mean steady p99 (sealed / clear; goal at most 1.5) and of
the mean unpaced drain rate (goal at least 0.9).

Unpaced, intake accepts faster than email can go out, so the latency figures measure the backlog;
`--rate` offers a steady load instead, to see the latency of a system that keeps up.

It starts its own stack (own ports, temporary folder) and stops it at the end.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.local.demo_case import PERSON, opening, practitioner
from deploy.local.stack import Ports, Stack
from shared.deliveries import delivery_id_for
from shared.kafka import durable_producer

BENCH_PORTS = Ports(kafka=29092, controller=29093, intake=28001, router=28002, notifier=28003, audit=28004, smtp=28025)
JSON = {"content-type": "application/json"}
TEAM = {
    "case_manager": practitioner("b-cm", "Bench Manager", "probation"),
    "police": practitioner("b-pol", "Bench Officer", "police"),
}


def envelope(case_id: str, event_type: str, payload: dict[str, object]) -> dict[str, object]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "event_type": event_type,
        "occurred_at": now,
        "source": {"agency": "probation", "system": "bench"},
        "case_id": case_id,
        "person": PERSON,
        "payload": payload,
    }


def team_events(case_id: str) -> list[dict[str, object]]:
    return [
        envelope(case_id, "case_manager.assigned", {"practitioner": TEAM["case_manager"]}),
        envelope(case_id, "team.member_joined", {"practitioner": TEAM["police"], "role": "police"}),
    ]


def trigger(case_id: str) -> dict[str, object]:
    payload = {
        "trigger_type": "community_rejection",
        "severity": "high",
        "observed_at": "2026-11-01T10:00:00Z",
        "description": "Refused entry to the community centre.",
        "clinical_notes": "Anxiety rising.",
    }
    return {**envelope(case_id, "trigger.reported", payload), "event_id": str(uuid.uuid4())}


async def post_all(
    url: str, events: list[dict[str, object]], concurrency: int, rate: float = 0, key: str = ""
) -> dict[str, float]:
    """POST every event; returns event_id -> time of its 202 (time.time()).

    aiohttp, not httpx, as the load client: httpx's pool capped this loop near 100 requests/s."""
    accepted: dict[str, float] = {}
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(60)) as session:

        async def post(n: int, event: dict[str, object]) -> None:
            if rate:  # paced: event n leaves n / rate seconds after the first
                await asyncio.sleep(n / rate)
            headers = {**JSON, "Authorization": f"Bearer {key}"}
            async with gate, session.post("/v1/events", data=json.dumps(event), headers=headers) as answer:
                if answer.status == 202:
                    accepted[(await answer.json())["event_id"]] = time.time()

        await asyncio.gather(*(post(n, e) for n, e in enumerate(events)))
    return accepted


def landed(maildir: Path, wanted: set[str], timeout_s: float) -> dict[str, float]:
    """Delivery id -> time its file was written by the SMTP sink, once every `wanted` delivery is there
    (earlier runs' emails in the same Maildir are read, and do not count)."""
    deadline = time.monotonic() + timeout_s
    found: dict[str, float] = {}
    seen: set[Path] = set()
    while not wanted <= found.keys() and time.monotonic() < deadline:
        for path in set((maildir / "new").iterdir()) - seen:
            seen.add(path)
            for line in path.read_bytes().split(b"\n\n", 1)[0].splitlines():
                if line.lower().startswith(b"x-drr-delivery-id:"):
                    found[line.split(b":", 1)[1].strip().decode()] = path.stat().st_mtime
        time.sleep(1)  # the landing time is the file's mtime, so polling slowly loses no precision
    return found


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms"


async def raw_kafka(options: dict[str, object], count: int, size: int = 300) -> float:
    """Reference: aiokafka produce (acks=all, idempotent) then consume `count` messages; msgs/s end to end."""
    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 4, 1)])
    await admin.close()
    producer = durable_producer(options)
    consumer = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    started = time.perf_counter()
    futures = [await producer.send(topic, b"x" * size, key=str(i % 200).encode()) for i in range(count)]
    await asyncio.gather(*futures)
    received = 0
    while received < count:
        batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
        received += sum(len(v) for v in batch.values())
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    return count / elapsed


async def measure(
    stack: Stack, events: int, cases: int, concurrency: int, rate: float, prefix: str = "BENCH", raw: bool = True
) -> dict[str, float]:
    """Prints the figures; returns p99 (s) and events fully delivered per second."""
    case_ids = [f"{prefix}-{i:05d}" for i in range(cases)]
    key = stack.api_keys["probation"]  # every bench event comes from probation
    await post_all(stack.url("intake"), [opening(c) for c in case_ids], 8, key=key)  # first: the key owns them
    await post_all(stack.url("intake"), [e for c in case_ids for e in team_events(c)], 8, key=key)
    load = [trigger(case_ids[i % cases]) for i in range(events)]
    started = time.time()
    accepted = await post_all(stack.url("intake"), load, concurrency, rate, key)
    post_s = time.time() - started
    expected = {str(delivery_id_for(uuid.UUID(eid), p["id"])): eid for eid in accepted for p in TEAM.values()}
    arrivals = landed(stack.maildir, set(expected), timeout_s=600)
    ours = {d: t for d, t in arrivals.items() if d in expected}
    last_email = max(ours.values(), default=started)
    per_event: dict[str, float] = {}
    for delivery, at in ours.items():
        eid = expected[delivery]
        per_event[eid] = max(per_event.get(eid, 0.0), at - accepted[eid])
    print(f"events posted:    {events}, accepted {len(accepted)} in {post_s:.1f}s: {len(accepted) / post_s:.0f}/s")
    span = max(last_email - started, 1e-9)
    print(f"emails written:   {len(ours)} of {len(expected)} in {span:.1f}s: {len(ours) / span:.0f}/s")
    print(f"202 -> last email of its event: {percentiles(list(per_event.values()))}")
    pipeline = len(per_event) / span
    print(f"events fully delivered/s: {pipeline:.0f}")
    if raw:
        reference = await raw_kafka(stack.kafka.client_options(), events)
        print(f"raw aiokafka produce->consume (acks=all, 300 B): {reference:.0f} msg/s; "
              f"pipeline/raw ratio {pipeline / reference:.3f}")  # fmt: skip
    latencies = sorted(per_event.values())
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98] if len(latencies) > 1 else float("nan")
    return {"p99_s": p99, "delivered_per_s": pipeline}


AB_ROUNDS = ("sealed", "clear", "clear", "sealed")
"""A-B-B-A: whatever drifts over the run (the broker's logs, the tables, the machine's other work) weighs
on both modes alike."""


async def ab_sealing(stack: Stack, events: int, cases: int, concurrency: int, rate: float) -> None:
    """Steady and unpaced, with sealing on and off (intake restarted between), in A-B-B-A rounds: the cost
    of the encryption, in one run."""
    rate = rate or 20.0
    rounds: dict[str, list[dict[str, float]]] = {"sealed": [], "clear": []}
    for n, mode in enumerate(AB_ROUNDS):
        sealing = "true" if mode == "sealed" else "false"
        if stack.extra_env.get("DRR_INTAKE_SEAL_FIELDS", "true") != sealing:
            stack.extra_env["DRR_INTAKE_SEAL_FIELDS"] = sealing
            await asyncio.to_thread(stack.stop_service, "intake")
            await asyncio.to_thread(stack.start_service, "intake")
        await measure(stack, 200, 20, concurrency, 0, prefix=f"{mode}{n}-W", raw=False)  # warm-up, not counted
        print(f"== round {n + 1}: {mode}, steady {rate:.0f} events/s")
        steady = await measure(stack, int(rate * 30), cases, concurrency, rate, prefix=f"{mode}{n}-S", raw=False)
        print(f"== round {n + 1}: {mode}, unpaced")
        drain = await measure(stack, events, cases, concurrency, 0, prefix=f"{mode}{n}-U", raw=False)
        rounds[mode].append({"p99_s": steady["p99_s"], "drain": drain["delivered_per_s"]})
    sealed, clear = ({k: statistics.mean(r[k] for r in rounds[m]) for k in ("p99_s", "drain")} for m in rounds)
    for mode, figures in rounds.items():
        each = ", ".join(f"p99 {f['p99_s'] * 1000:.0f} ms / drain {f['drain']:.0f}/s" for f in figures)
        print(f"{mode} rounds: {each}")
    print(f"sealed / clear (means of two rounds each): steady p99 {sealed['p99_s'] * 1000:.0f} / "
          f"{clear['p99_s'] * 1000:.0f} ms = {sealed['p99_s'] / clear['p99_s']:.2f}x (goal <= 1.5); unpaced drain "
          f"{sealed['drain']:.0f} / {clear['drain']:.0f} events/s = {sealed['drain'] / clear['drain']:.2f} "
          "(goal >= 0.90)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=0, help="events/s to offer (default: as fast as accepted)")
    parser.add_argument("--ab-sealing", action="store_true", help="sealed and clear rounds, A-B-B-A")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drr-bench-") as var:
        stack = Stack(Path(var), BENCH_PORTS, {"DRR_LOG_LEVEL": "WARNING", "DRR_INTAKE_RATE_PER_S": "1000000"})
        stack.start()
        try:
            run = ab_sealing if args.ab_sealing else measure
            asyncio.run(run(stack, args.events, args.cases, args.concurrency, args.rate))  # type: ignore[operator]
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
