"""Kafka plumbing shared by the services: a safe producer and explicit topic creation."""

import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared import topics

log = logging.getLogger(__name__)


def durable_producer(bootstrap: str, **overrides: object) -> AIOKafkaProducer:
    """acks=all and idempotence: a send that returns has been written to every in-sync replica once."""
    options: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 0,  # concurrent senders fill batches while one request is in flight
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 10_000,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def create_topics(bootstrap: str, replication: int = 1) -> list[str]:
    """Create every topic in topics.ALL that does not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, partitions, replication, topic_configs=_configs(name))
            for name, partitions in topics.ALL.items()
            if name not in existing
        ]
        if wanted:
            await admin.create_topics(wanted)
        log.info("topics ready", extra={"topics_created": [t.name for t in wanted]})
        return [t.name for t in wanted]
    finally:
        await admin.close()


def _configs(name: str) -> dict[str, str]:
    return {"cleanup.policy": "compact"} if name in topics.COMPACTED else {}
