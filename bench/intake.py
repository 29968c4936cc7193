"""Intake benchmark (not a test): accepted events/s and latency for single posts and for batches, on a
real Kafka broker (acks=all), with API keys and idempotency receipts as in production.

    .venv/bin/python bench/intake.py [--events 5000] [--concurrency 64] [--batch-size 100]

It starts its own Kafka node and intake (ports shifted by DRR_E2E_PORT_OFFSET, temporary folder) and
stops both at the end. aiohttp is the load client: httpx's pool capped a similar loop near 100 req/s.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from deploy.local.demo_case import case_history, opening
from deploy.local.kafka import KafkaNode
from deploy.local.processes import Process, http_ok, wait_until
from deploy.local.stack import REPO
from services.intake.cli import issue_key
from services.intake.store import SqliteStore
from shared.roles import Agency

SHIFT = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0")) + 10
KAFKA, CONTROLLER, INTAKE = 29092 + SHIFT, 29093 + SHIFT, 28001 + SHIFT
TRIGGER = next(e for e in case_history("BENCH") if e["event_type"] == "trigger.reported")


CASES = [f"BENCH-{n:03d}" for n in range(200)]


def events(count: int) -> list[dict[str, object]]:
    return [{**TRIGGER, "case_id": CASES[n % len(CASES)], "event_id": str(uuid.uuid4())} for n in range(count)]


async def run(key: str, path: str, bodies: list[object], per_body: int, concurrency: int) -> tuple[float, list[float]]:
    """POST every body with `concurrency` in flight: (accepted events/s, latency of each request)."""
    headers = {"content-type": "application/json", "Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    accepted = 0
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{INTAKE}", connector=connector) as session:

        async def post(body: object) -> None:
            nonlocal accepted
            async with gate:
                started = time.perf_counter()
                async with session.post(path, data=json.dumps(body), headers=headers) as answer:
                    result = await answer.json()
                latencies.append(time.perf_counter() - started)
            if answer.status == 202:
                accepted += 1
            elif answer.status == 200 and "results" in result:
                accepted += sum(1 for r in result["results"] if r["status"] == "accepted")

        started = time.perf_counter()
        await asyncio.gather(*(post(b) for b in bodies))
        elapsed = time.perf_counter() - started
    assert accepted == len(bodies) * per_body, f"only {accepted} accepted"
    return accepted / elapsed, latencies


def report(label: str, rate: float, latencies: list[float]) -> None:
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"{label:<34} {rate:>8.0f} events/s   p50 {q[49] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms")


async def measure(key: str, count: int, concurrency: int, batch_size: int) -> None:
    await run(key, "/v1/events:batch", [{"events": [opening(c) for c in CASES]}], len(CASES), 1)  # the key owns them
    await run(key, "/v1/events", events(200), 1, concurrency)  # warm up connections and the producer
    rate, latencies = await run(key, "/v1/events", events(count), 1, concurrency)
    report(f"single posts, {concurrency} in flight", rate, latencies)
    loads = events(count * 4)
    batches = [{"events": loads[i : i + batch_size]} for i in range(0, len(loads), batch_size)]
    rate, latencies = await run(key, "/v1/events:batch", batches, batch_size, 4)
    report(f"batches of {batch_size}, 4 in flight", rate, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drr-bench-intake-") as folder:
        var = Path(folder)
        kafka = KafkaNode(var / "kafka", KAFKA, CONTROLLER)
        store = SqliteStore(var / "intake.sqlite3")
        _, key = issue_key(store, agency=Agency.PROBATION, system="bench")
        store.close()
        env = {**kafka.service_env("intake"), "DRR_INTAKE_PORT": str(INTAKE), "DRR_LOG_LEVEL": "WARNING",
               "DRR_INTAKE_DB_PATH": str(var / "intake.sqlite3"), "DRR_INTAKE_RATE_PER_S": "1e9"}  # fmt: skip
        intake = Process("intake", [sys.executable, "-m", "services.intake"], var / "intake.log", env, REPO)
        kafka.start()
        try:
            intake.start()
            wait_until(lambda: http_ok(f"http://127.0.0.1:{INTAKE}/healthz"), 60, "intake", intake.alive)
            asyncio.run(measure(key, args.events, args.concurrency, args.batch_size))
        finally:
            intake.stop()
            kafka.stop()


if __name__ == "__main__":
    main()
