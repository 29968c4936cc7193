"""Every topic is created with a retention chosen for it (shared/topics.py CONFIGS), never the broker's."""

from shared import topics


def test_every_topic_has_its_own_configuration() -> None:
    missing = set(topics.ALL) - set(topics.CONFIGS)
    assert not missing, f"give these topics an entry in shared/topics.py CONFIGS: {sorted(missing)}"
    assert set(topics.CONFIGS) == set(topics.ALL)


def test_changelogs_are_compacted_and_streams_expire_except_the_audit_topic() -> None:
    for name, config in topics.CONFIGS.items():
        if name in topics.COMPACTED | topics.KEY_TOPICS:
            assert config["cleanup.policy"] == "compact", name
            assert int(config["delete.retention.ms"]) > 0, "tombstones must reach restoring workers"
        elif name == topics.AUDIT:
            assert config["retention.ms"] == "-1", "the ledger must be rebuildable from the whole topic"
        else:
            assert config["cleanup.policy"] == "delete", name
            assert 0 < int(config["retention.ms"]) <= 30 * topics.DAY_MS, name


def test_deliveries_live_no_longer_than_the_events_they_come_from() -> None:
    retention = {name: int(topics.CONFIGS[name]["retention.ms"]) for name in (topics.EVENTS, topics.DELIVERIES)}
    assert retention[topics.DELIVERIES] <= retention[topics.EVENTS]


def test_a_key_record_outlives_the_repair_of_a_race_between_intake_instances() -> None:
    """Compaction may drop all but a case's last key record; a week is long enough for a repair."""
    for name in topics.KEY_TOPICS:
        assert int(topics.CONFIGS[name]["min.compaction.lag.ms"]) >= 7 * topics.DAY_MS
