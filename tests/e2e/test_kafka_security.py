"""The broker as an outsider or a wrong service meets it, on the running stack: no connection without
TLS and SCRAM, and each service's principal refused whatever shared/kafka_acls.py does not grant it.

Every refusal has an allowed twin (same client, same call, the topic or group it may use), so a test
cannot pass because the call fails for some other reason.
"""

import asyncio
import ssl
import subprocess
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError

from deploy.local.demo_case import case_history
from deploy.local.stack import Stack
from shared import topics
from shared.acl_requests import held_acls, row
from shared.kafka_acls import AUDIT, INTAKE, NOTIFIER, ROUTER, grants

TIMEOUT_S = 30


async def write(options: dict[str, object], topic: str) -> None:
    producer = AIOKafkaProducer(**options, request_timeout_ms=10_000)
    try:
        await producer.start()
        # a record no consumer takes for a real one: not JSON, so it is dead-lettered if it lands
        await asyncio.wait_for(producer.send_and_wait(topic, b"kafka-security-probe", key=b"PROBE"), TIMEOUT_S)
    finally:
        await producer.stop()


async def read(options: dict[str, object], topic: str, group: str | None = None) -> None:
    """Fetch from the start of partition 0 (in `group` if given: joining it needs the group's ACL).
    A principal with no ACL at all on the topic does not even see it in the metadata (aiokafka then only
    logs and fetches nothing), so that is asked first; one that may write but not read sees it and has
    its fetch refused."""
    if topic not in await visible_topics(options):
        raise TopicAuthorizationFailedError(topic)
    consumer = AIOKafkaConsumer(
        **options, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest", request_timeout_ms=10_000
    )
    try:
        await consumer.start()
        if group is None:
            consumer.assign([TopicPartition(topic, 0)])
        else:
            consumer.subscribe([topic])
        for _ in range(2):  # the first poll may only join the group
            await asyncio.wait_for(consumer.getmany(timeout_ms=2000), TIMEOUT_S)
    finally:
        await consumer.stop()


async def visible_topics(options: dict[str, object]) -> set[str]:
    client = AIOKafkaClient(**options)
    try:
        await client.bootstrap()
        return set((await client.fetch_all_metadata()).topics())
    finally:
        await client.close()


REFUSED_TOPICS = [
    (INTAKE, "read", topics.EVENTS),
    (INTAKE, "write", topics.DELIVERIES),
    (NOTIFIER, "write", topics.EVENTS),
    (ROUTER, "write", topics.ACKS),
    (ROUTER, "write", topics.EVENTS),
    (ROUTER, "read", topics.AUDIT),
    (NOTIFIER, "read", topics.AUDIT),
    (AUDIT, "read", topics.EVENTS),
    (AUDIT, "write", topics.DELIVERIES),
    (NOTIFIER, "write", topics.CASE_TEAMS_CHANGELOG),
    (ROUTER, "read", topics.NOTIFIER_ACKS_CHANGELOG),
    (ROUTER, "read", topics.CASE_KEYS),  # it may write a data key's tombstone, never read the key
    (AUDIT, "read", topics.CASE_KEYS),
    (AUDIT, "read", topics.CASE_DIGEST_KEYS),
    (NOTIFIER, "write", topics.CASE_KEYS),
    (NOTIFIER, "write", topics.ERASURES),  # it applies erasures; only the router orders them
]
ALLOWED_TWINS = [
    (INTAKE, "write", topics.EVENTS),
    (ROUTER, "read", topics.EVENTS),
    (NOTIFIER, "read", topics.EVENTS),
    (NOTIFIER, "write", topics.DEAD_LETTERS),  # its own command topics would crash on a probe record
    (NOTIFIER, "read", topics.ACKS),
    (AUDIT, "read", topics.AUDIT),
    (ROUTER, "write", topics.DEAD_LETTERS),
    (ROUTER, "read", topics.CASE_DIGEST_KEYS),  # a probe record is never written to a key topic
    (NOTIFIER, "read", topics.CASE_KEYS),
    (NOTIFIER, "read", topics.ERASURES),
]


