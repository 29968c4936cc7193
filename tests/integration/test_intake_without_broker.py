"""Intake's real Kafka publisher with no broker to talk to: never a 202, and health says so."""

import socket

import httpx

from deploy.local.demo_case import case_history
from services.intake.adapters import KafkaPublisher
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_no_broker_means_503_and_an_unhealthy_intake() -> None:
    bootstrap = f"127.0.0.1:{closed_port()}"
    settings = IntakeSettings(kafka_bootstrap=bootstrap, publish_timeout_s=1)
    app = create_app(settings, KafkaPublisher(bootstrap))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client:
            health = await client.get("/healthz")
            answer = await client.post("/v1/events", json=case_history("C-NOBROKER")[0])
    assert health.status_code == 503
    assert answer.status_code == 503 and answer.json()["error"] == "broker_unavailable"
