"""The deploy scripts create every topic explicitly, with the partition counts the code declares."""

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from deploy.local.stack import Stack
from shared import topics


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
