"""Finding partitions faust left stuck: messages from the committed offset on, none of them on its way."""

from shared.faust_gaps import Partition, confirmed, stuck


def p(committed: int | None, end: int | None, acked: set[int] | None = None, in_flight: bool = False) -> Partition:
    return Partition(committed, end, frozenset(acked or ()), in_flight)


def test_skipped_messages_with_later_ones_handled_or_none_after_them_leave_a_partition_stuck() -> None:
    partitions = {"head gap": p(101, 400, {251, 252}), "tail dropped": p(101, 250)}
    assert stuck(partitions) == {"head gap": 101, "tail dropped": 101}


def test_an_idle_a_busy_or_a_progressing_partition_is_not_stuck() -> None:
    partitions = {
        "caught up": p(250, 250),
        "in flight": p(101, 400, in_flight=True),
        "acked, commit pending": p(101, 400, {101, 102}),
        "never committed": p(None, 400),
        "end unknown": p(101, None),
    }
    assert stuck(partitions) == {}


def test_only_a_partition_stuck_twice_at_the_same_offset_is_sought_back() -> None:
    before, now = {"p0": 101, "p1": 50}, {"p0": 101, "p1": 60, "p2": 9}
    assert list(confirmed(now, before)) == [("p0", 101)]
    assert list(confirmed(now, {})) == []