def attempt(stack: Stack, principal: str, operation: str, topic: str) -> None:
    options = stack.kafka.client_options(principal)
    asyncio.run(write(options, topic) if operation == "write" else read(options, topic))


@pytest.mark.parametrize(("principal", "operation", "topic"), REFUSED_TOPICS)
def test_a_service_principal_is_refused_what_is_not_its_own(
    stack: Stack, principal: str, operation: str, topic: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        attempt(stack, principal, operation, topic)


@pytest.mark.parametrize(("principal", "operation", "topic"), ALLOWED_TWINS)
def test_the_same_calls_work_on_what_is_granted(stack: Stack, principal: str, operation: str, topic: str) -> None:
    attempt(stack, principal, operation, topic)


def test_a_principal_cannot_join_another_services_consumer_group(stack: Stack) -> None:
    """Joining the router's group would take partitions of drr.events away from the router."""
    notifier = stack.kafka.client_options(NOTIFIER)
    with pytest.raises(GroupAuthorizationFailedError):
        asyncio.run(read(notifier, topics.EVENTS, topics.ROUTER_APP_ID))
    audit = stack.kafka.client_options(AUDIT)
    asyncio.run(read(audit, topics.AUDIT, f"{topics.AUDIT_GROUP_ID}-probe-{uuid4().hex[:6]}"))  # its own prefix
    with pytest.raises(GroupAuthorizationFailedError):
        asyncio.run(read(audit, topics.AUDIT, f"probe-{uuid4().hex[:6]}"))


def test_an_anonymous_client_is_refused_in_plaintext_and_over_tls_without_sasl(stack: Stack) -> None:
    admin = stack.kafka.client_options()
    plaintext = {"bootstrap_servers": stack.kafka.bootstrap}
    tls_only = {**plaintext, "security_protocol": "SSL", "ssl_context": admin["ssl_context"]}
    for options in (plaintext, tls_only):
        with pytest.raises(KafkaConnectionError):
            asyncio.run(write(options, topics.AUDIT))


def test_a_wrong_password_and_a_foreign_certificate_are_refused(stack: Stack) -> None:
    intake = stack.kafka.client_options(INTAKE)
    with pytest.raises(KafkaConnectionError):
        asyncio.run(write({**intake, "sasl_plain_password": "not-the-password"}, topics.EVENTS))
    other_ca = ssl.create_default_context()  # the system's CAs: the install's broker certificate is not theirs
    with pytest.raises(KafkaConnectionError):
        asyncio.run(write({**intake, "ssl_context": other_ca}, topics.EVENTS))


def test_the_controller_listener_takes_no_anonymous_client(stack: Stack) -> None:
    """An anonymous super user there could create users and ACLs (KIP-919 admin requests)."""
    with pytest.raises(KafkaConnectionError):
        asyncio.run(write({"bootstrap_servers": f"127.0.0.1:{stack.ports.controller}"}, topics.AUDIT))


def test_the_broker_holds_exactly_the_acl_table(stack: Stack) -> None:
    assert asyncio.run(held_acls(stack.kafka.client_options())) == {row(g) for g in grants()}


def test_the_console_consumer_reads_as_admin_with_the_printed_properties_and_not_as_intake(stack: Stack) -> None:
    """What the README tells a newcomer to run (kafka-tools' console consumer, var/secrets/kafka-admin.properties)."""
    [accepted] = stack.post_events([case_history(f"E2E-CONSOLE-{uuid4().hex[:8]}")[0]])
    assert accepted.status_code == 202
    read = ["--from-beginning", "--max-messages", "1", "--timeout-ms", "60000", "--property", "print.key=true"]
    done = subprocess.run(
        stack.kafka.console_consumer(topics.EVENTS, *read), capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0 and "event_type" in done.stdout, done.stderr[-2000:]
    # no consumer group (intake has none): the topic's own refusal, not the group's
    partition = ["--partition", "0", "--offset", "earliest", "--max-messages", "1", "--timeout-ms", "30000"]
    refused = stack.kafka.console_consumer(topics.EVENTS, *partition, principal=INTAKE)
    done = subprocess.run(refused, capture_output=True, text=True, timeout=180)
    assert "event_type" not in done.stdout and "TopicAuthorizationException" in done.stdout + done.stderr
