"""Notifier benchmark (not a test): the two speed goals of the notifier alone.

1. emails per second sustained: N deliveries preloaded on drr.deliveries, then the notifier started;
   the rate is counted from the first email the SMTP server accepts to the last (start-up not counted);
2. latency at a steady 100 deliveries/s: from a delivery produced (and at once consumable: the notifier
   keeps up, so consumer lag is milliseconds) to its email accepted by the SMTP server; p50/p95/p99.

    .venv/bin/python bench/notifier.py [--deliveries 10000] [--paced 3000] [--rate 100] [--in-flight 32] [--workers 1]

Only Kafka, the notifier (its own process, as deployed) and an SMTP server run: the server is in this
process and records the time each message is accepted (by its X-DRR-Delivery-Id header), storing nothing.
Ports: bench/e2e.py BENCH_PORTS shifted by DRR_E2E_PORT_OFFSET + 60; a temporary folder; all stopped at the end.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from deploy.local.audit_keys import local_keys
from deploy.local.kafka import KafkaNode
from deploy.local.processes import Process, http_ok, wait_until
from services.notifier.bootstrap import NotifierSettings
from shared import topics
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.kafka import durable_producer
from shared.roles import Agency, Role

OFFSET = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0")) + 60
KAFKA, CONTROLLER, NOTIFIER, SMTP_PORT = (p + OFFSET for p in (29092, 29093, 28003, 28025))
HEADER = b"X-DRR-Delivery-Id: "
REPO = Path(__file__).resolve().parents[1]


class Accepting:
    """An SMTP handler that accepts everything and notes when (time.time()), by delivery id."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        start = content.find(HEADER)
        if start >= 0:
            end = content.find(b"\r\n", start)
            self.accepted[content[start + len(HEADER) : end].decode().strip()] = time.time()
        return "250 OK"


def delivery(n: int) -> Delivery:
    """A normal-priority trigger for one of 200 cases (what the router emits for a case manager)."""
    event_id = uuid4()
    recipient = Recipient(
        practitioner_id=f"p-{n % 50}", name="Bench Manager", email="bench@probation.example",
        agency=Agency.PROBATION, role=Role.CASE_MANAGER,
    )  # fmt: skip
    # high: sent at once (a normal one would be held for its grouped email)
    payload = {"trigger_type": "community_rejection", "severity": "high", "observed_at": "2026-11-01T10:00:00Z"}
    return Delivery(
        delivery_id=delivery_id_for(event_id, recipient.practitioner_id), event_id=event_id,
        event_type="trigger.reported", case_id=f"BENCH-{n % 200:05d}", occurred_at=datetime.now(UTC),
        person={"identifiers": [{"type": "prison_number", "value": "A1234BC"}]}, recipient=recipient,
        payload=payload, fields_withheld=["clinical_notes"], rule="team_member",
    )  # fmt: skip


async def produce(options: dict[str, object], count: int, rate: float = 0) -> dict[str, float]:
    """Delivery id -> time it was handed to Kafka (acks=all); paced at `rate` per second if given."""
    sent: dict[str, float] = {}
    producer = durable_producer(options)
    await producer.start()
    try:
        started, futures = time.time(), []
        for n in range(count):
            if rate and (wait := started + n / rate - time.time()) > 0:
                await asyncio.sleep(wait)
            d = delivery(n)
            futures.append(await producer.send(topics.DELIVERIES, d.model_dump_json().encode(), key=d.case_id.encode()))
            sent[str(d.delivery_id)] = time.time()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms"


def wait_for(sink: Accepting, wanted: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(sink.accepted) < wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    if len(sink.accepted) < wanted:
        raise TimeoutError(f"{len(sink.accepted)} of {wanted} emails accepted")


def notifier(kafka: KafkaNode, folder: Path, in_flight: int, connections: int, worker: int = 0) -> Process:
    """One notifier worker (all in one consumer group: Kafka shares the partitions among them)."""
    port = NOTIFIER + 10 * worker
    env = {
        **kafka.service_env("notifier"), **local_keys(folder),
        "DRR_NOTIFIER_ACK_SECRET_FILE": str(kafka.secrets.ack_key_file), "DRR_NOTIFIER_PORT": str(port),
        "DRR_NOTIFIER_SMTP_PORT": str(SMTP_PORT), "DRR_NOTIFIER_IN_FLIGHT": str(in_flight),
        "DRR_NOTIFIER_SMTP_CONNECTIONS": str(connections), "DRR_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    log = folder / f"notifier-{worker}.log"
    process = Process(f"notifier-{worker}", [sys.executable, "-m", "services.notifier"], log, env, REPO).start()
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 120, "notifier", process.alive)
    return process


def run(folder: Path, args: argparse.Namespace) -> None:
    kafka, sink = KafkaNode(folder / "kafka", KAFKA, CONTROLLER), Accepting()
    controller = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    kafka.start()
    controller.start()
    processes: list[Process] = []
    try:
        if args.workers == 1:  # the backlog first: the rate counts from the first email on
            asyncio.run(produce(kafka.client_options("router"), args.deliveries))
        for worker in range(args.workers):  # several: all in the group before the backlog comes
            processes.append(notifier(kafka, folder, args.in_flight, args.connections, worker))
        if args.workers > 1:
            time.sleep(15)  # the group settled (the last join rebalances everyone)
            asyncio.run(produce(kafka.client_options("router"), args.deliveries))
        wait_for(sink, args.deliveries, 600)
        times = sorted(sink.accepted.values())
        rate = (len(times) - 1) / (times[-1] - times[0])
        print(f"sustained: {args.deliveries} emails, {rate:.0f} emails/s (first to last accepted)")
        sink.accepted.clear()
        sent = asyncio.run(produce(kafka.client_options("router"), args.paced, args.rate))
        wait_for(sink, args.paced, 600)
        latencies = [sink.accepted[i] - t for i, t in sent.items()]
        print(f"paced at {args.rate:.0f}/s: {args.paced} deliveries, produced -> accepted {percentiles(latencies)}")
    finally:
        for process in processes:
            process.stop()
        controller.stop()
        kafka.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--paced", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0)
    default = NotifierSettings.model_fields["in_flight"].default
    parser.add_argument("--in-flight", type=int, default=default, help="DRR_NOTIFIER_IN_FLIGHT (default: as deployed)")
    parser.add_argument("--connections", type=int, default=4, help="DRR_NOTIFIER_SMTP_CONNECTIONS")
    parser.add_argument("--workers", type=int, default=1, help="notifier processes (at most the partition count)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drr-bench-notifier-") as folder:
        run(Path(folder), args)


if __name__ == "__main__":
    main()
