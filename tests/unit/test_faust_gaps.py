"""Finding the messages faust skipped: acknowledged offsets beyond an unacknowledged committed one."""

from shared.faust_gaps import confirmed, head_gaps


def test_a_partition_whose_acknowledged_offsets_all_lie_past_the_committed_one_has_a_head_gap() -> None:
    acked = {"p0": [251, 252, 253], "p1": [101, 102], "p2": [], "p3": [7]}
    committed = {"p0": 101, "p1": 101, "p2": 40, "p3": None}
    assert head_gaps(acked, committed) == {"p0": 101}


def test_the_committed_message_acknowledged_is_no_gap_even_with_holes_after_it() -> None:
    assert head_gaps({"p0": [101, 105]}, {"p0": 101}) == {}


def test_only_a_gap_seen_twice_at_the_same_offset_is_repaired() -> None:
    before, now = {"p0": 101, "p1": 50}, {"p0": 101, "p1": 60, "p2": 9}
    assert list(confirmed(now, before)) == [("p0", 101)]
    assert list(confirmed(now, {})) == []
