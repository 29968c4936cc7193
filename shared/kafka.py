"""Kafka plumbing shared by the services: how a principal connects, a safe producer, explicit topic creation.

Every client a service, tool or test builds takes its options from KafkaAccess.client_options() (tests
and tools through deploy.local.kafka.KafkaNode.client_options(principal)), so how the broker is secured
is decided in one place: SASL_SSL with SCRAM-SHA-512, the broker's certificate checked against a CA.
"""

import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared import topics

log = logging.getLogger(__name__)
MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaAccess:
    """One principal's way to the broker. Without a username the client is anonymous and unencrypted,
    which the project's brokers refuse (and DRR_ENV=production refuses before connecting)."""

    bootstrap: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    """The CA that signed the broker's certificate; None: the system's trust store."""

    @property
    def authenticated(self) -> bool:
        return self.username is not None and self.password is not None

    def ssl_context(self) -> ssl.SSLContext:
        """Certificate and hostname checked (the broker's address must be in its certificate)."""
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def client_options(self) -> dict[str, object]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        if not self.authenticated:
            return {"bootstrap_servers": self.bootstrap}
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
            "ssl_context": self.ssl_context(),
        }


def durable_producer(options: dict[str, object], **overrides: object) -> AIOKafkaProducer:
    """acks=all and idempotence: a send that returns has been written to every in-sync replica once.
    `options`: a principal's KafkaAccess.client_options()."""
    settings: dict[str, object] = {
        **options,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 0,  # concurrent senders fill batches while one request is in flight
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 10_000,
    }
    settings.update(overrides)
    return AIOKafkaProducer(**settings)


async def create_topics(options: dict[str, object], replication: int = 1) -> list[str]:
    """Create every topic in topics.ALL that does not exist yet, with its configuration (topics.CONFIGS),
    and set that configuration on those that do; returns the names created.
    Only the admin principal may (`options`: its client_options())."""
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, partitions, replication, topic_configs=topics.CONFIGS[name])
            for name, partitions in topics.ALL.items()
            if name not in existing
        ]
        if wanted:
            await admin.create_topics(wanted)
        if kept := [name for name in topics.ALL if name in existing]:
            # a topic made by an earlier version gets today's retention too (the whole set: we own it)
            await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, n, topics.CONFIGS[n]) for n in kept])
        log.info("topics ready", extra={"topics_created": [t.name for t in wanted]})
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def started_producer(options: dict[str, object]) -> AIOKafkaProducer:
    """A durable producer, started; stopped again (its connections closed) if starting fails."""
    producer = durable_producer(options)
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    return producer
