"""The broker goes away and comes back: intake answers 503 (never 202) while it is down, accepts again
once it is back, and every event that got a 202 is in Kafka.

This test stops a broker, so it runs its own Kafka node and intake on ports shifted 50 past the session
stack's, in its own folder, leaving the session stack alone.
"""

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from deploy.local.demo_case import case_history
from deploy.local.kafka import KafkaNode
from deploy.local.processes import Process, http_ok, wait_until
from deploy.local.stack import REPO
from services.intake.cli import issue_key
from services.intake.store import SqliteStore
from shared import topics
from shared.roles import Agency

SHIFT = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0")) + 50
KAFKA, CONTROLLER, INTAKE = 19092 + SHIFT, 19093 + SHIFT, 18001 + SHIFT


@pytest.fixture
def kafka(tmp_path: Path) -> Iterator[KafkaNode]:
    node = KafkaNode(tmp_path / "kafka", KAFKA, CONTROLLER)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def intake(tmp_path: Path, kafka: KafkaNode) -> Iterator[httpx.Client]:
    store = SqliteStore(tmp_path / "intake.sqlite3")
    _, key = issue_key(store, agency=Agency.PROBATION, system="outage-test")
    store.close()
    env = {
        **kafka.service_env("intake"),
        "DRR_INTAKE_PORT": str(INTAKE),
        "DRR_INTAKE_DB_PATH": str(tmp_path / "intake.sqlite3"),
        "DRR_INTAKE_PUBLISH_TIMEOUT_S": "3",
    }
    process = Process("intake", [sys.executable, "-m", "services.intake"], tmp_path / "intake.log", env, REPO).start()
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{INTAKE}/healthz"), 60, "intake", process.alive)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{INTAKE}", headers=headers, timeout=30) as client:
            yield client
    finally:
        process.stop()


def post(client: httpx.Client, case_id: str) -> httpx.Response:
    """A trigger with an id of its own, on a case opened by this client's probation key."""
    trigger = next(e for e in case_history(case_id) if e["event_type"] == "trigger.reported")
    return client.post("/v1/events", json={**trigger, "event_id": str(uuid.uuid4())})


def test_no_202_while_the_broker_is_down_and_every_202_is_in_kafka(kafka: KafkaNode, intake: httpx.Client) -> None:
    case_id = f"E2E-OUTAGE-{uuid.uuid4().hex[:8]}"
    assert intake.post("/v1/events", json=case_history(case_id)[0]).status_code == 202  # case.opened
    before = [post(intake, case_id) for _ in range(5)]
    assert [a.status_code for a in before] == [202] * 5
    kafka.stop()
    during = [post(intake, case_id) for _ in range(3)]
    assert [a.status_code for a in during] == [503] * 3
    assert all(a.json()["error"] == "broker_unavailable" and a.headers["Retry-After"] for a in during)
    kafka.start()
    after: list[httpx.Response] = []
    deadline = time.monotonic() + 90
    while not (after and after[-1].status_code == 202) and time.monotonic() < deadline:
        after.append(post(intake, case_id))
    assert after[-1].status_code == 202 and {a.status_code for a in after} <= {202, 503}
    accepted = {a.json()["event_id"] for a in before + after if a.status_code == 202}
    assert accepted <= asyncio.run(event_ids_in_kafka(kafka.client_options(), case_id))


async def event_ids_in_kafka(options: dict[str, object], case_id: str) -> set[str]:
    """The ids of this case's events in drr.events, read from the start to the current end."""
    consumer = AIOKafkaConsumer(topics.EVENTS, **options, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.1)
        partitions = consumer.assignment()
        ends = await consumer.end_offsets(list(partitions))
        found: set[str] = set()
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for messages in (await consumer.getmany(timeout_ms=1000)).values():
                found |= {json.loads(m.value)["event_id"] for m in messages if m.key == case_id.encode()}
        return found
    finally:
        await consumer.stop()
