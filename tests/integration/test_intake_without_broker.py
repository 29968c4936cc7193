"""Intake's real Kafka publisher with no broker to talk to: never a 202, and health says so."""

import socket
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.local.demo_case import case_history
from services.intake.adapters import KafkaPublisher
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.cli import issue_key
from services.intake.store import SqliteStore
from shared.record_signing import RecordSigner
from shared.roles import Agency


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_no_broker_means_503_and_an_unhealthy_intake(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{closed_port()}"
    settings = IntakeSettings(kafka_bootstrap=bootstrap, publish_timeout_s=1)
    store = SqliteStore(tmp_path / "intake.sqlite3")
    _, key = issue_key(store, agency=Agency.PROBATION, system="test")
    signer = RecordSigner("intake", Ed25519PrivateKey.generate())
    publisher = KafkaPublisher(settings.kafka_access().client_options(), signer)
    app = create_app(settings, publisher, store, store)
    headers = {"Authorization": f"Bearer {key}"}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://i", headers=headers
        ) as client:
            health = await client.get("/healthz")
            answer = await client.post("/v1/events", json=case_history("C-NOBROKER")[0])
    store.close()
    assert health.status_code == 503
    assert answer.status_code == 503 and answer.json()["error"] == "broker_unavailable"
