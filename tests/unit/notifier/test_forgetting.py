"""The email ledger and the acknowledgements are forgotten past the replay horizon, each on its partition;
an acknowledgement a chase still names is kept."""

from datetime import UTC, datetime, timedelta

from services.notifier.schedule.forgetting import HORIZON, Forgetting
from shared import topics
from tests.unit.notifier.fakes import FakeTable

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
OLD, RECENT = (NOW - HORIZON - timedelta(hours=1)).isoformat(), (NOW - timedelta(days=1)).isoformat()


def test_the_horizon_is_the_deliveries_topic_s_retention() -> None:
    assert HORIZON.total_seconds() * 1000 == int(topics.CONFIGS[topics.DELIVERIES]["retention.ms"])


async def test_old_entries_go_on_their_partition_and_what_a_chase_names_stays() -> None:
    emails, acks, chases = FakeTable(), FakeTable(), FakeTable()
    emails |= {"email:old": {"state": "delivered", "at": OLD, "p": 3},
               "email:new": {"state": "delivered", "at": RECENT, "p": 1},
               "email:legacy": {"state": "delivered", "at": OLD}}  # fmt: skip
    acks |= {"d-old": {"case_id": "C-1", "acknowledged_at": OLD}, "a-kept": {"case_id": "C-2", "acknowledged_at": OLD},
             "d-new": {"case_id": "C-1", "acknowledged_at": RECENT}}  # fmt: skip
    chases["panel:C-2:0"] = {"case_id": "C-2", "ack_id": "a-kept"}
    forgetting = Forgetting(emails, acks, chases)
    due = list(forgetting.due(NOW))
    assert due == [("email:old", {"table": "emails", "key": "email:old", "partition": 3}),
                   ("C-1", {"table": "acks", "key": "d-old"})]  # fmt: skip
    assert list(forgetting.due(NOW + timedelta(minutes=5))) == []  # scanned at most hourly
    for _, command in due:
        await forgetting.take(command)
        await forgetting.take(command)  # a repeat finds it gone
    assert set(emails) == {"email:new", "email:legacy"} and set(acks) == {"a-kept", "d-new"}
