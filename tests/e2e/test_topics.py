"""The deploy scripts create every topic explicitly, with the partition counts the code declares."""

import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from deploy.local.stack import Stack
from shared import topics
from shared.kafka import create_topics


async def partition_counts(options: dict[str, object]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics.ALL))
        return {t["topic"]: len(t["partitions"]) for t in described}
    finally:
        await admin.close()


def test_every_topic_exists_with_its_declared_partition_count(stack: Stack) -> None:
    assert asyncio.run(partition_counts(stack.kafka.client_options())) == topics.ALL


def test_the_case_team_changelog_matches_its_source_topic() -> None:
    """Faust crashes with PartitionsMismatch otherwise (see KAFKA-NOTES)."""
    assert topics.ALL[topics.CASE_TEAMS_CHANGELOG] == topics.ALL[topics.EVENTS]


async def live_configs(options: dict[str, object]) -> dict[str, dict[str, str]]:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics.ALL]
        described = await admin.describe_configs(resources)
    finally:
        await admin.close()
    found: dict[str, dict[str, str]] = {}
    for response in described:
        for resource in response.resources:
            _, _, _, name, entries = resource[:5]
            found[name] = {entry[0]: entry[1] for entry in entries}
    return found


def test_every_topic_has_the_retention_the_code_declares(stack: Stack) -> None:
    live = asyncio.run(live_configs(stack.kafka.client_options()))
    for name, wanted in topics.CONFIGS.items():
        assert {key: live[name][key] for key in wanted} == wanted, name


async def _drift_and_mend(options: dict[str, object]) -> dict[str, dict[str, str]]:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        drifted = {"cleanup.policy": "delete", "retention.ms": str(400 * topics.DAY_MS)}
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topics.DEAD_LETTERS, drifted)])
    finally:
        await admin.close()
    assert (await live_configs(options))[topics.DEAD_LETTERS]["retention.ms"] == drifted["retention.ms"]
    assert await create_topics(options) == []
    return await live_configs(options)


def test_a_topic_made_earlier_gets_the_declared_retention_again(stack: Stack) -> None:
    """An upgrade on an existing broker: create_topics sets today's configuration on existing topics."""
    live = asyncio.run(_drift_and_mend(stack.kafka.client_options()))
    assert live[topics.DEAD_LETTERS]["retention.ms"] == topics.CONFIGS[topics.DEAD_LETTERS]["retention.ms"]
